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

from indicator_kit.catalog.model import Column, Row, ValueType
from indicator_kit.catalog.plausibility import Band
from indicator_kit.catalog.reference import ReferenceValue
from indicator_kit.catalog.spec import Spec
from indicator_kit.collect.model import CellTable
from indicator_kit.collect.numbers import format_number
from indicator_kit.findings import Finding, finding
from indicator_kit.rules import column_name

PERCENT_UNITS = frozenset({"%", "%/năm"})
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

    def add(self, code: str, position: int, message: str) -> None:
        column = self.columns.ids[position]
        self.done.add(position)
        self.out.append(
            finding(
                code,
                message,
                sheet=self.sheet,
                cell=self.cells.address((self.row.key, column)),
                row_key=self.row.key,
                column=column,
                **self.where,
            )
        )

    def place(self, position: int) -> str:
        address = self.cells.address((self.row.key, self.columns.ids[position]))
        return f'Ô {address} ("{self.row.label}", cột {column_name(self.columns.meta[position])})'

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
                    f'Dòng "{self.row.label}" (ĐVT {self.row.unit}) có mọi năm nhỏ hơn 1 '
                    f"(từ {format_number(values[first])} đến {format_number(values[last])}): có thể đã gõ "
                    f"dạng phân số (0,086 thay vì 8,6) cho cả dòng.",
                )
                self.done.update(year_small)
                return
        for j in small:
            shown = abs(values[j]) * 100
            centre = median(evidence) if evidence else None
            ref = ref_values.get(j)
            if ref is not None and _in_line(shown, ref) and not _in_line(abs(values[j]), ref):
                why = f"số tham chiếu {format_number(ref)} ({self.refs[j].quoted()})"
            elif centre is not None and _in_line(shown, centre):
                why = f"các ô khác cùng dòng cỡ {format_number(centre)}"
            elif comparison and _in_line(shown, median(comparison)):
                why = f"cột so sánh cỡ {format_number(median(comparison))}"
            else:
                continue
            self.add(
                "percent-as-fraction",
                j,
                f"{self.place(j)} là {format_number(values[j])}, trong khi {why}: có thể đã gõ dạng "
                f"phân số (định dạng %) thay vì {format_number(values[j] * 100)}.",
            )

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
                    f'Dòng "{self.row.label}" gấp khoảng {format_number(round(typical, 4))} lần số tham '
                    f"chiếu ({self.place(first)} là {format_number(values[first])}, số tham chiếu "
                    f"{format_number(ref.value)} theo {ref.quoted()}): có thể cả dòng nhập sai đơn vị "
                    f"(nghìn / triệu) so với ĐVT {self.row.unit}.",
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
                    f"{self.place(j)} là {format_number(values[j])}, gấp khoảng "
                    f"{format_number(round(ratio, 4))} lần các năm khác cùng dòng "
                    f"(trung vị {format_number(centre)}).",
                )

    # --- the band
    def ranges(self, reported: list[int]) -> None:
        low, high = self.band.low, self.band.high
        for j in reported:
            v = self.values[j]
            if j in self.done or not ((low is not None and v < low) or (high is not None and v > high)):
                continue
            lower = "" if low is None else format_number(low)
            upper = "" if high is None else format_number(high)
            self.add(
                "implausible-value",
                j,
                f"{self.place(j)} là {format_number(v)}, ngoài khoảng thường gặp của chỉ tiêu "
                f"({f'{lower} – {upper}'.strip()}).",
            )

    def reference(self, reported: list[int]) -> None:
        for j, ref in self.refs.items():
            if j in self.done or j not in reported:
                continue
            tolerance = self.band.reference_tolerance(ref.value)
            v = self.values[j]
            if tolerance is None or abs(v - ref.value) <= tolerance + 1e-9:
                continue
            note = f"; ghi chú của nguồn: {ref.note}" if ref.note else ""
            self.add(
                "reference-mismatch",
                j,
                f"{self.place(j)} là {format_number(v)}, khác số tham chiếu {format_number(ref.value)} "
                f"({ref.quoted()}, tệp {ref.file}{note}) {format_number(abs(v - ref.value))}, quá mức "
                f"cho phép {format_number(round(tolerance, 4))}.",
            )

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
            self.add(
                "implausible-change",
                after,
                f"{self.place(after)} là {format_number(values[after])}, năm trước "
                f"{format_number(values[before])}: thay đổi "
                f"{_change_words(values[before], values[after], band)}, lớn hơn mức thường gặp của chỉ tiêu.",
            )


def _change_words(before: float, after: float, band: Band) -> str:
    if band.change_factor is not None and before and after and (before > 0) == (after > 0):
        return f"gấp {format_number(round(after / before, 2))} lần"
    return f"{format_number(round(after - before, 4))} điểm"
