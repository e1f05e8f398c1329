"""Draw a `TemplateLayout` as an .xlsx workbook with xlsxwriter. Returns bytes; no file I/O."""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet

from indicator_kit.catalog.model import Campaign, PeriodAggregate, ValueType
from indicator_kit.merge.annex import LINE_POINTS, lines_needed
from indicator_kit.merge.periods import METHOD_TEXT, derivable_from_years
from indicator_kit.rules import Check, Ref, column_name, run_check
from indicator_kit.template.formulas import OK, cell_address, short_message
from indicator_kit.template.identity import TemplateIdentity
from indicator_kit.template.layout import (
    COLUMN_NUMBERS,
    COLUMN_TITLES,
    GUIDE_SHEET,
    ISSUES_SHEET,
    MAIN_SHEET,
    META_SHEET,
    LayoutRow,
    TemplateLayout,
)

FONT = "Times New Roman"
CONTEXT_FILL = "#E7E6E6"
SECTION_FILL = "#D0CECE"
INPUT_FILL = "#FFFFFF"
FAIL_FILL = "#F4B6B6"

WIDTHS = {"tt": 5, "label": 40, "unit": 9, "agencies": 24, "note": 16, "check": 20, "key": 30}
VALUE_WIDTH, PERIOD_WIDTH = 9, 11
GUIDE_WIDTH = 100  # the column's print width fits an A4 landscape page (LibreOffice does not shrink it)

_TYPE_HINT = {
    ValueType.COUNT: ("số nguyên không âm", "Số nguyên, không âm."),
    ValueType.SHARE: (
        "số từ 0 đến 100",
        "Tỷ lệ từ 0 đến 100: gõ 8,5 nghĩa là 8,5%; không gõ dấu %.",
    ),
    ValueType.GROWTH: ("một số (có thể âm)", "Tốc độ tăng, có thể âm: gõ 8,5 nghĩa là 8,5%."),
    ValueType.RATE: ("một số", "Số phần trăm: gõ 8,5 nghĩa là 8,5%; không gõ dấu %."),
    ValueType.AMOUNT: ("số không âm", "Số không âm."),
    ValueType.INDEX: ("số không âm", "Chỉ số hoặc điểm, không âm."),
    ValueType.RATIO: ("số không âm", "Hệ số, không âm."),
}


def text_safe_workbook(buffer: io.BytesIO) -> xlsxwriter.Workbook:
    """An in-memory workbook where text is always written as text: no guessing of numbers,
    formulas or links, so a value like "=cmd|..." from a returned file can never become a formula."""
    options = {
        "in_memory": True,
        "strings_to_numbers": False,
        "strings_to_formulas": False,
        "strings_to_urls": False,
    }
    return xlsxwriter.Workbook(buffer, options)


class ClassicFormulaWorksheet(Worksheet):
    """Our check formulas use only Excel 2007 functions (IF, IFERROR, AND, COUNT, ABS, MAX, LEN,
    TRUNC). xlsxwriter rewrites every formula with ~30 regular expressions to prefix newer
    functions; on our long formulas that was a quarter of the generation time, so it is skipped."""

    def _prepare_formula(self, formula: str, expand_future_functions: bool = False) -> str:
        return formula.removeprefix("{").removeprefix("=").removesuffix("}")


