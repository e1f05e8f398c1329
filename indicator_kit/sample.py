"""Synthetic values that satisfy every rule of checks.yaml, derived from the rules themselves.

Used to fill templates as a careful agency would (tests, benchmark). Levels are the same every
year (so growth is 0), structures split evenly, and parts, shares and totals are derived from
each other kind by kind, so no indicator is named here. A row that no rule ties to others and
that has reference figures (`Spec.reference`) follows them, as an honest agency's would.
"""

from __future__ import annotations

from indicator_kit.catalog.model import Column, PeriodAggregate, Row, Spec, ValueType
from indicator_kit.catalog.reference import aggregate

BASE = {
    ValueType.AMOUNT: 1000.0,
    ValueType.COUNT: 100.0,
    ValueType.SHARE: 50.0,
    ValueType.GROWTH: 0.0,
    ValueType.RATE: 10.0,
    ValueType.INDEX: 100.0,
    ValueType.RATIO: 2.5,
}


def _even_split(n: int) -> list[float]:
    """n shares with one decimal summing to exactly 100 (33,3 + 33,3 + 33,4)."""
    each = round(100 / n, 1)
    return [each] * (n - 1) + [round(100 - each * (n - 1), 1)]


def _year_values(spec: Spec) -> dict[str, float]:
    value = {r.key: BASE[r.value_type] for r in spec.input_rows if r.value_type}
    rules = list(spec.rules)
    grouped = set()
    for rule in rules:
        if rule.kind == "shares_100":
            parts = rule.operands["parts"]
            grouped.update(parts)
            for key, share in zip(parts, _even_split(len(parts)), strict=True):
                value[key] = share
    for rule in rules:
        if rule.kind == "same_value":  # the same quantity reported on two rows
            value[rule.operands["b"]] = value[rule.operands["a"]]
    for _ in range(3):  # each pass only moves values towards consistency
        for rule in rules:
            o = rule.operands
            if rule.kind == "parts_within":
                total = sum(value[p] for p in o["parts"])
                if isinstance(o["whole"], str):
                    value[o["whole"]] = max(value[o["whole"]], round(total * 1.25, 2))
                elif total > o["whole"]:
                    for p in o["parts"]:
                        value[p] = round(o["whole"] / (len(o["parts"]) + 1), 1)
            elif rule.kind == "share_of":
                for share, part in zip(o["shares"], o["parts"], strict=True):
                    if share in grouped:
                        value[part] = round(value[share] * value[o["total"]] / 100, 4)
                    else:
                        value[o["total"]] = max(value[o["total"]], value[part] * 2.5)
                        value[share] = round(value[part] / value[o["total"]] * 100, 4)
            elif rule.kind == "sum":
                value[o["total"]] = round(sum(value[p] for p in o["parts"]), 4)
    return value


def _multiplier(row: Row, column: Column, years: int) -> float:
    """Constant yearly levels aggregate to ×n for sums (and amounts with no rule), ×1 otherwise."""
    if column.is_year or column.first_year == column.last_year:
        return 1.0
    if row.period is PeriodAggregate.SUM or (
        row.period is PeriodAggregate.NONE and row.value_type is ValueType.AMOUNT
    ):
        return float(years)
    return 1.0


def consistent_values(spec: Spec) -> dict[tuple[str, str], float]:
    yearly = _year_values(spec)
    values = {}
    for row in spec.input_rows:
        for column in spec.campaign.columns:
            years = column.last_year - column.first_year + 1
            values[(row.key, column.id)] = round(yearly[row.key] * _multiplier(row, column, years), 4)
    _follow_reference(spec, values)
    return values


def _follow_reference(spec: Spec, values: dict[tuple[str, str], float]) -> None:
    """Rows no rule ties to others take their reference figures; their other years the nearest
    referenced year's, and their periods what the row's `period` says of those years."""
    tied = {key for rule in spec.rules if rule.kind != "range" for key in rule.operand_keys()}
    referenced = {key for key, _ in spec.reference.cells} - tied
    columns = spec.campaign.columns
    for key in sorted(referenced):
        row = spec.row_by_key[key]
        known = {
            c.first_year: ref.value
            for c in columns
            if c.is_year and (ref := spec.reference.get(key, c.id)) is not None
        }
        if not known:
            continue
        for column in columns:
            if column.is_year:
                nearest = min(known, key=lambda y: (abs(y - column.first_year), y))
                values[(key, column.id)] = known.get(column.first_year, known[nearest])
        for column in columns:
            ref = spec.reference.get(key, column.id)
            if column.is_year:
                continue
            if ref is not None:
                values[(key, column.id)] = ref.value
                continue
            period = [
                values[(key, c.id)]
                for c in columns
                if c.is_year
                and c.area == column.area
                and column.first_year <= c.first_year <= column.last_year
            ]
            value = (
                aggregate(row.period, period)
                if len(period) == column.last_year - column.first_year + 1
                else None
            )
            if value is not None:
                values[(key, column.id)] = round(value, 4)
