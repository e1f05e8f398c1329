"""The annex as a Word document (python-docx): Phụ lục 2 as printed, the comparison summary and
the charts. Typography after Nghị định 30/2020/NĐ-CP: Times New Roman, text 13–14 pt, A4, page
numbers centred at the top. The 14-column annex table is set in 9 pt with narrow cell padding:
at 13 pt its numbers could not fit A4 landscape without wrapping mid-number."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from datetime import datetime

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from indicator_kit.catalog.spec import Spec
from indicator_kit.merge.annex import AGENCY_TITLE, Annex, AnnexRow, vietnamese_number
from indicator_kit.report.comparison import ComparisonLine, ReportSpec, area_name

FONT = "Times New Roman"
TEXT_PT, TITLE_PT, TABLE_PT = 13, 14, 9
PAGE_WIDTH, PAGE_HEIGHT = Cm(29.7), Cm(21.0)
MARGINS = {"top": Cm(2.0), "bottom": Cm(2.0), "left": Cm(2.0), "right": Cm(1.5)}
SHADE = "D9D9D9"
CELL_PADDING_CM = 0.08
DIGIT = Cm(0.165)  # a digit (or separator, roughly) of 9-point Times New Roman
SUMMARY_TITLE = "HẢI PHÒNG SO VỚI CẢ NƯỚC VÀ VÙNG"
CHARTS_TITLE = "BIỂU ĐỒ SO SÁNH"


def _font(run_or_style: object, size: float, bold: bool = False, italic: bool = False) -> None:
    font = run_or_style.font  # type: ignore[attr-defined]
    font.name, font.size, font.bold, font.italic = FONT, Pt(size), bold, italic
    element = run_or_style.element  # type: ignore[attr-defined]
    fonts = element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):  # Vietnamese is "cs"/"hAnsi" text
        fonts.set(qn(attribute), FONT)


def _paragraph(
    doc_or_cell: object,
    text: str,
    size: float = TEXT_PT,
    *,
    bold: bool = False,
    italic: bool = False,
    align: WD_ALIGN_PARAGRAPH | None = None,
    after: float = 0,
) -> Paragraph:
    paragraph = doc_or_cell.add_paragraph()  # type: ignore[attr-defined]
    _font(paragraph.add_run(text), size, bold, italic)
    paragraph.alignment = align
    paragraph.paragraph_format.space_after = Pt(after)
    paragraph.paragraph_format.space_before = Pt(0)
    return paragraph


def _set_cell(
    cell: _Cell,
    text: str,
    *,
    bold: bool = False,
    italic: bool = False,
    align: WD_ALIGN_PARAGRAPH = WD_ALIGN_PARAGRAPH.LEFT,
    size: float = TABLE_PT,
    shade: str | None = None,
    indent: float = 0,
) -> None:
    paragraph = cell.paragraphs[0]
    lines = text.split("\n")
    for i, line in enumerate(lines):
        run = paragraph.add_run(line)
        _font(run, size, bold, italic)
        if i < len(lines) - 1:
            run.add_break()
    paragraph.alignment = align
    paragraph.paragraph_format.space_after = Pt(0)
    if indent:
        paragraph.paragraph_format.left_indent = Cm(indent)
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    if shade:
        properties = cell._tc.get_or_add_tcPr()
        fill = OxmlElement("w:shd")
        fill.set(qn("w:val"), "clear")
        fill.set(qn("w:color"), "auto")
        fill.set(qn("w:fill"), shade)
        properties.append(fill)


def _repeat_as_header(table: Table, rows: int) -> None:
    """The first `rows` rows repeat at the top of every page and never split across pages."""
    for row in table.rows[:rows]:
        properties = row._tr.get_or_add_trPr()
        for tag in ("w:tblHeader", "w:cantSplit"):
            flag = OxmlElement(tag)
            flag.set(qn("w:val"), "true")
            properties.append(flag)


def _no_split(table: Table) -> None:
    for row in table.rows:
        flag = OxmlElement("w:cantSplit")
        flag.set(qn("w:val"), "true")
        row._tr.get_or_add_trPr().append(flag)


def _widths(table: Table, widths: Sequence[Cm]) -> None:
    """Widths on the grid (LibreOffice reads these) and on every cell (Word reads these)."""
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width


def _field(paragraph: Paragraph, instruction: str, size: float) -> None:
    """A Word field (PAGE, NUMPAGES) that Word and LibreOffice fill in when they lay out pages."""
    run = paragraph.add_run()
    _font(run, size)
    for kind, text in (("begin", None), (None, instruction), ("separate", None), (None, "1"), ("end", None)):
        if kind is not None:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        elif text == instruction:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = f" {instruction} "
        else:
            element = OxmlElement("w:t")
            element.text = text
        run._r.append(element)


def _page_numbers(section: object) -> None:
    header = section.header  # type: ignore[attr-defined]
    paragraph = header.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(paragraph.add_run("Trang "), TEXT_PT)
    _field(paragraph, "PAGE", TEXT_PT)
    _font(paragraph.add_run("/"), TEXT_PT)
    _field(paragraph, "NUMPAGES", TEXT_PT)


def _value_widths(annex: Annex) -> list[Cm]:
    """Page width shared out: fixed columns, each value column as wide as its longest number
    (numbers never wrap), the label column takes the rest."""
    usable = PAGE_WIDTH - MARGINS["left"] - MARGINS["right"]
    tt, unit, agencies = Cm(0.8), Cm(1.6), Cm(2.3)
    longest = [
        max([len(r.cells[i].shown) for r in annex.rows if r.is_input] + [4])
        for i in range(len(annex.columns))
    ]
    values = [Cm(2 * CELL_PADDING_CM + 0.02) + DIGIT * n for n in longest]
    label = usable - tt - unit - agencies - sum(values)
    return [tt, Cm(0) + label, unit, *values, agencies]


def _narrow_padding(table: Table) -> None:
    """Cell padding of CELL_PADDING_CM left and right (Word's default 0.19 cm wastes a column)."""
    properties = table._tbl.tblPr
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        element = OxmlElement(f"w:{side}")
        element.set(qn("w:w"), str(int(CELL_PADDING_CM / 2.54 * 1440)))
        element.set(qn("w:type"), "dxa")
        margins.append(element)
    properties.append(margins)


def _annex_table(document: object, annex: Annex) -> Table:
    n = len(annex.columns)
    table = document.add_table(rows=3, cols=n + 4)  # type: ignore[attr-defined]
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    head, sub, numbers = table.rows
    fixed = [(0, "TT", "A"), (1, "Chỉ tiêu", "B"), (2, "ĐVT", "C"), (n + 3, AGENCY_TITLE, "D")]
    for col, title, letter in fixed:
        merged = head.cells[col].merge(sub.cells[col])
        _set_cell(merged, title, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
        _set_cell(numbers.cells[col], letter, italic=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    for group in annex.groups:
        first, last = 3 + group.first, 3 + group.last
        if group.title is None:
            merged = head.cells[first].merge(sub.cells[first])
            _set_cell(merged, annex.columns[group.first].header, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
            continue
        top = head.cells[first] if first == last else head.cells[first].merge(head.cells[last])
        _set_cell(top, group.title, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
        for i in range(group.first, group.last + 1):
            _set_cell(sub.cells[3 + i], annex.columns[i].header, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    for i, column in enumerate(annex.columns):
        _set_cell(numbers.cells[3 + i], column.number, italic=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    for ar in annex.rows:
        _annex_row(table.add_row().cells, ar, n)
    _widths(table, _value_widths(annex))
    _narrow_padding(table)
    _repeat_as_header(table, 3)
    _no_split(table)
    return table


def _annex_row(cells: Sequence[_Cell], ar: AnnexRow, n: int) -> None:
    row = ar.row
    shade = SHADE if ar.depth == 0 else None
    _set_cell(cells[0], row.tt, bold=ar.bold, italic=row.italic, align=WD_ALIGN_PARAGRAPH.CENTER, shade=shade)
    _set_cell(
        cells[1], row.label, bold=ar.bold, italic=row.italic, shade=shade, indent=0.25 * max(0, ar.depth - 1)
    )
    _set_cell(cells[2], row.unit or "", align=WD_ALIGN_PARAGRAPH.CENTER, shade=shade)
    for i in range(n):
        cell = ar.cells[i] if ar.cells else None
        text = cell.shown if cell else ""
        align = WD_ALIGN_PARAGRAPH.RIGHT if cell and cell.value is not None else WD_ALIGN_PARAGRAPH.CENTER
        _set_cell(cells[3 + i], text, align=align, shade=shade)
    _set_cell(cells[n + 3], "\n".join(ar.agencies), size=TABLE_PT - 1, shade=shade)


def _summary(document: object, spec: Spec, report: ReportSpec, lines: list[ComparisonLine]) -> None:
    period = f"giai đoạn {report.province.first_year}–{report.province.last_year}"
    _paragraph(document, SUMMARY_TITLE, TITLE_PT, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph(
        document,
        f"(Số bình quân hoặc số cuối kỳ {period}; chênh lệch = Hải Phòng trừ nơi so sánh, "
        "tính bằng điểm phần trăm với các chỉ tiêu tỷ lệ)",
        TEXT_PT - 1,
        italic=True,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        after=6,
    )
    names = [area_name(spec, report.province), *(area_name(spec, c) for c in report.others)]
    headers = ["TT", "Chỉ tiêu", "ĐVT", *names, *(f"Chênh lệch so với {x}" for x in names[1:])]
    table = document.add_table(rows=1, cols=len(headers))  # type: ignore[attr-defined]
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, title in zip(table.rows[0].cells, headers, strict=True):
        _set_cell(cell, title, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, size=TEXT_PT - 1)
    for number, line in enumerate(lines, start=1):
        values = [line.province, *line.others]
        texts = [
            str(number),
            line.indicator.title,
            line.indicator.row.unit or "",
            *("" if v is None else vietnamese_number(v, line.places) for v in values),
            *(line.difference_text(i) for i in range(len(line.others))),
        ]
        for i, (cell, text) in enumerate(zip(table.add_row().cells, texts, strict=True)):
            align = (
                WD_ALIGN_PARAGRAPH.LEFT
                if i == 1
                else (WD_ALIGN_PARAGRAPH.CENTER if i in (0, 2) else WD_ALIGN_PARAGRAPH.RIGHT)
            )
            _set_cell(cell, text, align=align, size=TEXT_PT - 1)
    others = len(report.others)
    _widths(table, [Cm(1.0), Cm(8.2), Cm(2.2), *[Cm(2.8)] * (1 + others), *[Cm(3.4)] * others])
    _repeat_as_header(table, 1)
    _no_split(table)


def annex_document(
    spec: Spec,
    annex: Annex,
    report: ReportSpec,
    lines: list[ComparisonLine],
    charts: list[tuple[str, bytes]],
) -> bytes:
    """The .docx bytes; the same inputs give the same bytes (fixed document times)."""
    document = Document()
    c = spec.campaign
    normal = document.styles["Normal"]
    _font(normal, TEXT_PT)
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    for side, size in MARGINS.items():
        setattr(section, f"{side}_margin", size)
    section.header_distance = Cm(1.0)
    _page_numbers(section)

    _paragraph(document, annex.title, TITLE_PT, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph(document, annex.subtitle, TITLE_PT, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph(document, annex.basis, TEXT_PT, italic=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=8)
    _annex_table(document, annex)
    _paragraph(document, "Ghi chú:", TEXT_PT - 1, bold=True, italic=True).paragraph_format.space_before = Pt(
        6
    )
    for note in annex.notes:
        _paragraph(document, note, TEXT_PT - 1, italic=True)
    _paragraph(
        document,
        f"Nguồn: {c.recipient.name} tổng hợp từ báo cáo của các sở, ngành.",
        TEXT_PT - 1,
        italic=True,
    )

    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    _summary(document, spec, report, lines)
    if charts:
        document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        _paragraph(document, CHARTS_TITLE, TITLE_PT, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=6)
        for number, (title, png) in enumerate(charts, start=1):
            picture = document.add_paragraph()
            picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
            picture.paragraph_format.keep_with_next = True
            picture.add_run().add_picture(io.BytesIO(png), width=Cm(15.0))
            _paragraph(
                document,
                f"Biểu đồ {number}. {title}",
                TEXT_PT - 1,
                italic=True,
                align=WD_ALIGN_PARAGRAPH.CENTER,
                after=10,
            )

    fixed = datetime(c.issued.year, c.issued.month, c.issued.day)
    properties = document.core_properties
    properties.title = f"{c.annex} — {c.annex_title}"
    properties.subject = c.title
    properties.author = properties.last_modified_by = c.recipient.short_name
    properties.created = properties.modified = fixed
    properties.revision = 1
    buffer = io.BytesIO()
    document.save(buffer)
    return _fixed_zip_times(buffer.getvalue(), fixed)


def _fixed_zip_times(data: bytes, moment: datetime) -> bytes:
    """python-docx stamps every zip member with the time of saving: re-stamp them with a fixed
    time so the same master gives the same bytes."""
    out = io.BytesIO()
    stamp = (moment.year, moment.month, moment.day, 0, 0, 0)
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            target.writestr(zipfile.ZipInfo(item.filename, stamp), source.read(item), zipfile.ZIP_DEFLATED)
    return out.getvalue()
