"""Which indicators the report compares with the whole country and the region
(`workbook_specs/report.yaml`), and the comparison itself. Pure: reads only the spec file."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from indicator_kit.catalog.model import PERCENT_UNITS, Column, Row
from indicator_kit.catalog.spec import Spec
from indicator_kit.errors import IndicatorKitError
from indicator_kit.merge.annex import vietnamese_number
from indicator_kit.merge.core import CellStatus, MasterCell

REPORT_FILE = "report.yaml"


class ReportSpecError(IndicatorKitError):
    """report.yaml is missing or names something the catalog does not have."""


@dataclass(frozen=True)
class Indicator:
    row: Row
    title: str


@dataclass(frozen=True)
class ReportSpec:
    file: str
    province: Column
    others: tuple[Column, ...]
    indicators: tuple[Indicator, ...]


def load_report_spec(spec_dir: Path, spec: Spec) -> ReportSpec:
    path = spec_dir / REPORT_FILE
    where = f"Tệp {path}"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReportSpecError(f"{where} không có: cần danh sách chỉ tiêu so sánh của báo cáo.") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ReportSpecError(f"{where} không đọc được ({exc}).") from None
    problems: list[str] = []
    report = data.get("report") if isinstance(data, dict) else None
    if not isinstance(report, dict):
        raise ReportSpecError(f"{where}: thiếu mục 'report'.")
    columns = {c.id: c for c in spec.campaign.columns}
    compare = report.get("compare") or {}

    def column(column_id: object) -> Column | None:
        found = columns.get(str(column_id))
        if found is None:
            problems.append(f"cột '{column_id}' không có trong campaign.yaml")
        return found

    province = column(compare.get("province"))
    others = [column(x) for x in compare.get("others") or []]
    indicators = []
    for item in report.get("indicators") or []:
        key = item.get("key") if isinstance(item, dict) else item
        row = spec.row_by_key.get(str(key))
        if row is None or not row.is_input:
            problems.append(f"chỉ tiêu '{key}' không phải dòng nhập liệu của danh mục")
            continue
        indicators.append(
            Indicator(row, str(item.get("title") or row.label) if isinstance(item, dict) else row.label)
        )
    file = str(report.get("file") or "")
    if not file.endswith(".docx"):
        problems.append("'file' phải là tên tệp .docx")
    if problems or province is None:
        raise ReportSpecError(f"{where}: " + "; ".join(problems or ["thiếu 'compare.province'"]) + ".")
    return ReportSpec(file, province, tuple(c for c in others if c is not None), tuple(indicators))


def area_name(spec: Spec, column: Column) -> str:
    return spec.campaign.areas.get(column.area, column.header)


def usable(cell: MasterCell | None) -> float | None:
    if cell is None or cell.value is None:
        return None
    if cell.status in (CellStatus.REPORTED, CellStatus.CO_AGENCY, CellStatus.COMPUTED):
        return cell.value
    return None


@dataclass(frozen=True)
class ComparisonLine:
    indicator: Indicator
    province: float | None
    others: tuple[float | None, ...]
    places: int

    def difference(self, i: int) -> float | None:
        other = self.others[i]
        return None if self.province is None or other is None else self.province - other

    def difference_text(self, i: int) -> str:
        """ "+4,5 điểm %" for percentages (a difference in points), else the difference in the unit."""
        diff = self.difference(i)
        if diff is None:
            return ""
        unit = self.indicator.row.unit or ""
        sign = "+" if diff > 0 else ("−" if diff < 0 else "")
        number = vietnamese_number(abs(diff), self.places)
        return f"{sign}{number} {'điểm %' if unit in PERCENT_UNITS else unit}".strip()


def comparison(
    report: ReportSpec, cells: Mapping[tuple[str, str], MasterCell], decimals: Mapping[str, int]
) -> list[ComparisonLine]:
    lines = []
    for indicator in report.indicators:
        key = indicator.row.key
        province = usable(cells.get((key, report.province.id)))
        others = tuple(usable(cells.get((key, c.id))) for c in report.others)
        lines.append(ComparisonLine(indicator, province, others, decimals.get(key, 1)))
    return lines
