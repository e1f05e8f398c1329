"""Synthetic values that satisfy every rule of checks.yaml, derived from the rules themselves.

Used to fill templates as a careful agency would (tests, benchmark). Levels are the same every
year (so growth is 0), structures split evenly, and parts, shares and totals are derived from
each other by the rule kinds (`RuleKind.sample_seed`, `sample_settle`), so no indicator is named
here.
"""

from __future__ import annotations

from indicator_kit.catalog.model import Column, PeriodAggregate, Row, Spec, ValueType
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
    return values
