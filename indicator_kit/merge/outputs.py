"""The master table on disk: PL2_tong_hop.xlsx and master_long.csv (rendered, then written)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from indicator_kit.catalog.spec import Spec
from indicator_kit.collect.numbers import ValueFlag, format_number
from indicator_kit.collect.report import PROBLEM_COLUMNS, SEVERITY_TEXT, neutralise
from indicator_kit.files import ensure_replaceable, write_atomic
from indicator_kit.finding_labels import code_label
from indicator_kit.findings import Finding
from indicator_kit.merge.annex import ANNEX_SHEET, LINE_POINTS, build_annex, draw_annex_sheet, lines_needed
from indicator_kit.merge.core import CellStatus, Master, MasterCell
from indicator_kit.template.layout import build_master_layout
from indicator_kit.template.xlsx import (
    FONT,
    Formats,
    campaign_properties,
    draw_header,
    draw_row_heading,
    row_style,
    text_safe_workbook,
)
from indicator_kit.verdict import State, Verdicts, judge

if TYPE_CHECKING:
    import pandas as pd

MASTER_XLSX = "PL2_tong_hop.xlsx"
MASTER_CSV = "master_long.csv"
LONG_COLUMNS = [
    "key",
    "tt",
    "label",
    "unit",
    "column",
    "value",
    "status",
    "obs_status",
    "agency",
    "source_file",
    "source_sha256",
]
STATUS_TEXT = {
    CellStatus.REPORTED: "đã báo cáo",
    CellStatus.NO_DATA: "không có số liệu",
    CellStatus.CO_AGENCY: "lấy từ đơn vị phối hợp",
    CellStatus.REJECTED: "bị loại (có lỗi)",
    CellStatus.MISSING: "chưa có",
    CellStatus.COMPUTED: "tính toán",
}
FLAG_TEXT = {ValueFlag.NORMAL: "", ValueFlag.PRELIMINARY: "sơ bộ", ValueFlag.ESTIMATED: "ước tính"}
FILLS = {
    CellStatus.CO_AGENCY: "#DDEBF7",
    CellStatus.REJECTED: "#F4B6B6",
    CellStatus.MISSING: "#FFF2CC",
    CellStatus.COMPUTED: "#E2EFDA",
}
CHANGED_FILL = "#FCE4D6"


def _time(value: datetime | None) -> str:
    """A moment as the sheets show it to people: day/month/year, hours (UTC, as every moment of a run)."""
    return value.astimezone(UTC).strftime("%d/%m/%Y %H:%M") if value else ""


def long_csv(spec: Spec, master: Master) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(LONG_COLUMNS)
    for row in spec.input_rows:
        for column in spec.campaign.columns:
            cell = master.cells[(row.key, column.id)]
            value = "" if cell.value is None else repr(cell.value)
            text = [row.key, row.tt, row.label, row.unit or "", column.id]
            provenance = [
                cell.status.value,
                cell.flag.value,
                cell.agency,
                cell.source_file,
                cell.source_sha256,
            ]
            # Only text is neutralised: a number such as -3.28 is data, never a formula.
            writer.writerow([*map(neutralise, text), value, *map(neutralise, provenance)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def load_master(path: Path | str) -> pd.DataFrame:
    """master_long.csv as a DataFrame: one row per key × column, `value` as float (NaN if none)."""
    import pandas as pd  # only here: a large import the rest of the pipeline does not need

    frame = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    frame["value"] = pd.to_numeric(frame["value"].replace("", None), errors="raise").astype(float)
    return frame


def _comment(spec: Spec, cell: MasterCell) -> str | None:
    agency = spec.agency_by_slug[cell.agency].short_name if cell.agency in spec.agency_by_slug else ""
    lines = []
    if cell.status is CellStatus.CO_AGENCY:
        lines.append(f"Số của {agency} (đơn vị phối hợp); đơn vị chủ trì để trống.")
    if cell.status is CellStatus.REJECTED:
        lines.append(f"Bị loại: {cell.reason} (tệp {cell.source_file})")
    if cell.status is CellStatus.COMPUTED:
        lines.append(f"Tính toán: {cell.derivation}; các đơn vị để trống ô này.")
    if cell.flag is not ValueFlag.NORMAL:
        lines.append(f"Đơn vị đánh dấu: {FLAG_TEXT[cell.flag]}.")
    if cell.changed:
        before = "(trống)" if cell.changed_from is None else format_number(cell.changed_from)
        lines.append(f"Đã thay đổi khi {agency} nộp lại; trước đó: {before}.")
    return "\n".join(lines) or None


def master_workbook(spec: Spec, master: Master, findings: list[Finding], verdicts: Verdicts) -> bytes:
    buffer = io.BytesIO()
    wb = text_safe_workbook(buffer)
    c = spec.campaign
    wb.set_properties(campaign_properties(c, "tổng hợp"))
    f = Formats(wb)
    names = {column.id: column.title for column in c.columns}  # as printed: "Năm 2021"
    agency_name = {a.slug: a.short_name for a in spec.agencies}
    row_label = {key: row.label for key, row in spec.row_by_key.items()}
    draw_annex_sheet(wb, wb.add_worksheet(ANNEX_SHEET), build_annex(spec, master.cells), c.recipient.name)
    _main_sheet(wb.add_worksheet("Phụ lục 2"), spec, master, f, wb)
    _table(
        wb.add_worksheet("Nguồn số liệu"),
        f,
        [
            "Mã dòng",
            "TT",
            "Chỉ tiêu",
            "ĐVT",
            "Cột",
            "Giá trị",
            "Trạng thái",
            "Tình trạng số liệu",
            "Đơn vị",
            "Tệp",
            "SHA-256",
            "Thời điểm lưu",
            "Ghi chú / giải trình của đơn vị",
        ],
        [
            [
                cell.key,
                spec.row_by_key[cell.key].tt,
                spec.row_by_key[cell.key].label,
                spec.row_by_key[cell.key].unit or "",
                names[cell.column],
                cell.value,
                STATUS_TEXT[cell.status],
                FLAG_TEXT[cell.flag],
                agency_name.get(cell.agency, cell.agency),
                cell.derivation or cell.source_file,
                cell.source_sha256,
                _time(cell.saved_at),
                cell.note,
            ]
            for cell in master.cells.values()
        ],
        [32, 6, 40, 9, 22, 12, 20, 12, 24, 34, 20, 17, 40],
    )
    _status_sheet(wb.add_worksheet("Tình trạng nộp"), f, spec, verdicts)
    # people's columns first (names, titles, words); the machine codes after, for filtering
    _table(
        wb.add_worksheet("Lỗi"),
        f,
        [
            *PROBLEM_COLUMNS,
            "Giải trình",
            "Mã lỗi",
            "Quy tắc",
            "Mã dòng",
            "Mã đơn vị",
        ],
        [
            [
                agency_name.get(x.agency, x.agency),
                x.file,
                x.sheet,
                x.cell,
                row_label.get(x.row_key, ""),
                names.get(x.column, x.column),
                SEVERITY_TEXT[x.severity],
                code_label(x.code),
                x.message,
                x.justification,
                x.code,
                x.rule,
                x.row_key,
                x.agency,
            ]
            for x in verdicts.still_open(findings)  # as findings.xlsx: a replaced file is history
        ],
        [22, 30, 12, 7, 40, 22, 9, 26, 90, 40, 20, 22, 32, 22],
        printed=10,
    )
    _table(
        wb.add_worksheet("Chênh lệch"),
        f,
        ["Chỉ tiêu", "Cột", "Số của các đơn vị", "Nội dung", "Quy tắc", "Mã dòng"],
        [
            [
                row_label[d.key],
                names[d.column],
                "; ".join(
                    f"{agency_name.get(a, a)}: {'' if v is None else format_number(v)}"
                    for a, v in d.values.items()
                ),
                d.message,
                d.rule,
                d.key,
            ]
            for d in master.disagreements
        ],
        [40, 22, 50, 90, 28, 32],
        printed=4,
    )
    _table(
        wb.add_worksheet("Nộp lại"),
        f,
        [
            "Đơn vị",
            "Chỉ tiêu",
            "Cột",
            "Giá trị cũ",
            "Giá trị mới",
            "Tệp cũ",
            "Tệp mới",
            "Mã dòng",
            "Mã đơn vị",
        ],
        [
            [
                agency_name.get(ch.agency, ch.agency),
                row_label[ch.key],
                names[ch.column],
                ch.old,
                ch.new,
                ch.old_file,
                ch.new_file,
                ch.key,
                ch.agency,
            ]
            for ch in master.changes
        ],
        [22, 40, 22, 14, 14, 30, 30, 32, 22],
        printed=7,
    )
    wb.close()
    return buffer.getvalue()


WRAPPED_WIDTH = 40  # characters


def _table(
    ws: Worksheet,
    f: Formats,
    headers: list[str],
    rows: list[list[object]],
    widths: list[int],
    printed: int | None = None,
) -> None:
    """`printed`: how many leading columns print (the codes after them are for filtering on screen)."""
    for col, title in enumerate(headers):
        ws.write_string(0, col, title, f.header)
        ws.set_column(col, col, widths[col])
    # Columns this wide hold sentences (messages, labels, notes): they wrap instead of running
    # into the next column.
    wrapped = [col for col, width in enumerate(widths) if width >= WRAPPED_WIDTH]
    bodies = [f.cell("table", wrap=col in wrapped) for col in range(len(widths))]
    write_string, write_number = ws.write_string, ws.write_number  # tens of thousands of cells
    for r, values in enumerate(rows, start=1):
        # the row as tall as its longest sentence: neither Excel nor LibreOffice sizes it on opening
        lines = max(
            (lines_needed(text, widths[col]) for col in wrapped if type(text := values[col]) is str),
            default=1,
        )
        if lines > 1:
            ws.set_row(r, LINE_POINTS * lines)
        for col, value in enumerate(values):
            body = bodies[col]
            if type(value) is str:
                write_string(r, col, value, body)
            elif value is None:
                ws.write_blank(r, col, None, body)
            elif isinstance(value, int | float) and not isinstance(value, bool):
                write_number(r, col, value, body)
            else:
                write_string(r, col, str(value), body)
    ws.freeze_panes(1, 0)
    if rows:
        ws.autofilter(0, 0, len(rows), len(headers) - 1)
    print_setup(ws, repeat=(0, 0))
    if printed is not None:
        ws.print_area(0, 0, max(len(rows), 1), printed - 1)


def _main_sheet(ws: Worksheet, spec: Spec, master: Master, f: Formats, wb: xlsxwriter.Workbook) -> None:
    layout = build_master_layout(spec)
    c, col = spec.campaign, layout.col
    last_visible = col["check"]
    for r, (text, fmt) in enumerate(
        [(c.annex, f.title), (c.annex_title, f.subtitle), (f"(Kèm theo {c.legal_basis})", f.italic_center)]
    ):
        ws.merge_range(r, 0, r, last_visible, text, fmt)
    ws.write(3, 0, f"Bảng tổng hợp của {c.recipient.name}", f.info_bold)
    ws.write(
        4,
        0,
        "Chú thích: nền xanh = số của đơn vị phối hợp; nền đỏ = số bị loại do có lỗi; "
        "nền vàng = chưa có số liệu; nền cam = thay đổi khi nộp lại. Di chuột vào ô để xem chi tiết.",
        f.info,
    )
    ws.write(
        5, 0, 'Nguồn từng số liệu: sheet "Nguồn số liệu"; tình hình nộp: sheet "Tình trạng nộp".', f.info
    )
    draw_header(ws, layout, f)
    formats: dict[tuple[str, bool], object] = {}

    def value_format(status: CellStatus, changed: bool) -> object:
        if (status.value, changed) not in formats:
            fill = CHANGED_FILL if changed else FILLS.get(status)
            formats[(status.value, changed)] = wb.add_format(
                {
                    "font_name": FONT,
                    "border": 1,
                    "bg_color": fill or "#FFFFFF",
                    "italic": status in (CellStatus.NO_DATA, CellStatus.REJECTED),
                }
            )
        return formats[(status.value, changed)]

    for lr in layout.rows:
        row, r = lr.row, lr.sheet_row
        fill, _ = row_style(lr)
        draw_row_heading(ws, lr, col, f)
        ws.write_string(
            r,
            col["agencies"],
            "; ".join(spec.agency_by_slug[a].short_name for a in row.printed_agencies),
            f.cell("agencies", fill=fill, wrap=True),
        )
        ws.write_string(r, col["key"], row.key)
        if lr.is_context:
            for column in c.columns:
                ws.write_blank(r, col[column.id], None, f.cell("text", fill=fill))
            ws.write_blank(r, col["note"], None, f.cell("text", fill=fill))
            ws.write_blank(r, col["check"], None, f.cell("text", fill=fill))
            continue
        missing = rejected = 0
        for column in c.columns:
            cell = master.cells[(row.key, column.id)]
            fmt = value_format(cell.status, cell.changed)
            if cell.status is CellStatus.NO_DATA:
                ws.write_string(r, col[column.id], "x", fmt)
            elif cell.status is CellStatus.REJECTED:
                ws.write_string(r, col[column.id], "bị loại", fmt)
                rejected += 1
            elif cell.value is None:
                ws.write_blank(r, col[column.id], None, fmt)
                missing += 1
            else:
                ws.write_number(r, col[column.id], cell.value, fmt)
            comment = _comment(spec, cell)
            if comment:
                ws.write_comment(r, col[column.id], comment, {"x_scale": 3, "y_scale": 1.5})
        summary = (
            "Đủ số liệu"
            if not missing and not rejected
            else ", ".join(
                x
                for x in (
                    f"thiếu {missing} ô" if missing else "",
                    f"{rejected} ô bị loại" if rejected else "",
                )
                if x
            )
        )
        ws.write_string(r, col["note"], "", f.cell("text"))
        ws.write_string(r, col["check"], summary, f.cell("check", align="center"))
    ws.set_column(col["tt"], col["tt"], 5)
    ws.set_column(col["label"], col["label"], 40)
    ws.set_column(col["unit"], col["unit"], 9)
    for column in c.columns:
        ws.set_column(col[column.id], col[column.id], 10 if column.is_year else 12)
    ws.set_column(col["agencies"], col["agencies"], 22)
    ws.set_column(col["note"], col["note"], 16)
    ws.set_column(col["check"], col["check"], 16)
    ws.set_column(col["key"], col["key"], 30, None, {"hidden": True})
    print_setup(ws, repeat=(layout.header_row, layout.header_row + 2))
    ws.print_area(0, 0, layout.rows[-1].sheet_row, last_visible)
    ws.freeze_panes(layout.first_data_row, col["unit"] + 1)


def print_setup(ws: Worksheet, repeat: tuple[int, int]) -> None:
    """Every sheet prints on A4 landscape, one page wide, its header rows on every page, with
    page numbers (a table of thousands of rows otherwise prints as hundreds of portrait pages)."""
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(*repeat)
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    ws.set_footer(f'&L&"{FONT}"&8&A&C&"{FONT}"&10Trang &P/&N')


def render_master(
    spec: Spec, master: Master, findings: list[Finding], verdicts: Verdicts | None = None
) -> dict[str, bytes]:
    """`verdicts`: the run's (see `verdict.judge`); without them, judged today from the master
    alone (files the merge could not use are then not known)."""
    if verdicts is None:
        counted = [x for s in master.statuses for x in ((s.current,) if s.current else ()) + s.older]
        verdicts = judge(spec, master, counted, date.today())
    return {
        MASTER_XLSX: master_workbook(spec, master, findings, verdicts),
        MASTER_CSV: long_csv(spec, master),
    }


STATUS_HEADERS = [
    "Đơn vị",
    "Mã đơn vị",
    "Tình trạng",
    "Thời hạn",
    "Tệp đang dùng",
    "Phiên bản mẫu",
    "Thời điểm lưu",
    "Thời điểm nhận",
    "Ô cần nhập",
    "Ô đã nhập",
    "Lỗi",
    "Cảnh báo",
    "Việc cần làm",
    "Tệp khác",
    "Cảnh báo đã giải trình",
]


def _status_sheet(ws: Worksheet, f: Formats, spec: Spec, verdicts: Verdicts) -> None:
    """One row per agency, in the verdict's words (the same as status and the mail)."""
    rows = []
    for a in verdicts.agencies:
        sub = a.current
        why = f" ({'; '.join(a.reasons)})" if a.reasons and a.state is not State.ACCEPTED else ""
        rows.append(
            [
                spec.agency_by_slug[a.agency].name,
                a.agency,
                str(a.state),
                str(a.timing),
                a.accepted_file,
                sub.identity.template_version if sub and sub.identity else "",
                _time(sub.saved_at) if sub else "",
                _time(a.received_at),
                a.expected,
                a.answered,
                a.errors,
                a.warnings,
                a.action + why,
                "; ".join(f"{x.file}: {x.note}" for x in a.files if x.file != a.accepted_file),
                a.explained,
            ]
        )
    _table(ws, f, STATUS_HEADERS, rows, [40, 24, 20, 12, 34, 10, 17, 17, 10, 10, 8, 9, 30, 50, 12])


def write_master(out_dir: Path, outputs: dict[str, bytes]) -> list[Path]:
    """Everything is rendered before anything is written, and every target is checked first: a
    file open in Excel (Windows locks it) stops the run before any output is replaced."""
    for name in outputs:
        ensure_replaceable(out_dir / name)
    paths = []
    for name, data in outputs.items():
        write_atomic(out_dir / name, data)
        paths.append(out_dir / name)
    return paths
