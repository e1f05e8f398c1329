"""Synthetic values that satisfy every rule of checks.yaml, derived from the rules themselves.

Used to fill templates as a careful agency would (tests, benchmark). Levels are the same every
year (so growth is 0), structures split evenly, and parts, shares and totals are derived from
each other by the rule kinds (`RuleKind.sample_seed`, `sample_settle`), so no indicator is named
here. A row that no rule ties to others and that has reference figures (`Spec.reference`)
follows them, as an honest agency's would.
"""

from __future__ import annotations

from indicator_kit.catalog.model import Column, PeriodAggregate, Row, ValueType
from indicator_kit.catalog.reference import aggregate
from indicator_kit.catalog.spec import Spec
from indicator_kit.rules import SampleValues

BASE = {
    ValueType.AMOUNT: 1000.0,
    ValueType.COUNT: 100.0,
    ValueType.SHARE: 50.0,
    ValueType.GROWTH: 0.0,
    ValueType.RATE: 10.0,
    ValueType.INDEX: 100.0,
    ValueType.RATIO: 2.5,
}


def _year_values(spec: Spec) -> dict[str, float]:
    """One value per input row: each rule kind decides some outright, then moves the others
    towards satisfying it (a few passes over the rules in file order)."""
    values = SampleValues({r.key: BASE[r.value_type] for r in spec.input_rows if r.value_type})
    for rule in spec.rules:
        rule.operands.sample_seed(values)
    for _ in range(3):  # each pass only moves values towards consistency
        for rule in spec.rules:
            rule.operands.sample_settle(values)
    return values.values


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
    tied = {key for rule in spec.rules for key in rule.row_keys()}
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
