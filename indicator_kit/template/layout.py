"""Where everything sits in an agency's template: a pure function of the spec and the agency.

The writer draws this layout; the collector reads returned files against it; the feedback
workbook is the same layout pre-filled. Positions are 0-based (row, column) like xlsxwriter.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from indicator_kit.catalog.model import Agency, Column, Row
from indicator_kit.catalog.spec import Spec
from indicator_kit.rules import Check
from indicator_kit.template.formulas import cell_address, check_formula

MAIN_SHEET = "Phụ lục 2"
GUIDE_SHEET = "Hướng dẫn"
ISSUES_SHEET = "Lỗi cần sửa"
META_SHEET = "_ik_meta"

TITLE_ROWS = 8  # title block rows above the header
HEADER_ROWS = 3  # two header levels + the column-number row

FIXED_LEFT = ("tt", "label", "unit")
FIXED_RIGHT = ("agencies", "note", "check", "key")
COLUMN_TITLES = {
    "tt": "TT",
    "label": "Chỉ tiêu",
    "unit": "ĐVT",
    "agencies": "Đơn vị chủ trì, theo dõi, báo cáo",
    "note": "Ghi chú / nguồn số liệu",
    "check": "Kiểm tra",
    "key": "Mã dòng",
}
COLUMN_NUMBERS = {"tt": "A", "label": "B", "unit": "C"}


@dataclass(frozen=True)
class LayoutRow:
    row: Row
    sheet_row: int
    depth: int
    is_context: bool  # shown for orientation only: no input cells
    role: str | None  # "lead" or "co" for the agency's input rows


@dataclass(frozen=True)
class TemplateLayout:
    spec: Spec
    agency: Agency
    rows: tuple[LayoutRow, ...]
    checks: tuple[Check, ...]

    @property
    def value_columns(self) -> tuple[Column, ...]:
        return self.spec.campaign.columns

    @cached_property
    def col(self) -> dict[str, int]:
        """Column index of each fixed column id and each value column id."""
        names = [*FIXED_LEFT, *(c.id for c in self.value_columns), *FIXED_RIGHT]
        return {name: i for i, name in enumerate(names)}

    @property
    def header_row(self) -> int:
        return TITLE_ROWS

    @property
    def first_data_row(self) -> int:
        return TITLE_ROWS + HEADER_ROWS

    @property
    def last_col(self) -> int:
        return len(self.col) - 1

    @cached_property
    def row_of(self) -> dict[str, int]:
        return {lr.row.key: lr.sheet_row for lr in self.rows}

    @property
    def input_rows(self) -> list[LayoutRow]:
        return [lr for lr in self.rows if not lr.is_context]

    def cell(self, key: str, column_id: str) -> tuple[int, int]:
        return self.row_of[key], self.col[column_id]

    @cached_property
    def checks_by_anchor(self) -> dict[str, list[Check]]:
        grouped: dict[str, list[Check]] = {}
        for check in self.checks:
            grouped.setdefault(check.anchor, []).append(check)
        return grouped

    @cached_property
    def check_formulas(self) -> dict[str, str]:
        """The live "Kiểm tra" formula of each anchor row (rendered once per layout)."""
        address = cell_address(self.row_of, self.col)
        return {anchor: check_formula(checks, address) for anchor, checks in self.checks_by_anchor.items()}

    def agencies_text(self, lr: LayoutRow) -> str:
        by_slug = self.spec.agency_by_slug
        if lr.role == "co":
            # Who leads, and that this agency reports too (the old "Chủ trì: X (đơn vị phối hợp
            # báo cáo)" read as if X were the co-reporter).
            return f"Quý đơn vị cùng báo cáo; đơn vị chủ trì: {by_slug[lr.row.lead].short_name}"
        return "; ".join(by_slug[s].short_name for s in lr.row.printed_agencies)


def build_master_layout(spec: Spec) -> TemplateLayout:
    """Every printed row, for the master table (the recipient stands in as the agency)."""
    recipient = Agency("tong_hop", spec.campaign.recipient.name, spec.campaign.recipient.short_name)
    rows, sheet_row = [], TITLE_ROWS + HEADER_ROWS
    for row in spec.rows:
        rows.append(LayoutRow(row, sheet_row, len(spec.ancestors(row.key)), not row.is_input, None))
        sheet_row += 1
    return TemplateLayout(spec, recipient, tuple(rows), ())


def build_layout(spec: Spec, agency_slug: str, checks: tuple[Check, ...] = ()) -> TemplateLayout:
    """The agency's layout, with the `checks` its template shows live (`plan.compile_plan` gives
    every agency its own; a layout without checks is enough to find cells)."""
    agency = spec.agency_by_slug[agency_slug]
    inputs = spec.rows_for(agency_slug)
    wanted = {r.key for r in inputs}
    for row in inputs:
        wanted.update(a.key for a in spec.ancestors(row.key))
    input_keys = {r.key for r in inputs}
    rows: list[LayoutRow] = []
    sheet_row = TITLE_ROWS + HEADER_ROWS
    for row in spec.rows:
        if row.key not in wanted:
            continue
        is_input = row.key in input_keys
        role = ("lead" if row.lead == agency_slug else "co") if is_input else None
        depth = len(spec.ancestors(row.key))
        rows.append(LayoutRow(row, sheet_row, depth, not is_input, role))
        sheet_row += 1
    return TemplateLayout(spec, agency, tuple(rows), checks)
