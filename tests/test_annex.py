"""The print-ready annex: period cells computed, value flags carried end to end, the annex sheet
and every sheet's print setup, the Word annex read back and converted by LibreOffice."""

from __future__ import annotations

import dataclasses
import io
import math
import subprocess
from pathlib import Path

import docx
import openpyxl
import pytest
from click.testing import CliRunner

from indicator_kit.catalog.model import PeriodAggregate
from indicator_kit.catalog.spec import Spec
from indicator_kit.cli import main
from indicator_kit.collect.numbers import ValueFlag, parse_cell
from indicator_kit.collect.run import collect_inbox
from indicator_kit.generate import generate, template_file_name
from indicator_kit.merge.core import CellStatus, merge
from indicator_kit.merge.outputs import load_master
from indicator_kit.merge.periods import period_value
from indicator_kit.plan import Plan
from indicator_kit.sample import consistent_values
from indicator_kit.simulate import fill_return
from indicator_kit.workspace import init_workspace
from tests.workbooks import libreoffice_convert, needs_libreoffice

GROWTH = "kt.tang_truong_grdp"  # average_growth, from levels of kt.grdp.gia_ss2010
TOTAL = "kt.von_dtxh.tong_von"  # sum
STATE = "kt.von_dtxh.khu_vuc_nha_nuoc"  # sum; its period typed wrong on purpose
FDI = "kt.von_dtxh.khu_vuc_fdi"
URBAN = "kt.do_thi_hoa"  # last
YEARS = ["y2019", "y2020", "y2021", "y2022", "y2023"]
RATES = [10, 20, -5, 0, "8 (sb)"]  # average growth: (1.1 × 1.2 × 0.95 × 1.0 × 1.08)^(1/5) − 1 = 6.25 %