def validation_for(value_type: ValueType, unit: str) -> dict[str, Any]:
    """Data validation by value type. Style 'warning' lets a clerk keep the marker 'x' (no data)
    after confirming, which a 'stop' would forbid; the collector checks every value anyway."""
    if value_type is ValueType.COUNT:
        rule: dict[str, Any] = {"validate": "integer", "criteria": ">=", "value": 0}
    elif value_type is ValueType.SHARE:
        rule = {"validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 100}
    elif value_type in (ValueType.GROWTH, ValueType.RATE):
        rule = {"validate": "decimal", "criteria": "between", "minimum": -1e15, "maximum": 1e15}
    else:
        rule = {"validate": "decimal", "criteria": ">=", "value": 0}
    expected, hint = _TYPE_HINT[value_type]
    return {
        **rule,
        "error_type": "warning",
        "input_title": f"ĐVT: {unit}"[:32],
        "input_message": (
            f"{hint} Đơn vị tính: {unit}. Để trống nếu chưa có số liệu; gõ x nếu không có số liệu."
        )[:255],
        "error_title": "Giá trị chưa hợp lệ",
        "error_message": (
            f"Ô này cần {expected} (ĐVT: {unit}). Nếu đơn vị không có số liệu, gõ x rồi chọn Yes/Có để giữ."
        )[:255],
    }


class Formats:
    def __init__(self, wb: xlsxwriter.Workbook) -> None:
        def fmt(**props: Any) -> Format:
            return wb.add_format({"font_name": FONT, "font_size": 11, "valign": "vcenter", **props})

        self.title = fmt(bold=True, font_size=14, align="center")
        self.heading = fmt(bold=True, font_size=14)
        self.subtitle = fmt(bold=True, font_size=12, align="center")
        self.italic_center = fmt(italic=True, align="center")
        self.info = fmt()
        self.info_bold = fmt(bold=True)
        self.identity = fmt(italic=True, font_size=9, font_color="#595959")
        self.header = fmt(bold=True, align="center", text_wrap=True, border=1, bg_color="#DDEBF7")
        self.colnum = fmt(italic=True, align="center", border=1, font_size=10)
        self.fail = fmt(bg_color=FAIL_FILL, font_color="#9C0006", bold=True)
        self.cache: dict[tuple[Any, ...], Format] = {}
        self._fmt = fmt

    def cell(
        self,
        kind: str,
        *,
        bold: bool = False,
        italic: bool = False,
        indent: int = 0,
        locked: bool = True,
        fill: str | None = None,
        align: str | None = None,
        wrap: bool = False,
    ) -> Format:
        key = (kind, bold, italic, indent, locked, fill, align, wrap)
        if key not in self.cache:
            props: dict[str, Any] = {
                "border": 1,
                "bold": bold,
                "italic": italic,
                "locked": locked,
                "text_wrap": wrap,
            }
            if indent:
                props["indent"] = indent
            if fill:
                props["bg_color"] = fill
            if align:
                props["align"] = align
            self.cache[key] = self._fmt(**props)
        return self.cache[key]


@dataclass(frozen=True)
class Feedback:
    """What a feedback workbook adds to a template: returned values and the problems found."""

    values: Mapping[tuple[str, str], object]
    notes: Mapping[str, str]
    marks: Mapping[tuple[str, str], str]  # (row key, column id or "tt"/"label"/"unit") → message on the cell
    issues: list[tuple[str, str, str, str, str]]  # (cell, row label, column, severity, message)


def campaign_properties(campaign: Campaign, part: str) -> dict[str, Any]:
    """A workbook's document properties: the campaign's title, and the letter's date as its
    creation (xlsxwriter would write the time of the run: the same inputs, other bytes)."""
    return {
        "title": f"{campaign.annex} — {part}",
        "subject": campaign.title,
        "author": campaign.recipient.short_name,
        "created": datetime(campaign.issued.year, campaign.issued.month, campaign.issued.day),
    }


def render_template(
    layout: TemplateLayout, identity: TemplateIdentity, feedback: Feedback | None = None
) -> bytes:
    """The workbook as bytes; with `feedback`, pre-filled and annotated for the agency to fix."""
    buffer = io.BytesIO()
    wb = text_safe_workbook(buffer)
    campaign = layout.spec.campaign
    wb.set_properties(
        {
            **campaign_properties(campaign, layout.agency.short_name),
            "company": campaign.recipient.name,
            "comments": identity.visible_line(),
        }
    )
    for name, value in identity.as_properties().items():
        wb.set_custom_property(name, value)
    formats = Formats(wb)
    sheet = wb.add_worksheet(MAIN_SHEET, worksheet_class=ClassicFormulaWorksheet)
    _draw_main(sheet, layout, identity, formats, feedback)
    if feedback is not None:
        _draw_issues(wb.add_worksheet(ISSUES_SHEET), layout, formats, feedback)
    _draw_guide(wb.add_worksheet(GUIDE_SHEET), layout, formats)
    _draw_meta(wb.add_worksheet(META_SHEET), layout, identity)
    sheet.activate()
    wb.close()
    return buffer.getvalue()


def _draw_main(
    ws: Worksheet, layout: TemplateLayout, identity: TemplateIdentity, f: Formats, feedback: Feedback | None
) -> None:
    campaign, col = layout.spec.campaign, layout.col
    last_visible = col["check"]
    # Title block
    lines = [
        (campaign.annex, f.title),
        (campaign.annex_title, f.subtitle),
        (f"(Kèm theo {campaign.legal_basis})", f.italic_center),
    ]
    for r, (text, fmt) in enumerate(lines):
        ws.merge_range(r, 0, r, last_visible, text, fmt)
    ws.write(3, 0, f"Đơn vị báo cáo: {layout.agency.name}", f.info_bold)
    ws.write(4, 0, f"Hạn gửi: {campaign.deadline_text}", f.info)
    ws.write(5, 0, f"Gửi về: {campaign.recipient.short_name}", f.info)
    # The identity line is for the collector (it also reads the file properties and the meta
    # sheet): its row is hidden, so it neither distracts on screen nor prints.
    ws.write(6, 0, identity.visible_line(), f.identity)
    ws.set_row(6, None, None, {"hidden": True})
    ws.write(
        7,
        0,
        "Quy ước: chỉ nhập vào ô trắng; số phần trăm gõ dạng số (8,5 nghĩa là 8,5%); "
        "để trống = chưa có số liệu; gõ x = không có số liệu; số sơ bộ gõ thêm (sb), số ước tính "
        'gõ thêm (ut), ví dụ 125,3 (sb). Xem sheet "Hướng dẫn".',
        f.identity,
    )
    draw_header(ws, layout, f)
    address = cell_address(layout.row_of, col)
    for lr in layout.rows:
        _draw_row(ws, layout, lr, f, feedback, address)
    first, last = layout.first_data_row, layout.rows[-1].sheet_row
    ws.conditional_format(
        first,
        col["check"],
        last,
        col["check"],
        {
            "type": "formula",
            "criteria": f'=AND({xl_rowcol_to_cell(first, col["check"])}<>"",'
            f'{xl_rowcol_to_cell(first, col["check"])}<>"{OK}")',
            "format": f.fail,
        },
    )
    # Columns
    ws.set_column(col["tt"], col["tt"], WIDTHS["tt"])
    ws.set_column(col["label"], col["label"], WIDTHS["label"])
    ws.set_column(col["unit"], col["unit"], WIDTHS["unit"])
    for column in layout.value_columns:
        ws.set_column(col[column.id], col[column.id], VALUE_WIDTH if column.is_year else PERIOD_WIDTH)
    for name in ("agencies", "note", "check"):
        ws.set_column(col[name], col[name], WIDTHS[name])
    ws.set_column(col["key"], col["key"], WIDTHS["key"], None, {"hidden": True})
    # Print and view
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(layout.header_row, layout.header_row + 2)
    ws.print_area(0, 0, last, last_visible)
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    ws.set_footer('&C&"Times New Roman"Trang &P/&N')
    ws.freeze_panes(layout.first_data_row, col["unit"] + 1)
    ws.protect(
        campaign.protection_password,
        {
            "select_locked_cells": True,
            "select_unlocked_cells": True,
            "format_columns": True,
            "format_rows": True,
        },
    )


def draw_header(ws: Worksheet, layout: TemplateLayout, f: Formats) -> None:
    top, col = layout.header_row, layout.col
    for name in ("tt", "label", "unit", "agencies", "note", "check"):
        ws.merge_range(top, col[name], top + 1, col[name], COLUMN_TITLES[name], f.header)
        ws.write(top + 2, col[name], COLUMN_NUMBERS.get(name, ""), f.colnum)
    ws.write(top, col["key"], COLUMN_TITLES["key"])
    columns = list(layout.value_columns)
    i = 0
    while i < len(columns):
        group = columns[i].group
        j = i
        while group and j + 1 < len(columns) and columns[j + 1].group == group:
            j += 1
        first, last = col[columns[i].id], col[columns[j].id]
        if group:
            if first == last:
                ws.write(top, first, group, f.header)
            else:
                ws.merge_range(top, first, top, last, group, f.header)
            for c in columns[i : j + 1]:
                ws.write(top + 1, col[c.id], c.header, f.header)
        else:
            ws.merge_range(top, first, top + 1, first, columns[i].header, f.header)
        i = j + 1
    for c in columns:
        ws.write(top + 2, col[c.id], c.number, f.colnum)
    ws.set_row(top, 30)
    ws.set_row(top + 1, 45)


def _draw_row(
    ws: Worksheet, layout: TemplateLayout, lr: LayoutRow, f: Formats, feedback: Feedback | None, address: Any
) -> None:
    values = feedback.values if feedback else {}
    notes = feedback.notes if feedback else {}
    marks = feedback.marks if feedback else {}
    row, r, col = lr.row, lr.sheet_row, layout.col
    fill, bold = row_style(lr)
    locked = f.cell("text", bold=bold, italic=row.italic, fill=fill)
    # a finding on the row itself (a unit typed in another unit, an edited label) marks its cell
    draw_row_heading(ws, lr, col, f, {n: m for n in HEADING_CELLS if (m := marks.get((row.key, n)))})
    agencies = layout.agencies_text(lr) if not lr.is_context else ""
    ws.write_string(r, col["agencies"], agencies, f.cell("agencies", fill=fill, wrap=True))
    height = row_height(lr, agencies, WIDTHS)
    if height:
        ws.set_row(r, height)
    ws.write_string(r, col["key"], row.key)
    if lr.is_context:
        for column in layout.value_columns:
            ws.write_blank(r, col[column.id], None, locked)
        ws.write_blank(r, col["note"], None, locked)
    else:
        plain = f.cell("value", locked=False, fill=INPUT_FILL)
        marked = f.cell("value", locked=False, fill=FAIL_FILL)
        for column in layout.value_columns:
            value = values.get((row.key, column.id))
            mark = marks.get((row.key, column.id))
            value_fmt = marked if mark else plain
            if value is None:
                ws.write_blank(r, col[column.id], None, value_fmt)
            elif isinstance(value, int | float):
                ws.write_number(r, col[column.id], value, value_fmt)
            else:
                ws.write_string(r, col[column.id], str(value), value_fmt)
            if mark:
                ws.write_comment(r, col[column.id], mark, COMMENT_OPTIONS)
        assert row.value_type is not None and row.unit is not None
        first, last = col[layout.value_columns[0].id], col[layout.value_columns[-1].id]
        ws.data_validation(r, first, r, last, validation_for(row.value_type, row.unit))
        ws.write_string(
            r,
            col["note"],
            notes.get(row.key, ""),
            f.cell("note", locked=False, fill=INPUT_FILL, wrap=True),
        )
    checks = layout.checks_by_anchor.get(row.key)
    check_fmt = f.cell("check", fill=fill, align="center", wrap=True)
    if checks:
        # The cached result is what the formula gives for the values written, so no program
        # that shows cached results (Protected View, LibreOffice) shows a stale "OK".
        cached = OK if feedback is None else check_result(checks, values)
        ws.write_formula(r, col["check"], layout.check_formulas[row.key], check_fmt, cached)
    else:
        ws.write_blank(r, col["check"], None, check_fmt)


def period_guide(layout: TemplateLayout) -> list[str]:
    """For the guide: per kind of row the agency reports, whether to type its period values and
    how the office computes the ones left blank (merge.periods)."""
    spec = layout.spec
    periods = [c for c in spec.campaign.columns if not c.is_year]
    by_kind: dict[PeriodAggregate, list[LayoutRow]] = {}
    for lr in layout.input_rows:
        by_kind.setdefault(lr.row.period, []).append(lr)
    lines = ["7. Cột giai đoạn (các cột " + ", ".join(f'"{column_name(c)}"' for c in periods) + "):"]
    for kind in (*METHOD_TEXT, PeriodAggregate.NONE):
        rows = by_kind.get(kind)
        if not rows:
            continue
        example = rows[0].row.label
        if kind is PeriodAggregate.NONE:
            lines.append(f'   - {len(rows)} chỉ tiêu như "{example}": nhập số của từng giai đoạn.')
            continue
        blank = [c for c in periods if derivable_from_years(spec, rows[0].row, c)]
        typed = [c for c in periods if c not in blank]
        text = f'   - {len(rows)} chỉ tiêu như "{example}" ({METHOD_TEXT[kind]}):'
        if blank:
            text += " có thể để trống cột " + ", ".join(f'"{column_name(c)}"' for c in blank)
            text += f" — Sở tính bằng {METHOD_TEXT[kind]}; nếu nhập, số nhập được giữ và được đối chiếu"
        if typed:
            text += ("; " if blank else " ") + "nhập cột " + ", ".join(f'"{column_name(c)}"' for c in typed)
        lines.append(text + ".")
    return lines


def check_result(checks: list[Check], values: Mapping[tuple[str, str], object]) -> str:
    """The "Kiểm tra" text the row's formula shows for these values: the first failing check's
    short reason, else OK (text and blanks skip a check, as in the formula)."""

    def number(ref: Ref) -> float | None:
        value = values.get((ref.key, ref.column))
        return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None

    for check in checks:
        outcome = run_check(check, number)
        if outcome is not None and not outcome.passed:
            return short_message(check)
    return OK


def row_height(lr: LayoutRow, text: str, widths: Mapping[str, float]) -> float | None:
    """Points for a row whose label or agency text wraps (None: one line, the default). Set
    explicitly because LibreOffice does not grow rows for wrapped text in files it did not write."""
    lines = max(
        lines_needed(lr.row.label, widths["label"] - 2 * max(0, lr.depth - 1)),
        lines_needed(text, widths["agencies"]) if text else 1,
    )
    return LINE_POINTS * lines if lines > 1 else None


def row_style(lr: LayoutRow) -> tuple[str | None, bool]:
    """(fill, bold) of a row: sections shaded darker, context rows lighter, top groups bold."""
    section = lr.depth == 0
    fill = SECTION_FILL if section else (CONTEXT_FILL if lr.is_context else None)
    return fill, section or (lr.is_context and lr.depth <= 1)


HEADING_CELLS = ("tt", "label", "unit")
COMMENT_OPTIONS = {"author": "indicator-kit", "x_scale": 3, "y_scale": 2}


def draw_row_heading(
    ws: Worksheet, lr: LayoutRow, col: dict[str, int], f: Formats, marks: Mapping[str, str] | None = None
) -> None:
    """TT, label and unit cells of a row, as printed (shared by templates and the master).
    `marks`: heading cell name → why a feedback shades that cell (shown as its comment)."""
    row, r = lr.row, lr.sheet_row
    fill, bold = row_style(lr)
    marks = marks or {}

    def shade(name: str) -> str | None:
        return FAIL_FILL if name in marks else fill

    indent = max(0, lr.depth - 1)
    ws.write_string(r, col["tt"], row.tt, f.cell("tt", bold=bold, fill=shade("tt"), align="center"))
    label = f.cell("label", bold=bold, italic=row.italic, indent=indent, fill=shade("label"), wrap=True)
    ws.write_string(r, col["label"], row.label, label)
    ws.write_string(r, col["unit"], row.unit or "", f.cell("unit", fill=shade("unit"), align="center"))
    for name, mark in marks.items():
        ws.write_comment(r, col[name], mark, COMMENT_OPTIONS)


def _draw_issues(ws: Worksheet, layout: TemplateLayout, f: Formats, feedback: Feedback) -> None:
    headers = ["Ô", "Chỉ tiêu", "Cột", "Mức độ", "Nội dung"]
    present = {severity for _, _, _, severity, _ in feedback.issues}
    title = {
        frozenset({"error"}): "LỖI CẦN SỬA",
        frozenset({"warning"}): "ĐIỂM CẦN XEM LẠI",
    }.get(frozenset(present), "LỖI CẦN SỬA VÀ ĐIỂM CẦN XEM LẠI")
    ws.write_string(0, 0, f"{title} — {layout.agency.name}", f.heading)
    ws.write_string(
        1,
        0,
        'Các ô cần sửa hoặc cần xem lại được tô đỏ trong sheet "Phụ lục 2"; di chuột vào ô để xem lý '
        "do. Lỗi: sửa số liệu. Cảnh báo: nếu số liệu đúng, ghi giải trình vào cột "
        f'"{COLUMN_TITLES["note"]}" của dòng đó. Xong, lưu và gửi lại tệp này.',
        f.info,
    )
    for c, title in enumerate(headers):
        ws.write_string(3, c, title, f.header)
    severity_text = {"error": "Lỗi", "warning": "Cảnh báo", "info": "Thông tin"}
    body = f.cell("issue", wrap=True)
    widths = [10, 40, 22, 10, 90]
    for r, (cell, label, column, severity, message) in enumerate(feedback.issues, start=4):
        texts = [cell, label, column, severity_text.get(severity, severity), message]
        for c, text in enumerate(texts):
            ws.write_string(r, c, text, body)
        # wrapped text needs its height set: spreadsheet programs do not grow the row on opening
        lines = max(lines_needed(text, width) for text, width in zip(texts, widths, strict=True))
        if lines > 1:
            ws.set_row(r, LINE_POINTS * lines)
    for c, width in enumerate(widths):
        ws.set_column(c, c, width)
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(3)
    ws.protect(layout.spec.campaign.protection_password)


def _draw_guide(ws: Worksheet, layout: TemplateLayout, f: Formats) -> None:
    campaign = layout.spec.campaign
    recipient = campaign.recipient
    contact = ", ".join(x for x in (recipient.contact_person, recipient.email, recipient.phone) if x)
    lines = [
        (f"HƯỚNG DẪN ĐIỀN BIỂU {campaign.annex}", f.heading),
        (f"Đơn vị báo cáo: {layout.agency.name}", f.info_bold),
        (f"Căn cứ: {campaign.legal_basis}.", f.info),
        (
            f"Hạn gửi: {campaign.deadline_text}. Gửi về: {recipient.name}"
            + (f" ({contact})." if contact else "."),
            f.info_bold,
        ),
        ("", f.info),
        (
            '1. Chỉ nhập số liệu vào các ô nền trắng trong sheet "Phụ lục 2". Các dòng tô xám là '
            "dòng tiêu đề để đối chiếu, không cần nhập.",
            f.info,
        ),
        (
            "2. Nhập đúng đơn vị tính ở cột ĐVT (ví dụ tỷ.đ là tỷ đồng, tr.usd là triệu USD). Không "
            "đổi đơn vị; nếu số liệu của đơn vị theo đơn vị khác, hãy quy đổi trước khi nhập.",
            f.info,
        ),
        (
            "3. Số phần trăm gõ dạng số: 8,5 nghĩa là 8,5%. Không gõ dấu %, không định dạng ô thành %.",
            f.info,
        ),
        (
            "4. Dấu thập phân theo cài đặt của máy (dấu phẩy hoặc dấu chấm). Không dùng dấu phân "
            "cách hàng nghìn khi gõ.",
            f.info,
        ),
        (
            "5. Để trống ô = chưa có số liệu. Gõ x = đơn vị không có số liệu cho ô đó. Số 0 chỉ "
            "dùng khi giá trị thực sự bằng 0.",
            f.info,
        ),
        (
            "6. Số sơ bộ hoặc ước tính: gõ số rồi thêm (sb) hoặc (ut), ví dụ 125,3 (sb) hoặc 8,2 (ut). "
            "Excel/LibreOffice có thể hỏi vì ô không còn là số: chọn Yes/Có để giữ. Bảng tổng hợp ghi "
            "chú các số này là số sơ bộ (*) hoặc ước tính (**). Nguồn số liệu hoặc giải thích ghi vào "
            'cột "Ghi chú / nguồn số liệu".',
            f.info,
        ),
        *((text, f.info) for text in period_guide(layout)),
        (
            '8. Cột "Kiểm tra" tự động báo khi các số tự mâu thuẫn (tổng khác tổng các thành phần, '
            "tỷ trọng không bằng 100...). Ô chuyển màu đỏ: hãy xem lại số liệu của dòng đó.",
            f.info,
        ),
        (
            "9. Không chèn, xóa hay di chuyển dòng, cột; không đổi tên sheet; không sửa dòng mã "
            "nhận dạng biểu. Có thể lưu bằng Excel, LibreOffice hoặc WPS (.xlsx, .xls, .ods).",
            f.info,
        ),
        (
            "10. Gửi lại chính tệp này (có thể đổi tên tệp) qua thư điện tử; không chụp ảnh, không "
            "chuyển sang PDF.",
            f.info,
        ),
    ]
    wrapped = f.cell("guide", wrap=True)
    wrapped.set_border(0)
    for r, (text, fmt) in enumerate(lines):
        count = lines_needed(text, GUIDE_WIDTH)
        ws.write_string(r, 0, text, wrapped if count > 1 else fmt)
        if count > 1:
            ws.set_row(r, LINE_POINTS * count)
    ws.set_column(0, 0, GUIDE_WIDTH)
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.protect(campaign.protection_password)


def _draw_meta(ws: Worksheet, layout: TemplateLayout, identity: TemplateIdentity) -> None:
    """Machine-readable identity and cell map; very hidden in Excel, hidden elsewhere."""
    entries: list[tuple[str, str | int]] = [
        *identity.as_properties().items(),
        ("ik.main_sheet", MAIN_SHEET),
        ("ik.first_data_row", layout.first_data_row + 1),
    ]
    entries += [(f"col.{name}", index + 1) for name, index in layout.col.items()]
    entries += [(f"row.{lr.row.key}", lr.sheet_row + 1) for lr in layout.rows]
    for r, (name, value) in enumerate(entries):
        ws.write_string(r, 0, name)
        if isinstance(value, int):
            ws.write_number(r, 1, value)
        else:
            ws.write_string(r, 1, value)
    ws.protect(layout.spec.campaign.protection_password)
    ws.very_hidden()
