"""The printed Phụ lục 2 annex: values only, numbers formatted per row, footnotes for marks.

`build_annex` turns the master's cells into an `Annex` (pure data); the master workbook draws
it as its first sheet (`draw_annex_sheet`) and `indicator-kit report` as a Word table, so both
show the same numbers with the same decimals and marks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from indicator_kit.catalog.model import Column, Row, ValueType
from indicator_kit.catalog.spec import Spec
from indicator_kit.collect.numbers import ValueFlag
from indicator_kit.merge.core import CellStatus, MasterCell
from indicator_kit.rules import decimals

ANNEX_SHEET = "Phụ lục 2 (bản in)"
MAX_DECIMALS = 3
NO_DATA_TEXT = "-"
COMPUTED_MARK = "(a)"
FLAG_MARKS = {ValueFlag.PRELIMINARY: "(*)", ValueFlag.ESTIMATED: "(**)"}
FOOTNOTES = {
    FLAG_MARKS[ValueFlag.PRELIMINARY]: "Số liệu sơ bộ.",
    FLAG_MARKS[ValueFlag.ESTIMATED]: "Số liệu ước tính.",
    COMPUTED_MARK: (
        "Số tính toán từ số liệu các năm theo cách tổng hợp của chỉ tiêu (tổng, trung bình, số năm "
        "cuối kỳ hoặc tốc độ tăng bình quân); đơn vị báo cáo không nhập."
    ),
}
GENERAL_NOTE = (
    "Ô để trống: chưa có số liệu, hoặc số liệu đang đề nghị đơn vị sửa; "
    f'dấu "{NO_DATA_TEXT}": không có số liệu.'
)
AGENCY_TITLE = "Đơn vị chủ trì, theo dõi, báo cáo"
SHOWN = (CellStatus.REPORTED, CellStatus.CO_AGENCY, CellStatus.COMPUTED)


@dataclass(frozen=True)
class AnnexCell:
    value: float | None  # None: nothing to show (missing, rejected) or no data
    text: str  # the number in Vietnamese notation ("147.003,6"), "-" for no data, or ""
    marks: str = ""  # footnote marks, e.g. "(*)" or "(a)(*)"

    @property
    def shown(self) -> str:
        return f"{self.text} {self.marks}" if self.marks else self.text


@dataclass(frozen=True)
class AnnexRow:
    row: Row
    depth: int
    agencies: tuple[str, ...]  # short names as printed
    decimals: int
    cells: tuple[AnnexCell, ...]

    @property
    def is_input(self) -> bool:
        return self.row.is_input

    @property
    def bold(self) -> bool:
        return self.depth == 0 or (not self.is_input and self.depth <= 1)


@dataclass(frozen=True)
class HeaderGroup:
    first: int  # index into the value columns
    last: int
    title: str | None  # None: a column without a group (its header spans both header rows)


@dataclass(frozen=True)
class Annex:
    title: str
    subtitle: str
    basis: str
    columns: tuple[Column, ...]
    rows: tuple[AnnexRow, ...]
    footnotes: tuple[tuple[str, str], ...]  # (mark, text) of the marks used, in a fixed order

    @property
    def groups(self) -> list[HeaderGroup]:
        return header_groups(self.columns)

    @property
    def notes(self) -> list[str]:
        return [GENERAL_NOTE, *(f"{mark} {text}" for mark, text in self.footnotes)]


def header_groups(columns: tuple[Column, ...]) -> list[HeaderGroup]:
    groups: list[HeaderGroup] = []
    i = 0
    while i < len(columns):
        j = i
        while columns[i].group and j + 1 < len(columns) and columns[j + 1].group == columns[i].group:
            j += 1
        groups.append(HeaderGroup(i, j, columns[i].group))
        i = j + 1
    return groups


def vietnamese_number(value: float, places: int) -> str:
    """147003.64, 1 → "147.003,6": dot for thousands, comma for decimals, fixed decimals."""
    text = f"{value:,.{places}f}"
    if text.lstrip("-").strip("0,.") == "":
        text = text.lstrip("-")  # -0,0 reads as a sign error
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


def row_decimals(row: Row, values: list[float]) -> int:
    """The decimals the row is shown with: the most any of its values has (counts none)."""
    if row.value_type is ValueType.COUNT or not values:
        return 0
    return min(MAX_DECIMALS, max(decimals(v) for v in values))


def marks_of(cell: MasterCell) -> str:
    marks = COMPUTED_MARK if cell.status is CellStatus.COMPUTED else ""
    return marks + FLAG_MARKS.get(cell.flag, "")


def build_annex(spec: Spec, cells: Mapping[tuple[str, str], MasterCell]) -> Annex:
    c = spec.campaign
    rows: list[AnnexRow] = []
    used: set[str] = set()
    for row in spec.rows:
        agencies = tuple(spec.agency_by_slug[a].short_name for a in row.printed_agencies)
        depth = len(spec.ancestors(row.key))
        if not row.is_input:
            rows.append(AnnexRow(row, depth, agencies, 0, ()))
            continue
        mine = [cells[(row.key, column.id)] for column in c.columns]
        # computed values count too: an average growth of whole rates still needs its decimals
        places = row_decimals(row, [x.value for x in mine if x.value is not None and x.status in SHOWN])
        shown: list[AnnexCell] = []
        for cell in mine:
            if cell.status is CellStatus.NO_DATA:
                shown.append(AnnexCell(None, NO_DATA_TEXT))
            elif cell.status in SHOWN and cell.value is not None:
                marks = marks_of(cell)
                used.update(m for m in FOOTNOTES if m in marks)
                shown.append(AnnexCell(cell.value, vietnamese_number(cell.value, places), marks))
            else:
                shown.append(AnnexCell(None, ""))
        rows.append(AnnexRow(row, depth, agencies, places, tuple(shown)))
    footnotes = tuple((m, t) for m, t in FOOTNOTES.items() if m in used)
    return Annex(c.annex, c.annex_title, f"(Kèm theo {c.legal_basis})", c.columns, tuple(rows), footnotes)


# --- the annex as an xlsx sheet -------------------------------------------------------------

FONT = "Times New Roman"
BODY_SIZE = 11
LINE_POINTS = 15.0  # one line of 11-point Times New Roman
CHARS_PER_WIDTH = 1.1  # Times New Roman is narrower than the column-width unit (Calibri's "0")


def excel_number_format(places: int, marks: str) -> str:
    """A format that keeps the cell a number: Vietnamese separators (the [$-42A] locale tag makes
    LibreOffice show them on any machine; Excel shows the computer's own), the row's decimals,
    and the footnote marks as literal text after the number."""
    digits = "#,##0" + ("." + "0" * places if places else "")
    return f"[$-42A]{digits}" + (f'" {marks}"' if marks else "")


def lines_needed(text: str, width: float) -> int:
    """Lines a wrapped text takes in a column `width` wide (word wrapping, estimated; a word
    longer than the column breaks inside it)."""
    room = max(1, int(width * CHARS_PER_WIDTH))
    if len(text) <= room and "\n" not in text:  # most labels: no need to lay out the words
        return 1
    lines = 0
    for paragraph in text.split("\n"):
        used, count = 0, 1
        for word in paragraph.split():
            if used and used + 1 + len(word) > room:
                count, used = count + 1, 0
            gap = 1 if used else 0
            count += (used + gap + len(word) - 1) // room
            used = (used + gap + len(word) - 1) % room + 1
        lines += count
    return max(1, lines)


@dataclass(frozen=True)
class AnnexWidths:
    tt: float
    label: float
    unit: float
    values: tuple[float, ...]
    agencies: float


def annex_widths(annex: Annex) -> AnnexWidths:
    """Columns wide enough for every number (with its marks), unit and agency name; labels wrap."""

    def fit(texts: list[str], low: float, high: float) -> float:
        return min(high, max(low, *(len(t) / CHARS_PER_WIDTH + 2 for t in texts)))

    inputs = [r for r in annex.rows if r.is_input]
    values = tuple(
        fit([r.cells[i].shown for r in inputs] + [column.header[:12]], 8, 22)
        for i, column in enumerate(annex.columns)
    )
    return AnnexWidths(
        tt=fit([r.row.tt for r in annex.rows], 5, 8),
        label=46,
        unit=fit([r.row.unit or "" for r in annex.rows], 8, 14),
        values=values,
        agencies=fit([a for r in annex.rows for a in r.agencies], 18, 26),
    )


def draw_annex_sheet(wb: Workbook, ws: Worksheet, annex: Annex, recipient: str) -> None:
    """The annex as printed: title, two header rows + the column-number row (repeated on every
    page), one line per catalog row, the footnotes; A4 landscape, one page wide, "Trang x/y"."""
    widths = annex_widths(annex)
    n = len(annex.columns)
    col_label, col_unit, first_value = 1, 2, 3
    col_agencies = first_value + n
    cache: dict[tuple[object, ...], Format] = {}

    def fmt(**props: object) -> Format:
        key = tuple(sorted(props.items()))
        if key not in cache:
            cache[key] = wb.add_format(
                {"font_name": FONT, "font_size": BODY_SIZE, "valign": "vcenter", **props}
            )
        return cache[key]

    title = fmt(bold=True, font_size=14, align="center")
    ws.merge_range(0, 0, 0, col_agencies, annex.title, title)
    ws.merge_range(1, 0, 1, col_agencies, annex.subtitle, fmt(bold=True, font_size=13, align="center"))
    ws.merge_range(2, 0, 2, col_agencies, annex.basis, fmt(italic=True, font_size=12, align="center"))
    head = fmt(bold=True, align="center", text_wrap=True, border=1)
    number = fmt(italic=True, align="center", border=1, font_size=10)
    top = 4
    for col, text, letter in (
        (0, "TT", "A"),
        (col_label, "Chỉ tiêu", "B"),
        (col_unit, "ĐVT", "C"),
        (col_agencies, AGENCY_TITLE, "D"),
    ):
        ws.merge_range(top, col, top + 1, col, text, head)
        ws.write_string(top + 2, col, letter, number)
    for group in annex.groups:
        first, last = first_value + group.first, first_value + group.last
        if group.title is None:
            ws.merge_range(top, first, top + 1, first, annex.columns[group.first].header, head)
            continue
        if first == last:
            ws.write_string(top, first, group.title, head)
        else:
            ws.merge_range(top, first, top, last, group.title, head)
        for i in range(group.first, group.last + 1):
            ws.write_string(top + 1, first_value + i, annex.columns[i].header, head)
    for i, column in enumerate(annex.columns):
        ws.write_string(top + 2, first_value + i, column.number, number)
    header_lines = max(lines_needed(c.header, widths.values[i]) for i, c in enumerate(annex.columns))
    ws.set_row(top, LINE_POINTS * 2)
    ws.set_row(top + 1, LINE_POINTS * max(2, header_lines))

    r = top + 3
    for ar in annex.rows:
        row = ar.row
        style = {"bold": ar.bold, "italic": row.italic, "border": 1}
        ws.write_string(r, 0, row.tt, fmt(align="center", **style))
        label_style = {**style, "text_wrap": True}
        if ar.depth > 1:
            label_style["indent"] = ar.depth - 1
        ws.write_string(r, col_label, row.label, fmt(**label_style))
        ws.write_string(r, col_unit, row.unit or "", fmt(align="center", border=1))
        agencies = "\n".join(ar.agencies)
        ws.write_string(r, col_agencies, agencies, fmt(border=1, text_wrap=True, font_size=10))
        if not ar.is_input:
            for i in range(n):
                ws.write_blank(r, first_value + i, None, fmt(border=1))
        for i, cell in enumerate(ar.cells):
            if cell.value is None and not cell.text:
                ws.write_blank(r, first_value + i, None, fmt(border=1))
            elif cell.value is None:
                ws.write_string(r, first_value + i, cell.text, fmt(border=1, align="center"))
            else:
                ws.write_number(
                    r,
                    first_value + i,
                    cell.value,
                    fmt(border=1, num_format=excel_number_format(ar.decimals, cell.marks)),
                )
        lines = max(
            lines_needed(row.label, widths.label - 2 * max(0, ar.depth - 1)),
            sum(lines_needed(a, widths.agencies) for a in ar.agencies) if ar.agencies else 1,
        )
        ws.set_row(r, LINE_POINTS * lines)
        r += 1
    r += 1
    note = fmt(italic=True)
    ws.write_string(r, 0, "Ghi chú:", fmt(bold=True, italic=True))
    for text in annex.notes:
        ws.write_string(r, col_label, text, note)
        r += 1
    ws.write_string(r + 1, col_label, f"Nguồn: {recipient} tổng hợp từ báo cáo của các sở, ngành.", note)

    ws.set_column(0, 0, widths.tt)
    ws.set_column(col_label, col_label, widths.label)
    ws.set_column(col_unit, col_unit, widths.unit)
    for i, width in enumerate(widths.values):
        ws.set_column(first_value + i, first_value + i, width)
    ws.set_column(col_agencies, col_agencies, widths.agencies)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.set_margins(left=0.5, right=0.4, top=0.6, bottom=0.6)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(top, top + 2)
    ws.print_area(0, 0, r + 1, col_agencies)
    ws.set_footer(f'&C&"{FONT}"&10Trang &P/&N')
    ws.freeze_panes(top + 3, first_value)
    ws.hide_gridlines(2)