def vn(value: float, places: int) -> str:
    """Vietnamese notation written out here, independently of the code under test."""
    whole, _, frac = f"{abs(value):.{places}f}".partition(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return ("-" if value < 0 else "") + ".".join(groups) + ("," + frac if frac else "")


# --- period values ----------------------------------------------------------------------------


def test_period_value_for_each_aggregate(spec: Spec) -> None:
    row = spec.row_by_key["kt.grdp.gia_ss2010"]
    period = spec.campaign.column("gd2019_2023_hp")
    years = dict(zip(YEARS, [10.0, 20.5, 30.0, 40.0, 50.25], strict=True))

    def lookup(key: str, column: str) -> tuple[float, ValueFlag] | None:
        value = years.get(column)
        return (
            None
            if value is None
            else (value, ValueFlag.PRELIMINARY if column == "y2023" else ValueFlag.NORMAL)
        )

    def computed(aggregate: PeriodAggregate) -> tuple[float, ValueFlag, str] | None:
        return period_value(spec, dataclasses.replace(row, period=aggregate), period, lookup)

    assert computed(PeriodAggregate.SUM)[:2] == (150.75, ValueFlag.PRELIMINARY)
    assert computed(PeriodAggregate.MEAN)[0] == 30.15
    assert computed(PeriodAggregate.LAST)[0] == 50.25
    assert computed(PeriodAggregate.NONE) is None
    rates = dict(zip(YEARS, [10.0, 20.0, -5.0, 0.0, 8.0], strict=True))
    grow = dataclasses.replace(row, period=PeriodAggregate.AVERAGE_GROWTH)
    value, flag, how = period_value(spec, grow, period, lambda k, c: (rates[c], ValueFlag.NORMAL))
    assert (value, flag) == (6.25, ValueFlag.NORMAL) and "bình quân" in how
    # a year missing: nothing computed, unless the row names the level it can come from
    assert (
        period_value(spec, grow, period, lambda k, c: None if c == "y2021" else (1.0, ValueFlag.NORMAL))
        is None
    )
    levels = {("kt.grdp.gia_hh", "y2018"): 100.0, ("kt.grdp.gia_hh", "y2023"): 150.0}
    from_levels = dataclasses.replace(grow, period_level="kt.grdp.gia_hh")
    found = period_value(
        spec, from_levels, period, lambda k, c: (v, ValueFlag.NORMAL) if (v := levels.get((k, c))) else None
    )
    assert found is not None and found[0] == 8.45  # 1.5^(1/5) − 1
    # 2014–2018: only "last" is computable from the campaign's years (2018)
    early = spec.campaign.column("gd2014_2018")
    at_2018 = {"y2018": 7.0}
    look_2018 = lambda k, c: (at_2018[c], ValueFlag.NORMAL) if c in at_2018 else None  # noqa: E731
    assert (
        period_value(spec, dataclasses.replace(row, period=PeriodAggregate.LAST), early, look_2018)[0] == 7.0
    )
    assert period_value(spec, dataclasses.replace(row, period=PeriodAggregate.SUM), early, look_2018) is None


def test_status_marks_are_parsed() -> None:
    assert (parse_cell("125,3 (sb)").value, parse_cell("125,3 (sb)").flag) == (125.3, ValueFlag.PRELIMINARY)
    assert parse_cell("1.234,5 (ước tính)").flag is ValueFlag.ESTIMATED
    assert parse_cell("-2,5 [ut]").value == -2.5
    assert parse_cell("(12,5)").value == -12.5 and parse_cell("(12,5)").flag is ValueFlag.NORMAL
    assert parse_cell("12 (năm)").status.value == "invalid"


# --- one campaign, end to end -------------------------------------------------------------------


@pytest.fixture(scope="module")
def campaign(spec: Spec, plan: Plan, tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("annex")
    generate(plan, tmp / "templates", ["cuc_thong_ke", "so_xay_dung"])
    values = consistent_values(spec)
    changes: dict[tuple[str, str], object] = {(GROWTH, c): v for c, v in zip(YEARS, RATES, strict=True)}
    changes |= {(GROWTH, "gd2019_2023_hp"): None, (TOTAL, "gd2019_2023_hp"): None}
    changes |= {
        (STATE, "gd2019_2023_hp"): 1.0,
        (FDI, "y2022"): f"{values[(FDI, 'y2022')]} (ut)".replace(".", ","),
    }
    box = tmp / "inbox"
    fill_return(
        spec,
        tmp / "templates" / template_file_name("cuc_thong_ke"),
        box / "ctk.xlsx",
        values,
        "cuc_thong_ke",
        changes,
    )
    fill_return(
        spec,
        tmp / "templates" / template_file_name("so_xay_dung"),
        box / "xd.xlsx",
        values,
        "so_xay_dung",
        {(URBAN, "gd2014_2018"): None, (URBAN, "gd2019_2023_hp"): None},
    )
    ws = init_workspace(tmp / "ws").workspace  # module-wide: the per-test workspace is not there yet
    result = CliRunner().invoke(
        main,
        ["--workspace", str(ws.root), "merge", str(box), "--out", str(tmp / "master")],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    return tmp


def test_blank_periods_computed_and_reported_ones_kept(spec: Spec, plan: Plan, campaign: Path) -> None:
    values = consistent_values(spec)
    submissions = collect_inbox(campaign / "inbox", plan)
    master = merge(plan, submissions)
    growth = master.cells[(GROWTH, "gd2019_2023_hp")]
    assert (growth.status, growth.value, growth.flag) == (CellStatus.COMPUTED, 6.25, ValueFlag.PRELIMINARY)
    total = master.cells[(TOTAL, "gd2019_2023_hp")]
    typed = [values[(TOTAL, c)] for c in YEARS]
    assert total.status is CellStatus.COMPUTED
    assert math.isclose(
        total.value, math.fsum(typed), abs_tol=10 ** -max(len(repr(v).split(".")[1]) for v in typed)
    )
    urban = master.cells[(URBAN, "gd2014_2018")]
    assert (urban.status, urban.value) == (CellStatus.COMPUTED, values[(URBAN, "y2018")])
    assert master.cells[(URBAN, "gd2019_2023_hp")].value == values[(URBAN, "y2023")]
    # the other areas have no yearly values: nothing computed there
    assert master.cells[(GROWTH, "gd2019_2023_cn")].status is CellStatus.REPORTED
    wrong = master.cells[(STATE, "gd2019_2023_hp")]
    assert (wrong.status, wrong.value) == (CellStatus.REPORTED, 1.0)
    codes = {(f.row_key, f.column, f.code) for s in submissions for f in s.findings}
    assert (STATE, "gd2019_2023_hp", "period-mismatch") in codes


def test_flags_travel_to_findings_master_and_csv(plan: Plan, campaign: Path) -> None:
    submissions = collect_inbox(campaign / "inbox", plan)
    flagged = {(f.row_key, f.column): f for s in submissions for f in s.findings if f.code == "value-flagged"}
    assert set(flagged) == {(GROWTH, "y2023"), (FDI, "y2022")}
    assert (
        flagged[(GROWTH, "y2023")].severity.value == "info" and "sơ bộ" in flagged[(GROWTH, "y2023")].message
    )
    frame = load_master(campaign / "master" / "master_long.csv")
    status = {(r.key, r.column): (r.status, r.obs_status) for r in frame.itertuples()}
    assert status[(GROWTH, "y2023")] == ("reported", "P")
    assert status[(FDI, "y2022")] == ("reported", "E")
    assert status[(GROWTH, "gd2019_2023_hp")] == ("computed", "P")
    assert status[(TOTAL, "y2021")] == ("reported", "A")


def annex_sheet(campaign: Path) -> openpyxl.worksheet.worksheet.Worksheet:
    wb = openpyxl.load_workbook(campaign / "master" / "PL2_tong_hop.xlsx")
    assert wb.sheetnames[0] == "Phụ lục 2 (bản in)" and wb.active.title == wb.sheetnames[0]
    return wb.worksheets[0]


def annex_rows(ws) -> dict[str, int]:
    """Sheet row of each label + unit (labels repeat: "Tăng trưởng")."""
    return {f"{ws.cell(r, 2).value}|{ws.cell(r, 3).value}": r for r in range(1, ws.max_row + 1)}


def test_annex_sheet_values_formats_and_marks(spec: Spec, campaign: Path) -> None:
    ws = annex_sheet(campaign)
    texts = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    for working in ("Kiểm tra", "Mã dòng", "Ghi chú / nguồn số liệu", "Chú thích", "bị loại", "Đủ số liệu"):
        assert not any(working in t for t in texts), working
    headers = [ws.cell(5, c).value for c in range(1, ws.max_column + 1)]
    assert headers[:3] == ["TT", "Chỉ tiêu", "ĐVT"] and headers[-1] == "Đơn vị chủ trì, theo dõi, báo cáo"
    assert len(headers) == 3 + len(spec.campaign.columns) + 1
    labels = [ws.cell(r, 2).value for r in range(8, 8 + len(spec.rows))]
    assert labels == [r.label for r in spec.rows]
    row_of = {r.key: 8 + i for i, r in enumerate(spec.rows)}
    first_value = 4
    growth = ws.cell(row_of[GROWTH], first_value + 5)  # 2023: preliminary
    assert growth.value == 8 and growth.number_format == '[$-42A]#,##0.00" (*)"'
    assert growth.font.name == "Times New Roman"
    computed = ws.cell(row_of[GROWTH], first_value + 7)
    assert computed.value == 6.25 and computed.number_format.endswith('" (a)(*)"')
    total = ws.cell(row_of[TOTAL], first_value)
    typed = [v for (k, _), v in consistent_values(spec).items() if k == TOTAL]
    places = max(0 if float(v).is_integer() else len(repr(v).split(".")[1]) for v in typed)
    assert total.number_format == "[$-42A]#,##0" + ("." + "0" * places if places else "")
    count = ws.cell(row_of["kt.kcn.so_luong"], first_value)
    assert count.value is None  # Ban Quản lý did not report: nothing shown
    notes = [t for t in texts if t.startswith("(")]
    # a rejected value is left out of print, and the legend says a blank may be one
    assert any(
        t.startswith("Ô để trống: chưa có số liệu, hoặc số liệu đang đề nghị đơn vị sửa") for t in texts
    )
    assert "(*) Số liệu sơ bộ." in notes and "(**) Số liệu ước tính." in notes
    assert any(t.startswith("(a) Số tính toán") for t in notes)


def test_annex_sheet_widths_and_print_setup(spec: Spec, campaign: Path) -> None:
    ws = annex_sheet(campaign)
    letters = [openpyxl.utils.get_column_letter(c) for c in range(1, ws.max_column + 1)]
    widths = [ws.column_dimensions[x].width for x in letters]
    for col in range(4, 4 + len(spec.campaign.columns)):
        for row in range(8, 8 + len(spec.rows)):
            cell = ws.cell(row, col)
            if isinstance(cell.value, float | int):
                marks = cell.number_format.split('"')[1] if '"' in cell.number_format else ""
                shown = len(vn(cell.value, cell.number_format.count("0") - 1)) + len(marks)
                assert shown <= widths[col - 1], (cell.coordinate, cell.value, widths[col - 1])
    agency_width = widths[-1]
    for row in range(8, 8 + len(spec.rows)):
        cell = ws.cell(row, len(widths))
        names = (cell.value or "").split("\n")
        lines_room = (ws.row_dimensions[row].height or 15) / 15  # xlsxwriter leaves out the default 15
        words = max((len(w) for n in names for w in n.split()), default=0)
        assert words <= agency_width and len(names) <= lines_room + 0.01, (row, names)
    setup = ws.page_setup
    # fitToWidth is left out when it is 1, the default of the file format
    assert (setup.orientation, setup.paperSize, setup.fitToWidth or 1, setup.fitToHeight) == (
        "landscape",
        9,
        1,
        0,
    )
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == "$5:$7"
    assert "Trang &P/&N" in ws.oddFooter.center.text


def test_every_sheet_has_a_print_setup(campaign: Path) -> None:
    wb = openpyxl.load_workbook(campaign / "master" / "PL2_tong_hop.xlsx")
    for ws in wb.worksheets:
        setup = ws.page_setup
        assert (setup.orientation, setup.paperSize, setup.fitToHeight) == ("landscape", 9, 0), ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert ws.print_title_rows and "Trang &P/&N" in ws.oddFooter.center.text, ws.title


@needs_libreoffice
def test_master_prints_on_few_pages_with_vietnamese_numbers(
    spec: Spec, campaign: Path, tmp_path: Path
) -> None:
    pdf = libreoffice_convert([campaign / "master" / "PL2_tong_hop.xlsx"], "pdf", tmp_path)[0]
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = text.split("\f")
    assert len([p for p in pages if p.strip()]) < 60  # was 201 portrait pages
    first = pages[0]
    assert "PHỤ LỤC 2" in first and "Trang 1/" in first
    value = consistent_values(spec)[(TOTAL, "y2019")]
    typed = [v for (k, _), v in consistent_values(spec).items() if k == TOTAL]
    places = max(0 if float(v).is_integer() else len(repr(v).split(".")[1]) for v in typed)
    assert value >= 1000 and vn(value, places) in first  # 1.234,5: Vietnamese separators in print


# --- the Word annex -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def report(campaign: Path) -> Path:
    result = CliRunner().invoke(
        main,
        [
            "--workspace",
            str(campaign / "ws"),
            "report",
            "--master",
            str(campaign / "master"),
            "--out",
            str(campaign / "report"),
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    return campaign / "report" / "PL2_phu_luc.docx"


def test_word_annex_read_back(spec: Spec, campaign: Path, report: Path) -> None:
    document = docx.Document(str(report))
    section = document.sections[0]
    assert section.orientation == docx.enum.section.WD_ORIENT.LANDSCAPE
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (29.7, 21.0)
    table = document.tables[0]
    assert len(table.rows) == 3 + len(spec.rows)
    header_flags = [r._tr.find(docx.oxml.ns.qn("w:trPr")) for r in table.rows[:4]]
    assert [h is not None and h.find(docx.oxml.ns.qn("w:tblHeader")) is not None for h in header_flags] == [
        True,
        True,
        True,
        False,
    ]
    row_of = {r.key: 3 + i for i, r in enumerate(spec.rows)}
    cells = table.rows[row_of[GROWTH]].cells
    assert cells[1].text == spec.row_by_key[GROWTH].label
    assert [cells[3 + i].text for i in range(1, 6)] == ["10,00", "20,00", "-5,00", "0,00", "8,00 (*)"]
    assert cells[3 + 7].text == "6,25 (a)(*)"
    values = consistent_values(spec)
    typed = [v for (k, _), v in values.items() if k == TOTAL]
    places = max(0 if float(v).is_integer() else len(repr(v).split(".")[1]) for v in typed)
    assert table.rows[row_of[TOTAL]].cells[4].text == vn(values[(TOTAL, "y2019")], places)
    fonts = {r.font.name for p in cells[1].paragraphs for r in p.runs}
    assert fonts == {"Times New Roman"}
    paragraphs = [p.text for p in document.paragraphs]
    assert "PHỤ LỤC 2" in paragraphs and "(*) Số liệu sơ bộ." in paragraphs
    assert "HẢI PHÒNG SO VỚI CẢ NƯỚC VÀ VÙNG" in paragraphs
    summary = document.tables[1]
    first = [c.text for c in summary.rows[1].cells]
    assert first[1] == "Tốc độ tăng trưởng GRDP bình quân/năm" and first[3] == "6,25"
    cn = values[(GROWTH, "gd2019_2023_cn")]
    assert first[4] == vn(cn, 2) and first[6].endswith("điểm %")
    charts = sorted((campaign / "report" / "bieu_do").glob("*.png"))
    assert len(charts) == len(document.inline_shapes) >= 5
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in charts)


def test_word_annex_same_bytes_on_rerun(campaign: Path, report: Path, tmp_path: Path) -> None:
    again = CliRunner().invoke(
        main, ["report", "--master", str(campaign / "master"), "--out", str(tmp_path)], catch_exceptions=False
    )
    assert again.exit_code == 0
    assert (tmp_path / "PL2_phu_luc.docx").read_bytes() == report.read_bytes()


def test_report_without_master_is_a_clear_message(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["report", "--master", str(tmp_path / "none"), "--out", str(tmp_path)], catch_exceptions=False
    )
    assert result.exit_code == 2
    assert "Chưa có bảng tổng hợp" in result.output and "indicator-kit merge" in result.output


def test_report_list_naming_an_unknown_row(spec_copy: Path, campaign: Path, tmp_path: Path) -> None:
    path = spec_copy / "report.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("kt.do_thi_hoa", "kt.khong_co"), encoding="utf-8"
    )
    result = CliRunner().invoke(
        main,
        [
            "report",
            "--master",
            str(campaign / "master"),
            "--out",
            str(tmp_path),
            "--spec-dir",
            str(spec_copy),
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 2 and "kt.khong_co" in result.output and "report.yaml" in result.output


@needs_libreoffice
def test_word_annex_converts_to_pdf(report: Path, tmp_path: Path) -> None:
    pdf = libreoffice_convert([report], "pdf", tmp_path)[0]
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = [p for p in text.split("\f") if p.strip()]
    assert len(pages) >= 3
    assert "PHỤ LỤC 2" in pages[0] and f"Trang 1/{len(pages)}" in pages[0]
    assert "Tốc độ tăng trưởng kinh tế bình quân/năm" in pages[0]
    assert any("HẢI PHÒNG SO VỚI CẢ NƯỚC VÀ VÙNG" in p for p in pages)
    assert io.BytesIO(pdf.read_bytes()).getvalue()[:4] == b"%PDF"
