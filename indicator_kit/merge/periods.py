"""Period columns ("Giai đoạn 2019–2023") computed from the yearly values where the catalog
says how a row aggregates (`period`), for cells the agencies left blank. Pure: no file I/O.

A computed value never replaces anything an agency typed (a number, "x", or a rejected value):
only a missing cell is filled, with status `computed` and a description of how. A reported
period value that disagrees with its years stays what it is; the `period` rule reports it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

from indicator_kit.catalog.model import Column, PeriodAggregate, Row
from indicator_kit.catalog.spec import Spec
from indicator_kit.collect.numbers import ValueFlag, most_tentative
from indicator_kit.rules import decimals

# What a computed cell says it is, in the provenance sheet and in the annex's footnote.
METHOD_TEXT = {
    PeriodAggregate.SUM: "tổng các năm",
    PeriodAggregate.MEAN: "trung bình các năm",
    PeriodAggregate.LAST: "số năm cuối kỳ",
    PeriodAggregate.AVERAGE_GROWTH: "bình quân nhân các tốc độ tăng hằng năm",
}
FROM_LEVELS_TEXT = "tăng bình quân tính từ mức của năm cuối kỳ và năm trước kỳ"


def year_columns(spec: Spec, column: Column) -> list[Column | None]:
    """The year columns of the period's area, first to last year (None where there is none)."""
    by_year = {c.first_year: c for c in spec.campaign.columns if c.is_year and c.area == column.area}
    return [by_year.get(y) for y in range(column.first_year, column.last_year + 1)]


def _year_before(spec: Spec, column: Column) -> Column | None:
    return next(
        (
            c
            for c in spec.campaign.columns
            if c.is_year and c.area == column.area and c.first_year == column.first_year - 1
        ),
        None,
    )


def period_value(
    spec: Spec,
    row: Row,
    column: Column,
    lookup: Callable[[str, str], tuple[float, ValueFlag] | None],
) -> tuple[float, ValueFlag, str] | None:
    """(value, flag, how) of a period cell computed from its years, or None when the catalog does
    not say how or a year it needs has no usable value. `lookup(key, column id)` gives a
    reported value and its flag."""
    if column.is_year or row.period is PeriodAggregate.NONE:
        return None
    years = year_columns(spec, column)
    needed = years[-1:] if row.period is PeriodAggregate.LAST else years
    found = [lookup(row.key, c.id) if c is not None else None for c in needed]
    label = f"{METHOD_TEXT[row.period]} {column.first_year}–{column.last_year}"
    if all(x is not None for x in found):
        values = [x[0] for x in found if x is not None]
        flag = most_tentative(x[1] for x in found if x is not None)
        places = max(decimals(v) for v in values)
        if row.period is PeriodAggregate.SUM:
            value = math.fsum(values)
        elif row.period is PeriodAggregate.LAST:
            value = values[-1]
        elif row.period is PeriodAggregate.MEAN:
            value, places = math.fsum(values) / len(values), max(places, 1)
        else:
            product = math.prod(1 + v / 100 for v in values)
            if product <= 0:
                return None
            value, places = (product ** (1 / len(values)) - 1) * 100, max(places, 2)
        return round(value, places), flag, label
    if row.period is PeriodAggregate.AVERAGE_GROWTH and row.period_level:
        return _growth_from_levels(spec, row.period_level, column, lookup)
    return None


def _growth_from_levels(
    spec: Spec,
    level_key: str,
    column: Column,
    lookup: Callable[[str, str], tuple[float, ValueFlag] | None],
) -> tuple[float, ValueFlag, str] | None:
    before, last = _year_before(spec, column), year_columns(spec, column)[-1]
    if before is None or last is None:
        return None
    start, end = lookup(level_key, before.id), lookup(level_key, last.id)
    if start is None or end is None or start[0] <= 0 or end[0] <= 0:
        return None
    years = column.last_year - column.first_year + 1
    value = ((end[0] / start[0]) ** (1 / years) - 1) * 100
    label = (
        f"{FROM_LEVELS_TEXT} ({spec.row_by_key[level_key].label} {last.first_year} so với "
        f"{before.first_year})"
    )
    return round(value, 2), most_tentative((start[1], end[1])), label


def derivable_from_years(spec: Spec, row: Row, column: Column) -> bool:
    """Whether the period cell can be computed from the campaign's own year columns."""
    if column.is_year or row.period is PeriodAggregate.NONE:
        return False
    years = year_columns(spec, column)
    return all(y is not None for y in (years[-1:] if row.period is PeriodAggregate.LAST else years))


def office_computes(spec: Spec, slug: str) -> frozenset[tuple[str, str]]:
    """The agency's period cells the office computes when left blank: the guide tells agencies
    they may leave them, so a blank there is not a missing value."""
    periods = [c for c in spec.campaign.columns if not c.is_year]
    return frozenset(
        (row.key, column.id)
        for row in spec.rows_for(slug)
        for column in periods
        if derivable_from_years(spec, row, column)
    )


def computable_cells(spec: Spec) -> list[tuple[Row, Column]]:
    """Every (row, period column) the catalog says how to compute, in catalog order."""
    periods = [c for c in spec.campaign.columns if not c.is_year]
    return [
        (row, column)
        for row in spec.input_rows
        if row.period is not PeriodAggregate.NONE
        for column in periods
        if any(y is not None for y in year_columns(spec, column))
    ]


def how_computed(spec: Spec, row: Row) -> str:
    """For the agencies' guide: whether to type the row's period values, and how they follow."""
    if row.period is PeriodAggregate.NONE:
        return "Nhập số giai đoạn (không tính được từ các năm)."
    text = f"Để trống thì được tính: {METHOD_TEXT[row.period]}"
    if row.period_level:
        text += f" (hoặc từ mức {spec.row_by_key[row.period_level].label})"
    return text + ". Nếu nhập, số nhập được giữ và được đối chiếu với các năm."


def fill_blank_periods(
    spec: Spec,
    missing: Callable[[str, str], bool],
    lookup: Callable[[str, str], tuple[float, ValueFlag] | None],
) -> Mapping[tuple[str, str], tuple[float, ValueFlag, str]]:
    """The computed value of every missing period cell that can be computed."""
    out: dict[tuple[str, str], tuple[float, ValueFlag, str]] = {}
    for row, column in computable_cells(spec):
        if not missing(row.key, column.id):
            continue
        found = period_value(spec, row, column, lookup)
        if found is not None:
            out[(row.key, column.id)] = found
    return out
