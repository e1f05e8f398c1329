"""Run the rules of checks.yaml on one return's values; each failure is one finding."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from indicator_kit.collect.model import CellTable
from indicator_kit.findings import Finding, finding
from indicator_kit.rules import Check, Num, Ref, Relation, check_values
from indicator_kit.rules.expr import SOURCE_NAMES, python_source

# How each relation holds within a tolerance, as Python source (`rules.kind._HOLDS` as text).
_HOLDS_SOURCE = {
    Relation.EQ: "abs(lhs - rhs) <= {tol}",
    Relation.LE: "lhs <= rhs + {tol}",
    Relation.GE: "lhs >= rhs - {tol}",
}


@dataclass(frozen=True)
class CheckPositions:
    """One agency's checks laid over a cell table's positions: a range check (~190 a file)
    costs one float comparison; each of the others (~45) is one call of a function generated
    from its expression tree (`failing`), which reads its operands by position."""

    at_least: tuple[tuple[int, float, int], ...]  # (cell position, bound, check number)
    at_most: tuple[tuple[int, float, int], ...]
    others: tuple[int, ...]  # numbers of the other checks
    operands: dict[int, tuple[int, ...]]  # check number → its operands' cell positions
    # (built with the plan, before workers fork; a spawned worker compiles its plan anew)
    fails: tuple[tuple[int, Callable[[Sequence[float]], bool]], ...] = field(repr=False, compare=False)

    def failing(self, numbers: Sequence[float]) -> list[int]:
        """numbers (NaN where a cell is not a usable number) → the numbers of the other checks
        that are not met, in order. A check with an operand that is not a number, or with a zero
        divisor, cannot run and is not among them (`rules.Program.passes`, without a call and a
        closure per node of the tree, which cost more than the arithmetic)."""
        return [number for number, fails in self.fails if fails(numbers)]


# Generated functions by their source: the checks of one rule differ only in the positions of
# their operands (one per column, the same in every agency), so a few dozen are compiled in all.
_MAKERS: dict[str, Callable[..., Callable[[Sequence[float]], bool]]] = {}


def _fails(check: Check, positions: tuple[int, ...]) -> Callable[[Sequence[float]], bool]:
    """numbers → whether `check` runs and is not met, its operands read at `positions`."""
    order = list(dict.fromkeys(positions))  # an operand may appear twice in a tree
    at = dict(zip(check.operands, positions, strict=True))

    def name(ref: Ref) -> str:
        return f"a{order.index(at[ref])}"

    holds = _HOLDS_SOURCE[check.relation]
    tolerance = f"(({python_source(check.tol, name)}) + eps)"  # added first, as `Program.passes` does
    source = "\n".join(
        [
            f"def make({', '.join(f'p{j}' for j in range(len(order)))}):",
            "    def fails(n):",
            *(f"        a{j} = n[p{j}]" for j in range(len(order))),
            "        if " + " or ".join(f"a{j} != a{j}" for j in range(len(order))) + ":",
            "            return False",
            "        try:",
            f"            lhs = {python_source(check.lhs, name)}",
            f"            rhs = {python_source(check.rhs, name)}",
            "            eps = 1e-9 * max(1.0, abs(lhs), abs(rhs))",
            f"            return not ({holds.format(tol='eps')}) and not ({holds.format(tol=tolerance)})",
            "        except ZeroDivisionError:",
            "            return False",
            "    return fails",
        ]
    )
    make = _MAKERS.get(source)
    if make is None:
        namespace = dict(SOURCE_NAMES)
        exec(compile(source, "<check>", "exec"), namespace)  # text from trees only: python_source
        make = _MAKERS[source] = namespace["make"]
    return make(*order)


@lru_cache(maxsize=64)  # a return with rows missing has a shape of its own, and its copies too
def lay_over(checks: tuple[Check, ...], rows: tuple[str, ...], columns: tuple[str, ...]) -> CheckPositions:
    """Where each check's operands sit in a cell table of these rows and columns (row by row)."""
    row_at = {key: i for i, key in enumerate(rows)}
    col_at = {column: i for i, column in enumerate(columns)}
    width = len(columns)
    at_least: list[tuple[int, float, int]] = []
    at_most: list[tuple[int, float, int]] = []
    others: list[int] = []
    operands: dict[int, tuple[int, ...]] = {}
    for number, check in enumerate(checks):
        positions = []
        for ref in check.operands:
            r, c = row_at.get(ref.key), col_at.get(ref.column)
            if r is None or c is None:  # the operand's row is missing from this file: cannot run
                break
            positions.append(r * width + c)
        else:
            operands[number] = tuple(positions)
            lhs, rhs = check.lhs, check.rhs
            if len(positions) == 1 and isinstance(lhs, Ref) and isinstance(rhs, Num):  # a bound
                bound = (positions[0], rhs.value, number)
                if check.relation is Relation.GE:
                    at_least.append(bound)
                    continue
                if check.relation is Relation.LE:
                    at_most.append(bound)
                    continue
            others.append(number)
    fails = tuple((number, _fails(checks[number], operands[number])) for number in others)
    return CheckPositions(tuple(at_least), tuple(at_most), tuple(others), operands, fails)


def validate(
    checks: tuple[Check, ...], laid: CheckPositions, cells: CellTable, where: dict[str, str], sheet: str
) -> list[Finding]:
    """`laid`: the checks laid over `cells` (`plan.AgencyPlan.positions_for` its shape)."""
    numbers = cells.numbers_array  # NaN wherever a cell is not a usable number
    # NaN fails every comparison, so only a real breach of a bound goes on.
    suspects = [number for i, bound, number in laid.at_least if numbers[i] < bound]
    suspects += [number for i, bound, number in laid.at_most if numbers[i] > bound]
    found = []
    for number in sorted((*suspects, *laid.failing(numbers))):
        values = [numbers[i] for i in laid.operands[number]]
        check = checks[number]
        outcome = check_values(check, values)
        # the closures have the last word: a bound's own tolerance, a generated check's (the tests
        # hold both to them)
        if outcome is None or outcome.passed:
            continue
        first = check.operands[0]
        found.append(
            finding(
                check.code.code,
                severity=check.severity,
                sheet=sheet,
                cell=cells.address((first.key, first.column)),
                row_key=first.key,
                column=first.column,
                rule=check.rule.id,
                **where,
                **check.fields(outcome),
            )
        )
    return found
