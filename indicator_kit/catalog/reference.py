"""Reference figures a return is compared with, read from `workbook_specs/reference/*.csv`.

Three kinds of CSV file live in that folder, told apart by their header, so a later campaign
swaps files without touching code:

- published series — `area, indicator, year, value, unit, note, source`: figures as published,
  named as the publisher names them (Vietnamese indicator names);
- a name map — `area, indicator, key`: which catalog row each published name is, per area
  (area names as in campaign.yaml); a published name without a mapping is not used;
- a previous master — `key, column, value, …` (the `master_long.csv` the office kept from the
  previous round): keyed by catalog key and column id already.

A yearly figure of an area lands in that area's year column; a period column (2019–2023 for
"Cả nước") takes a figure published for the whole period (`year` written `2019-2023`), else the
aggregate of the yearly figures when the row's `period` says how and every year is published.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from indicator_kit.catalog.model import Campaign, Column, PeriodAggregate, Row
from indicator_kit.errors import SpecError, SpecProblem

REFERENCE_DIR = "reference"
PUBLISHED_FIELDS = frozenset({"area", "indicator", "year", "value"})
MAP_FIELDS = frozenset({"area", "indicator", "key"})
KEYED_FIELDS = frozenset({"key", "column", "value"})
_PERIOD = re.compile(r"^\s*(\d{4})\s*[-–—]\s*(\d{4})\s*$")


@dataclass(frozen=True, slots=True)
class ReferenceValue:
    value: float
    source: str  # who published it (or the previous master's file), for messages
    file: str  # the reference file it came from
    note: str = ""
    derived: str = ""  # how a period value was computed from yearly figures ("" when published)

    def quoted(self) -> str:
        """For messages: where the figure comes from, in Vietnamese."""
        origin = self.source or self.file
        if self.derived:
            return f"{self.derived} theo {origin}"
        return origin


@dataclass(frozen=True)
class Reference:
    cells: Mapping[tuple[str, str], ReferenceValue] = field(default_factory=dict)  # (key, column id)
    files: tuple[str, ...] = ()
    # Every published yearly figure by (key, area id, year), also for areas that have no year
    # columns in this campaign (the country, the region): for annexes and charts.
    series: Mapping[tuple[str, str, int], ReferenceValue] = field(default_factory=dict)

    def get(self, key: str, column: str) -> ReferenceValue | None:
        return self.cells.get((key, column))

    def __bool__(self) -> bool:
        return bool(self.cells)


EMPTY_REFERENCE = Reference()


def _read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
        return [name.strip() for name in (reader.fieldnames or [])], rows


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def aggregate(period: PeriodAggregate, values: list[float]) -> float | None:
    """A period's value from its yearly values, as the catalog's `period` says (None: not derivable)."""
    if not values:
        return None
    if period is PeriodAggregate.SUM:
        return sum(values)
    if period is PeriodAggregate.MEAN:
        return sum(values) / len(values)
    if period is PeriodAggregate.LAST:
        return values[-1]
    if period is PeriodAggregate.AVERAGE_GROWTH:
        product = math.prod(1 + v / 100 for v in values)
        return (product ** (1 / len(values)) - 1) * 100 if product > 0 else None
    return None


_DERIVED_WORDS = {
    PeriodAggregate.SUM: "tổng",
    PeriodAggregate.MEAN: "trung bình",
    PeriodAggregate.LAST: "số năm cuối",
    PeriodAggregate.AVERAGE_GROWTH: "tốc độ tăng bình quân",
}


def load_reference(spec_dir: Path, campaign: Campaign, rows: Iterable[Row]) -> Reference:
    """Every reference file of `spec_dir/reference/`, mapped to (key, column id)."""
    folder = spec_dir / REFERENCE_DIR
    if not folder.is_dir():
        return EMPTY_REFERENCE
    row_by_key = {r.key: r for r in rows}
    area_id = {name: area for area, name in campaign.areas.items()}
    problems: list[SpecProblem] = []

    def problem(file: str, line: int, text: str) -> None:
        problems.append(SpecProblem(file, f"dòng {line}", text))

    names: dict[tuple[str, str], str] = {}  # (area id, published name) → key
    published: list[tuple[str, dict[str, str], int]] = []
    keyed: list[tuple[str, dict[str, str], int]] = []
    files = sorted(folder.glob("*.csv"))
    for path in files:
        label = f"{REFERENCE_DIR}/{path.name}"
        try:
            header, records = _read_csv(path)
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            problems.append(SpecProblem(label, "", f"không đọc được tệp ({exc})"))
            continue
        fields = set(header)
        if fields >= MAP_FIELDS and "value" not in fields:
            for line, rec in enumerate(records, start=2):
                area, key = area_id.get(rec["area"].strip()), rec["key"].strip()
                if area is None:
                    problem(label, line, f"vùng '{rec['area']}' không có trong campaign.yaml")
                elif key not in row_by_key or not row_by_key[key].is_input:
                    problem(label, line, f"'{key}' không phải dòng nhập liệu của danh mục")
                else:
                    names[(area, rec["indicator"].strip())] = key
        elif fields >= PUBLISHED_FIELDS:
            published.extend((label, rec, line) for line, rec in enumerate(records, start=2))
        elif fields >= KEYED_FIELDS:
            keyed.extend((label, rec, line) for line, rec in enumerate(records, start=2))
        else:
            problems.append(
                SpecProblem(
                    label,
                    "dòng 1",
                    "tiêu đề cột không đúng dạng: cần (area, indicator, year, value, …), "
                    "(area, indicator, key) hoặc (key, column, value, …)",
                )
            )
    columns = campaign.columns
    column_ids = {c.id for c in columns}
    cells: dict[tuple[str, str], ReferenceValue] = {}
    yearly: dict[tuple[str, str, int], ReferenceValue] = {}  # (key, area, year)
    for label, rec, line in published:
        key = names.get((area_id.get(rec["area"].strip(), ""), rec["indicator"].strip()))
        if key is None:
            continue  # a published figure the catalog does not ask for
        value = _number(rec["value"].strip())
        if value is None:
            problem(label, line, f"giá trị '{rec['value']}' không phải là số")
            continue
        area = area_id[rec["area"].strip()]
        source, note = (rec.get("source") or "").strip(), (rec.get("note") or "").strip()
        found = ReferenceValue(value, source, label, note)
        year_text = rec["year"].strip()
        period = _PERIOD.match(year_text)
        if period:
            first, last = int(period.group(1)), int(period.group(2))
            column = _column(columns, area, first, last)
            if column is not None:
                cells.setdefault((key, column.id), found)
        elif year_text.isdigit():
            yearly.setdefault((key, area, int(year_text)), found)
        else:
            problem(label, line, f"năm '{year_text}' không đúng dạng (2019 hoặc 2019-2023)")
    for (key, area, year), found in yearly.items():
        column = _column(columns, area, year, year)
        if column is not None:
            cells.setdefault((key, column.id), found)
    for column in columns:
        if column.is_year:
            continue
        for key in {k for (k, area, _) in yearly if area == column.area}:
            row = row_by_key[key]
            years = range(column.first_year, column.last_year + 1)
            series = [yearly.get((key, column.area, y)) for y in years]
            if (key, column.id) in cells or any(s is None for s in series):
                continue
            value = aggregate(row.period, [s.value for s in series if s is not None])
            if value is not None:
                sources = sorted({s.source for s in series if s is not None and s.source})
                words = f"{_DERIVED_WORDS[row.period]} các năm {column.first_year}–{column.last_year}"
                cells[(key, column.id)] = ReferenceValue(
                    value, ", ".join(sources), series[0].file if series[0] else "", derived=words
                )
    for label, rec, _ in keyed:  # the previous round's master: published figures come first
        key, column_id = rec["key"].strip(), rec["column"].strip()
        value = _number(rec["value"].strip()) if rec["value"].strip() else None
        if key not in row_by_key or column_id not in column_ids or value is None:
            continue  # rows and columns a later catalog dropped, blanks
        cells.setdefault((key, column_id), ReferenceValue(value, "bảng tổng hợp kỳ trước", label))
    if problems:
        raise SpecError(problems)
    return Reference(
        dict(sorted(cells.items())),
        tuple(f"{REFERENCE_DIR}/{p.name}" for p in files),
        dict(sorted(yearly.items())),
    )


def _column(columns: tuple[Column, ...], area: str, first: int, last: int) -> Column | None:
    return next((c for c in columns if c.area == area and (c.first_year, c.last_year) == (first, last)), None)
