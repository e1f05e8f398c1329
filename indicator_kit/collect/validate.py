"""Run the rules of checks.yaml on one return's values; each failure is one finding."""

from __future__ import annotations

from dataclasses import dataclass

from indicator_kit.collect.model import CellTable
from indicator_kit.findings import Finding, finding
from indicator_kit.rules import Check, Num, Ref, Relation, check_values


@dataclass(frozen=True)
class CheckPositions:
    """One agency's checks laid over a cell table's positions: a range check (~190 a file)
    costs one float comparison; the others read their operands by position."""

    at_least: tuple[tuple[int, float, int], ...]  # (cell position, bound, check number)
    at_most: tuple[tuple[int, float, int], ...]
    others: tuple[int, ...]  # numbers of the other checks
    operands: dict[int, tuple[int, ...]]  # check number → its operands' cell positions


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
    return CheckPositions(tuple(at_least), tuple(at_most), tuple(others), operands)


def validate(
    checks: tuple[Check, ...], laid: CheckPositions, cells: CellTable, where: dict[str, str], sheet: str
) -> list[Finding]:
    """`laid`: the checks laid over `cells` (`plan.AgencyPlan.positions_for` its shape)."""
    numbers = cells.numbers_array  # NaN wherever a cell is not a usable number
    # NaN fails every comparison, so only a real breach of a bound goes on.
    suspects = [number for i, bound, number in laid.at_least if numbers[i] < bound]
    suspects += [number for i, bound, number in laid.at_most if numbers[i] > bound]
    found = []
    for number in sorted((*suspects, *laid.others)) if suspects else laid.others:
        values = [numbers[i] for i in laid.operands[number]]
        if any(v != v for v in values):  # an operand is not a usable number: the check cannot run
            continue
        check = checks[number]
        if check.program.passes(values) is not False:  # met, or cannot run (a zero divisor)
            continue
        outcome = check_values(check, values)
        assert outcome is not None
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
