"""Run the rules of checks.yaml on one return's values; each failure is one finding."""

from __future__ import annotations

import string
from collections.abc import Mapping

from indicator_kit.checks import Check, Ref, return_checks, run_check
from indicator_kit.collect.model import CellResult
from indicator_kit.collect.numbers import Status, format_number
from indicator_kit.findings import RULE_KIND_CODES, Finding, Severity, finding
from indicator_kit.spec.model import Row, Spec


class _Lenient(string.Formatter):
    """Leave an unknown {placeholder} as written instead of failing the whole run."""

    def get_value(self, key: int | str, args: object, kwargs: Mapping[str, object]) -> object:
        return kwargs.get(str(key), "{" + str(key) + "}")


_FORMATTER = _Lenient()


def message_for(check: Check, lhs: float, rhs: float, shown: dict[str, float]) -> str:
    values = {name: format_number(v) for name, v in shown.items()}
    return _FORMATTER.format(check.rule.message, **check.texts, **values, diff=format_number(lhs - rhs))


def validate(
    spec: Spec,
    rows: list[Row],
    cells: Mapping[tuple[str, str], CellResult],
    where: dict[str, str],
    sheet: str,
) -> list[Finding]:
    def lookup(ref: Ref) -> float | None:
        cell = cells.get((ref.key, ref.column))
        if cell is None or not cell.usable or cell.status is not Status.NUMBER:
            return None
        return cell.value

    found = []
    for check in return_checks(spec, rows):
        if check.rule.kind == "range":  # the bulk of the checks: only a failing one goes further
            cell = cells.get((check.lhs.key, check.lhs.column))  # type: ignore[union-attr]
            if cell is None or not cell.usable or cell.value is None or cell.status is not Status.NUMBER:
                continue
            bound = check.rhs.value  # type: ignore[union-attr]
            if (check.relation == "ge" and cell.value >= bound) or (
                check.relation == "le" and cell.value <= bound
            ):
                continue
        outcome = run_check(check, lookup)
        if outcome is None or outcome.passed:
            continue
        first = check.operands[0]
        cell = cells[(first.key, first.column)]
        found.append(
            finding(
                RULE_KIND_CODES[check.rule.kind],
                message_for(check, outcome.lhs, outcome.rhs, outcome.values),
                severity=Severity(check.rule.severity),
                sheet=sheet,
                cell=cell.cell,
                row_key=first.key,
                column=first.column,
                rule=check.rule.id,
                **where,
            )
        )
    return found
