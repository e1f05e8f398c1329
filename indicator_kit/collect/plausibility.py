"""Slips and implausible values, judged row by row with what the row is.

A row is judged as a whole — its years, its comparison columns (the country, the region), its
reference figures (`Spec.reference`) and its band (`Spec.plausibility`) — never a cell against a
fixed threshold alone:

- a percentage typed as a fraction (0,086 for 8,6) is suspected only in a share row (a percent
  that cannot exceed 100) and only where value × 100 is in line with the rest of the row, the
  comparison columns or the reference; a growth rate of −0,61 beside 17,9 is a real year;
- a whole share row typed as fractions (every year 0,0xx) is suspected unless a comparison or
  reference figure of the row is as small as the values typed;
- a level about 1 000× (or 1/1 000) its other years, or a whole row about 1 000× its reference;
- outside the band's range, a year-on-year change outside the band, far from the reference.

Everything here is a warning, and one cell gets one finding: a slip explains the implausible
change it causes. Costs one pass over each row's numbers; rows with nothing unusual are left
after a few comparisons.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise
from statistics import median

from indicator_kit.catalog.model import PERCENT_UNITS, Column, Row, ValueType
from indicator_kit.catalog.plausibility import Band
from indicator_kit.catalog.reference import ReferenceValue
from indicator_kit.catalog.spec import Spec
from indicator_kit.collect.model import CellTable
from indicator_kit.findings import Finding, finding
from indicator_kit.rules import column_name

LEVEL_TYPES = frozenset({ValueType.AMOUNT, ValueType.COUNT, ValueType.RATIO})
SLIP_RATIO = 300  # a thousand-slip is ×1 000; anything beyond ×300 is not a real year-on-year move
IN_LINE = 3.0  # "in line with": within a factor of 3


@dataclass(frozen=True, slots=True)
class _Columns:
    ids: tuple[str, ...]
    meta: tuple[Column, ...]
    years: tuple[int, ...]  # positions of the year columns of the home area, in year order
    comparison: tuple[int, ...]  # positions of the columns of other areas (country, region)


def _columns(spec: Spec, ids: tuple[str, ...]) -> _Columns:
    by_id = {c.id: c for c in spec.campaign.columns}
    meta = tuple(by_id[c] for c in ids)
    year_cols = [i for i, c in enumerate(meta) if c.is_year]
    home = {meta[i].area for i in year_cols}
    years = tuple(sorted(year_cols, key=lambda i: meta[i].first_year))
    comparison = tuple(i for i, c in enumerate(meta) if c.area not in home)
    return _Columns(ids, meta, years, comparison)


def _in_line(a: float, b: float) -> bool:
    a, b = abs(a), abs(b)
    return a > 0 and b > 0 and b / IN_LINE <= a <= b * IN_LINE


def judge(
    spec: Spec,
    rows: tuple[str, ...],
    cells: CellTable,
    where: dict[str, str],
    sheet: str,
    in_error: set[tuple[str, str]] | frozenset[tuple[str, str]] = frozenset(),
) -> list[Finding]:
    """Findings for every row of one return; `rows`: the row keys to judge (the agency's);
    `in_error`: (key, column) of cells with an error already, which get nothing more."""
    table_rows, ids = cells.shape
    if not table_rows:
        return []
    columns = _columns(spec, ids)
    numbers = cells.numbers_array
    width = len(ids)
    reference = spec.reference
    referenced = {key for key, _ in reference.cells}
    in_error_rows = {key for key, _ in in_error}
    found: list[Finding] = []
    wanted = set(rows)
    row_by_key, band_of, years = spec.row_by_key, spec.plausibility.band, columns.years
    for index, key in enumerate(table_rows):
        if key not in wanted:
            continue
        row = row_by_key[key]
        band = band_of(row)
        values = numbers[index * width : (index + 1) * width]
        if key in referenced:
            refs = {j: r for j, c in enumerate(ids) if (r := reference.get(key, c)) is not None}
        elif _quiet(row, band, values, [values[j] for j in years]):
            continue  # most rows: nothing any check below could find
        else:
            refs = {}
        judged = _Row(row, values, refs, band, columns, cells, where, sheet, found)
        if key in in_error_rows:
            judged.done.update(j for j, c in enumerate(ids) if (key, c) in in_error)
        judged.judge()
    return found


def _quiet(row: Row, band: Band, values: object, year_values: list[float]) -> bool:
    """True when no check can fire on the row: a few comparisons of its extremes (NaN, not a
    usable number, is dropped by `v == v`)."""
    present = [v for v in values if v == v]  # type: ignore[attr-defined]
    if not present:
        return True
    low, high = min(present), max(present)
    if row.value_type is ValueType.SHARE and row.unit in PERCENT_UNITS and not (low >= 1 or high <= -1):
        return False  # a value below 1 in a share row: a fraction may have been typed
    if (band.low is not None and low < band.low) or (band.high is not None and high > band.high):
        return False
    years = [v for v in year_values if v == v]
    if len(years) < 2:
        return True
    low, high = min(years), max(years)
    if row.value_type in LEVEL_TYPES and not (low > 0 and high < SLIP_RATIO * low):
        return False
    if band.change_points is not None and high - low > band.change_points:
        return False
    if band.change_factor is not None and max(abs(low), abs(high)) >= band.change_floor:
        same_sign = low > 0 or high < 0
        if not same_sign or max(abs(low), abs(high)) > band.change_factor * min(abs(low), abs(high)):
            return False
    return True


class _Row:
    """One row's judgement; `done` holds the positions that already have a finding."""

    def __init__(
        self,
        row: Row,
        values: object,
        refs: dict[int, ReferenceValue],
        band: Band,
        columns: _Columns,
        cells: CellTable,
        where: dict[str, str],
        sheet: str,
        out: list[Finding],
    ) -> None:
        self.row, self.refs, self.band, self.columns = row, refs, band, columns
        self.values: list[float] = list(values)  # type: ignore[call-overload]
        self.cells, self.where, self.sheet, self.out = cells, where, sheet, out
        self.done: set[int] = set()

    def add(self, code: str, position: int, variant: str = "", **fields: object) -> None:
        column = self.columns.ids[position]
        self.done.add(position)
        self.out.append(
            finding(
                code,
                variant,
                sheet=self.sheet,
                cell=self.cells.address((self.row.key, column)),
                row_key=self.row.key,
                column=column,
                **self.where,
                **fields,
            )
        )

    def place(self, position: int) -> dict[str, str]:
        """The fields of `findings._PLACE`: the cell, its row's label and its column's name."""
        address = self.cells.address((self.row.key, self.columns.ids[position]))
        return {
            "address": address,
            "label": self.row.label,
            "column_name": column_name(self.columns.meta[position]),
        }

    def present(self, positions: tuple[int, ...] | range | list[int]) -> list[int]:
        """The positions holding a usable number and no finding yet."""
        return [j for j in positions if not math.isnan(self.values[j]) and j not in self.done]

    def judge(self) -> None:
        reported = self.present(range(len(self.values)))
        if not reported:
            return
        row = self.row
        if row.value_type is ValueType.SHARE and row.unit in PERCENT_UNITS:
            self.fractions(reported)
        if row.value_type in LEVEL_TYPES:
            self.thousands(reported)
        if self.band.low is not None or self.band.high is not None:
            self.ranges(reported)
        if self.refs:
            self.reference(reported)
        if self.band.judges_change:
            self.changes()

    # --- a percentage typed as a fraction
    def fractions(self, reported: list[int]) -> None:
        values, years = self.values, self.present(self.columns.years)
        small = [j for j in reported if 0 < abs(values[j]) < 1]
        if not small:
            return
        evidence = [abs(values[j]) for j in reported if abs(values[j]) >= 1]
        ref_values = {j: r.value for j, r in self.refs.items()}
        comparison = [abs(values[j]) for j in self.present(self.columns.comparison)]
        year_small = [j for j in years if 0 < abs(values[j]) < 1]
        if len(year_small) >= 2 and len(year_small) == len([j for j in years if values[j]]):
            # every year a fraction: the row as a whole, unless its comparison or reference
            # figures are as small (a share that is truly below 1 %)
            outside = [v for j, v in ref_values.items() if j not in year_small] + comparison
            typed = median(abs(values[j]) for j in year_small)
            if not any(_in_line(typed, v) for v in outside):
                first, last = year_small[0], year_small[-1]
                self.add(
                    "row-as-fractions",
                    first,
                    label=self.row.label,
                    unit=self.row.unit or "",
                    first=values[first],
                    last=values[last],
                )
                self.done.update(year_small)
                return
        for j in small:
            shown = abs(values[j]) * 100
            centre = median(evidence) if evidence else None
            ref = ref_values.get(j)
            seen = {"value": values[j], "percent": values[j] * 100, **self.place(j)}
            if ref is not None and _in_line(shown, ref) and not _in_line(abs(values[j]), ref):
                source = self.refs[j].quoted()
                self.add("percent-as-fraction", j, "reference", reference=ref, source=source, **seen)
            elif centre is not None and _in_line(shown, centre):
                self.add("percent-as-fraction", j, "row", typical=centre, **seen)
            elif comparison and _in_line(shown, median(comparison)):
                self.add("percent-as-fraction", j, "comparison", typical=median(comparison), **seen)

    # --- a level in the wrong thousand
    def thousands(self, reported: list[int]) -> None:
        values = self.values
        ratios = [
            (j, values[j] / r.value) for j, r in self.refs.items() if j in reported and values[j] and r.value
        ]
        if ratios:
            typical = median(abs(x) for _, x in ratios)
            if typical >= SLIP_RATIO or typical <= 1 / SLIP_RATIO:
                first, _ = ratios[0]
                ref = self.refs[first]
                self.add(
                    "scale-slip",
                    first,
                    "reference",
                    ratio=round(typical, 4),
                    value=values[first],
                    reference=ref.value,
                    source=ref.quoted(),
                    unit=self.row.unit or "",
                    **self.place(first),
                )
                self.done.update(reported)
                return
        years = [j for j in self.present(self.columns.years) if values[j]]
        if len(years) < 3:
            return
        sizes = [abs(values[j]) for j in years]
        if max(sizes) < SLIP_RATIO * min(sizes):
            return  # the usual row: done after one comparison
        for j in years:
            others = [abs(values[k]) for k in years if k != j]
            centre = median(others)
            ratio = abs(values[j]) / centre
            if ratio >= SLIP_RATIO or ratio <= 1 / SLIP_RATIO:
                self.add(
                    "scale-slip",
                    j,
                    "years",
                    value=values[j],
                    ratio=round(ratio, 4),
                    typical=centre,
                    **self.place(j),
                )

    # --- the band
    def ranges(self, reported: list[int]) -> None:
        low, high = self.band.low, self.band.high
        for j in reported:
            v = self.values[j]
            if j in self.done or not ((low is not None and v < low) or (high is not None and v > high)):
                continue
            if low is not None and high is not None:
                self.add("implausible-value", j, "between", value=v, low=low, high=high, **self.place(j))
            elif low is not None:
                self.add("implausible-value", j, "at-least", value=v, low=low, **self.place(j))
            else:
                self.add("implausible-value", j, "at-most", value=v, high=high, **self.place(j))

    def reference(self, reported: list[int]) -> None:
        for j, ref in self.refs.items():
            if j in self.done or j not in reported:
                continue
            tolerance = self.band.reference_tolerance(ref.value)
            v = self.values[j]
            if tolerance is None or abs(v - ref.value) <= tolerance + 1e-9:
                continue
            seen = {
                "value": v,
                "reference": ref.value,
                "source": ref.quoted(),
                "reference_file": ref.file,
                "difference": abs(v - ref.value),
                "tolerance": round(tolerance, 4),
                **self.place(j),
            }
            if ref.note:
                self.add("reference-mismatch", j, "noted", note=ref.note, **seen)
            else:
                self.add("reference-mismatch", j, **seen)

    def changes(self) -> None:
        values, band = self.values, self.band
        years = [j for j in self.columns.years if not math.isnan(values[j])]
        for before, after in pairwise(years):
            if before in self.done or after in self.done:
                continue
            if self.columns.meta[after].first_year != self.columns.meta[before].first_year + 1:
                continue
            if band.change_ok(values[before], values[after]):
                continue
            seen = {"value": values[after], "before": values[before], **self.place(after)}
            low, high = values[before], values[after]
            if band.change_factor is not None and low and high and (low > 0) == (high > 0):
                self.add("implausible-change", after, "factor", change=round(high / low, 2), **seen)
            else:
                self.add("implausible-change", after, "points", change=round(high - low, 4), **seen)
