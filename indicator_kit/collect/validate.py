"""Run the rules of checks.yaml on one return's values; each failure is one finding."""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from indicator_kit.catalog.model import Row, Spec
from indicator_kit.checks import Check, Num, Ref, check_values, program, return_checks
from indicator_kit.collect.model import CellTable
from indicator_kit.collect.numbers import format_number
from indicator_kit.findings import RULE_KIND_CODES, Finding, Severity, finding


class _Lenient(string.Formatter):
    """Leave an unknown {placeholder} as written instead of failing the whole run."""

    def get_value(self, key: int | str, args: object, kwargs: Mapping[str, object]) -> object:
        return kwargs.get(str(key), "{" + str(key) + "}")


_FORMATTER = _Lenient()


def message_for(check: Check, lhs: float, rhs: float, shown: dict[str, float]) -> str:
    values = {name: format_number(v) for name, v in shown.items()}
    return _FORMATTER.format(check.rule.message, **check.texts, **values, diff=format_number(lhs - rhs))


@dataclass(frozen=True)
class _Plan:
    """One agency's checks laid over its cell table's positions: a range check (~190 a file)
    costs one float comparison; the others read their operands by position."""

    at_least: tuple[tuple[int, float, int], ...]  # (cell position, bound, check number)
    at_most: tuple[tuple[int, float, int], ...]
    others: tuple[int, ...]  # numbers of the other checks
    operands: dict[int, tuple[int, ...]]  # check number → its operands' cell positions


_PLANS: dict[tuple[int, ...], tuple[object, ...]] = {}


def _plan(checks: list[Check], cells: CellTable) -> _Plan:
    rows, columns = cells.shape
    cache_key = (id(checks), id(rows), id(columns))
    cached = _PLANS.get(cache_key)
    if cached is not None and cached[0] is checks and cached[1] is rows and cached[2] is columns:
        return cached[3]  # type: ignore[return-value]
    bounds: dict[str, list[tuple[int, float, int]]] = {"ge": [], "le": []}
    others, operands = [], {}
    for number, check in enumerate(checks):
        positions = [cells.position((ref.key, ref.column)) for ref in check.operands]
        if None in positions:  # an operand's row is missing from this file: the check cannot run
            continue
        operands[number] = tuple(positions)
        if check.rule.kind == "range" and isinstance(check.lhs, Ref) and isinstance(check.rhs, Num):
            bounds[check.relation].append((positions[0], check.rhs.value, number))  # type: ignore[arg-type]
        else:
            others.append(number)
    plan = _Plan(tuple(bounds["ge"]), tuple(bounds["le"]), tuple(others), operands)  # type: ignore[arg-type]
    _PLANS[cache_key] = (checks, rows, columns, plan)  # holding them keeps their ids theirs
    return plan


def validate(
    spec: Spec,
    rows: Sequence[Row],
    cells: CellTable,
    where: dict[str, str],
    sheet: str,
) -> list[Finding]:
    checks = return_checks(spec, rows)
    plan = _plan(checks, cells)
    numbers = cells.numbers_array  # NaN wherever a cell is not a usable number
    # NaN fails every comparison, so only a real breach of a bound goes on.
    suspects = [number for i, bound, number in plan.at_least if numbers[i] < bound]
    suspects += [number for i, bound, number in plan.at_most if numbers[i] > bound]
    found = []
    for number in sorted((*suspects, *plan.others)) if suspects else plan.others:
        values = [numbers[i] for i in plan.operands[number]]
        if any(v != v for v in values):  # an operand is not a usable number: the check cannot run
            continue
        check = checks[number]
        if program(check).passes(values) is not False:  # met, or cannot run (a zero divisor)
            continue
        outcome = check_values(check, values)
        assert outcome is not None
        first = check.operands[0]
        found.append(
            finding(
                RULE_KIND_CODES[check.rule.kind],
                message_for(check, outcome.lhs, outcome.rhs, outcome.values),
                severity=Severity(check.rule.severity),
                sheet=sheet,
                cell=cells.address((first.key, first.column)),
                row_key=first.key,
                column=first.column,
                rule=check.rule.id,
                **where,
            )
        )
    return found
