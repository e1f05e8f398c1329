"""Verdicts an officer can trust: one test per mistake class (code, severity and cell), honest
unusual values that must not be flagged, and warnings explained in the row's "Ghi chú".

Returns are made with our generator and filled from examples/sample_values.csv (the published
figures of workbook_specs/reference/ where they exist), then one mistake is made as a clerk would.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
from collections.abc import Callable
from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.worksheet.worksheet import Worksheet
from xlsxwriter.utility import xl_rowcol_to_cell

from indicator_kit.catalog.spec import Spec
from indicator_kit.cli import main
from indicator_kit.collect.model import Submission
from indicator_kit.collect.run import collect_file
from indicator_kit.generate import generate, template_file_name
from indicator_kit.plan import Plan, compile_plan
from indicator_kit.simulate import fill_return, load_values
from indicator_kit.template.layout import build_layout
from tests.conftest import ROOT
from tests.workbooks import libreoffice_convert, needs_libreoffice

SAMPLE = ROOT / "examples" / "sample_values.csv"
HOME_COLUMNS = ("y2018", "y2019", "y2020", "y2021", "y2022", "y2023", "gd2014_2018", "gd2019_2023_hp")
YEARS = HOME_COLUMNS[:6]


@pytest.fixture(scope="module")
def templates(published_spec: Spec, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("templates")
    generate(compile_plan(published_spec), out)
    return out


@pytest.fixture(scope="module")
def sample() -> dict[tuple[str, str], float]:
    return load_values(SAMPLE)


def cell(spec: Spec, slug: str, key: str, column: str) -> str:
    return xl_rowcol_to_cell(*build_layout(spec, slug).cell(key, column))


def make(
    plan: Plan,
    templates: Path,
    values: dict[tuple[str, str], float],
    slug: str,
    out: Path,
    changes: dict[tuple[str, str], object] | None = None,
    edit: Callable[[Worksheet], None] | None = None,
) -> Submission:
    path = fill_return(plan.spec, templates / template_file_name(slug), out, values, slug, changes, edit)
    return collect_file(path, out.parent, plan)


def flagged(sub: Submission) -> set[tuple[str, str, str]]:
    """(code, severity, cell) of every finding a person is asked to act on."""
    return {(f.code, f.severity.value, f.cell) for f in sub.findings if f.severity.value != "info"}


def with_average_growth(values: dict[tuple[str, str], float], key: str) -> dict[tuple[str, str], float]:
    """The 2019–2023 column recomputed from the years, as the agency's own spreadsheet would."""
    product = math.prod(1 + values[(key, y)] / 100 for y in YEARS[1:])
    return {**values, (key, "gd2019_2023_hp"): round((product ** (1 / 5) - 1) * 100, 2)}


# --- mistakes, one class each -------------------------------------------------------------------


def test_one_share_typed_as_a_fraction(
    published_spec: Spec, published_plan: Plan, templates: Path, sample: dict, tmp_path: Path
) -> None:
    key = "kt.kcn.ty_le_lap_day"  # 86,8 … 88,63 % of industrial-park land let
    sub = make(
        published_plan, templates, sample, "ban_quan_ly_kkt", tmp_path / "r.xlsx", {(key, "y2021"): 0.879}
    )
    assert flagged(sub) == {
        ("percent-as-fraction", "warning", cell(published_spec, "ban_quan_ly_kkt", key, "y2021"))
    }
    assert "87,9" in sub.findings[0].message  # the reading it suggests


def test_whole_share_row_typed_as_fractions(
    published_spec: Spec, published_plan: Plan, templates: Path, sample: dict, tmp_path: Path
) -> None:
    key = "kt.kcn.ty_le_lap_day"
    changes = {(key, c): round(sample[(key, c)] / 100, 4) for c in HOME_COLUMNS}  # 0,868 … 0,8863
    sub = make(published_plan, templates, sample, "ban_quan_ly_kkt", tmp_path / "r.xlsx", changes)
    assert flagged(sub) == {
        ("row-as-fractions", "warning", cell(published_spec, "ban_quan_ly_kkt", key, "y2018"))
    }


def test_percent_formatted_cell_is_read_as_displayed_and_said(
    published_spec: Spec, published_plan: Plan, templates: Path, sample: dict, tmp_path: Path
) -> None:
    slug, key = "ban_quan_ly_kkt", "kt.kcn.ty_le_lap_day"
    row, col = build_layout(published_spec, slug).cell(key, "y2020")

    def percent_format(ws: Worksheet) -> None:  # the clerk formats the cell as %, then types 87,53
        target = ws.cell(row + 1, col + 1)
        target.value = 0.8753
        target.number_format = "0.00%"

    sub = make(published_plan, templates, sample, slug, tmp_path / "r.xlsx", edit=percent_format)
    assert flagged(sub) == {("percent-formatted", "warning", cell(published_spec, slug, key, "y2020"))}
    assert sub.cells[(key, "y2020")].value == pytest.approx(87.53)
    message = sub.findings[0].message
    assert '"0.00%"' in message and "0,8753" in message and "87,53" in message  # what was read


def test_a_literal_percent_sign_in_a_number_format_is_not_a_percentage(
    published_spec: Spec, published_plan: Plan, templates: Path, sample: dict, tmp_path: Path
) -> None:
    slug, key = "ban_quan_ly_kkt", "kt.kcn.ty_le_lap_day"
    row, col = build_layout(published_spec, slug).cell(key, "y2020")

    def shown_with_a_sign(ws: Worksheet) -> None:  # shows "0,88 %": the sign is a label, no scaling
        target = ws.cell(row + 1, col + 1)
        target.value = 0.8753
        target.number_format = '0.00" %"'

    sub = make(published_plan, templates, sample, slug, tmp_path / "r.xlsx", edit=shown_with_a_sign)
    # not read as a percentage format: the value stays as stored, and the row sees a fraction
    assert flagged(sub) == {("percent-as-fraction", "warning", cell(published_spec, slug, key, "y2020"))}
    assert sub.cells[(key, "y2020")].value == pytest.approx(0.8753)


@needs_libreoffice
@pytest.mark.parametrize("target", ["ods", "xls", "xlsx:Calc MS Excel 2007 XML"])
def test_percent_formatted_cell_saved_by_libreoffice(
    published_spec: Spec, published_plan: Plan, templates: Path, sample: dict, tmp_path: Path, target: str
) -> None:
    slug, key = "ban_quan_ly_kkt", "kt.kcn.ty_le_lap_day"
    row, col = build_layout(published_spec, slug).cell(key, "y2020")

    def percent_format(ws: Worksheet) -> None:
        target_cell = ws.cell(row + 1, col + 1)
        target_cell.value = 0.8753
        target_cell.number_format = "0.00%"

    typed = fill_return(
        published_spec,
        templates / template_file_name(slug),
        tmp_path / "r.xlsx",
        sample,
        slug,
        None,
        percent_format,
    )
    [saved] = libreoffice_convert([typed], target, tmp_path / "inbox")
    sub = collect_file(saved, saved.parent, published_plan)
    assert flagged(sub) == {("percent-formatted", "warning", cell(published_spec, slug, key, "y2020"))}
    assert sub.cells[(key, "y2020")].value == pytest.approx(87.53)


@needs_libreoffice
def test_percent_formatted_share_row_in_an_xls_saved_by_libreoffice(
    published_spec: Spec, published_plan: Plan, templates: Path, sample: dict, tmp_path: Path
) -> None:
    """The clerk formats the whole share row as percent and types 86,8% … 88,63%: a BIFF8 file
    stores 0,868 … 0,8863 and only its XF/FORMAT records say the cells show percentages."""
    slug, key = "ban_quan_ly_kkt", "kt.kcn.ty_le_lap_day"
    layout = build_layout(published_spec, slug)

    def percent_row(ws: Worksheet) -> None:
        for column in HOME_COLUMNS:
            row, col = layout.cell(key, column)
            target_cell = ws.cell(row + 1, col + 1)
            target_cell.value = sample[(key, column)] / 100
            target_cell.number_format = "0.0%" if column.startswith("gd") else "0.00%"

    typed = fill_return(
        published_spec,
        templates / template_file_name(slug),
        tmp_path / "r.xlsx",
        sample,
        slug,
        None,
        percent_row,
    )
    [saved] = libreoffice_convert([typed], "xls", tmp_path / "inbox")
    assert saved.read_bytes()[:8] == bytes.fromhex("d0cf11e0a1b11ae1")  # a real BIFF8 (OLE) file
    sub = collect_file(saved, saved.parent, published_plan)
    assert flagged(sub) == {
        ("percent-formatted", "warning", cell(published_spec, slug, key, column)) for column in HOME_COLUMNS
    }
    for column in HOME_COLUMNS:
        assert sub.cells[(key, column)].value == pytest.approx(sample[(key, column)])  # read as shown
    by_cell = {f.cell: f.message for f in sub.findings}
    assert '"0.00%"' in by_cell[cell(published_spec, slug, key, "y2018")]
    assert '"0.0%"' in by_cell[cell(published_spec, slug, key, "gd2014_2018")]


def test_whole_row_in_the_wrong_thousand_against_the_reference(
    published_spec: Spec, published_plan: Plan, templates: Path, sample: dict, tmp_path: Path
) -> None:
    key = "kt.fdi.so_von"  # FDI in tr.usd, typed in thousands of USD: published 2 400 in 2018
    changes = {(key, c): sample[(key, c)] * 1000 for c in HOME_COLUMNS}
    sub = make(published_plan, templates, sample, "so_ke_hoach_dau_tu", tmp_path / "r.xlsx", changes)
    assert flagged(sub) == {
        ("scale-slip", "warning", cell(published_spec, "so_ke_hoach_dau_tu", key, "y2018"))
    }
    assert "vccinews.com" in sub.findings[0].message  # the reference and its source are quoted


def test_value_far_from_the_published_figure(
    published_spec: Spec, published_plan: Plan, templates: Path, sample: dict, tmp_path: Path
) -> None:
    sub = make(
        published_plan,
        templates,
        sample,
        "so_ke_hoach_dau_tu",
        tmp_path / "r.xlsx",
        {("cchc.pci", "y2020"): 59.27},
    )
    where = cell(published_spec, "so_ke_hoach_dau_tu", "cchc.pci", "y2020")
    assert flagged(sub) == {("reference-mismatch", "warning", where)}
    message = sub.findings[0].message
    assert "69,27" in message and "pcivietnam.vn" in message and "published_figures_2018_2023.csv" in message


def test_growth_outside_its_plausible_range(
    published_spec: Spec, published_plan: Plan, templates: Path, sample: dict, tmp_path: Path
) -> None:
    key = "kt.nganh.dich_vu.tang_truong"
    values = with_average_growth({**sample, (key, "y2021"): 250.0}, key)
    sub = make(published_plan, templates, values, "so_cong_thuong", tmp_path / "r.xlsx")
    assert flagged(sub) == {
        ("implausible-value", "warning", cell(published_spec, "so_cong_thuong", key, "y2021"))
    }


def test_year_on_year_jump_outside_the_band(
    published_spec: Spec, published_plan: Plan, templates: Path, sample: dict, tmp_path: Path
) -> None:
    key = "kt.nganh.dich_vu.tang_truong"  # services growth ~7–10 % a year, then 90 in 2021
    values = with_average_growth({**sample, (key, "y2021"): 90.0}, key)
    sub = make(published_plan, templates, values, "so_cong_thuong", tmp_path / "r.xlsx")
    assert flagged(sub) == {
        ("implausible-change", "warning", cell(published_spec, "so_cong_thuong", key, "y2021"))
    }


# --- honest unusual values: nothing to flag ----------------------------------------------------


def test_negative_growth_beside_a_high_one_is_a_real_year(
    published_spec: Spec, published_plan: Plan, templates: Path, sample: dict, tmp_path: Path
) -> None:
    key = "kt.nganh.dich_vu.tang_truong"
    values = with_average_growth({**sample, (key, "y2019"): 17.9, (key, "y2020"): -0.61}, key)
    sub = make(published_plan, templates, values, "so_cong_thuong", tmp_path / "r.xlsx")
    assert flagged(sub) == set()


def test_a_share_truly_below_one_percent_with_small_comparison_figures(
    published_spec: Spec, published_plan: Plan, templates: Path, sample: dict, tmp_path: Path
) -> None:
    key = "xh.giam_ngheo.ty_le_ngheo"  # multidimensional poverty, falling below 1 %
    typed = dict(zip(HOME_COLUMNS, (0.95, 0.82, 0.71, 0.6, 0.52, 0.43, 1.1, 0.6), strict=True))
    changes = {(key, c): v for c, v in typed.items()} | {(key, "gd2019_2023_dbsh"): 0.9}
    sub = make(published_plan, templates, sample, "so_lao_dong_tbxh", tmp_path / "r.xlsx", changes)
    assert flagged(sub) == set()


# --- explanations in "Ghi chú" ------------------------------------------------------------------


def test_note_explains_every_warning_of_its_row_but_never_an_error(
    published_spec: Spec, published_plan: Plan, templates: Path, sample: dict, tmp_path: Path
) -> None:
    slug, key = "so_cong_thuong", "kt.nganh.dich_vu.tang_truong"
    note = "Năm 2021 khởi công dự án cảng Lạch Huyện giai đoạn 2"
    values = with_average_growth({**sample, (key, "y2021"): 90.0}, key)
    layout = build_layout(published_spec, slug)

    def explain(ws: Worksheet) -> None:
        r, c = layout.cell(key, "note")
        ws.cell(r + 1, c + 1).value = note

    # on the same row, a cell that is not a number: an error, which the note does not touch
    changes = {(key, "y2023"): "khoảng 7"}
    sub = make(published_plan, templates, values, slug, tmp_path / "r.xlsx", changes, explain)
    assert flagged(sub) == {
        ("implausible-change", "warning", cell(published_spec, slug, key, "y2021")),
        ("value-invalid", "error", cell(published_spec, slug, key, "y2023")),
    }
    warning = next(f for f in sub.findings if f.code == "implausible-change")
    assert warning.justification == note and warning.explained
    assert f"Đã giải trình: {note}" in warning.shown
    error = next(f for f in sub.findings if f.code == "value-invalid")
    assert error.justification == "" and not error.explained  # errors are never silenced by a note
    assert (sub.warnings, sub.explained, sub.errors) == (0, 1, 1)


def test_explained_warnings_reach_findings_feedback_master_and_status(
    published_spec: Spec, templates: Path, sample: dict, tmp_path: Path
) -> None:
    slug, key = "so_cong_thuong", "kt.nganh.dich_vu.tang_truong"
    note = "Đã kiểm tra: năm 2021 có dự án lớn"
    layout = build_layout(published_spec, slug)

    def explain(ws: Worksheet) -> None:
        r, c = layout.cell(key, "note")
        ws.cell(r + 1, c + 1).value = note

    inbox, out = tmp_path / "inbox", tmp_path / "out"
    values = with_average_growth({**sample, (key, "y2021"): 90.0}, key)
    # and an unexplained jump on another row, so the agency is asked to look (and gets feedback)
    values[("kt.nganh.cong_nghiep_xay_dung.dong_gop_tang_truong", "y2021")] = 250.0
    fill_return(
        published_spec, templates / template_file_name(slug), inbox / "ctk.xlsx", values, slug, None, explain
    )
    result = CliRunner().invoke(
        main,
        ["collect", str(inbox), "--out", str(out / "collect"), "--master-out", str(out / "master")],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "1 cảnh báo đã giải trình" in result.output
    records = json.loads((out / "collect" / "findings.json").read_text(encoding="utf-8"))
    assert sorted((r["row_key"], r["justification"]) for r in records if r["severity"] == "warning") == [
        ("kt.nganh.cong_nghiep_xay_dung.dong_gop_tang_truong", ""),
        (key, note),
    ]
    rows = list(
        csv.DictReader(io.StringIO((out / "collect" / "findings.csv").read_text(encoding="utf-8-sig")))
    )
    assert [r["justification"] for r in rows if r["row_key"] == key] == [note]
    feedback = openpyxl.load_workbook(out / "collect" / "feedback" / f"{slug}.xlsx")
    texts = [str(c.value) for ws in feedback.worksheets for row in ws.iter_rows() for c in row if c.value]
    assert any(f"Đã giải trình: {note}" in t for t in texts)
    master = openpyxl.load_workbook(out / "master" / "PL2_tong_hop.xlsx")
    provenance = master["Nguồn số liệu"]
    header = [c.value for c in provenance[1]]
    noted = [r for r in provenance.iter_rows(min_row=2, values_only=True) if r[0] == key]
    assert noted and {r[header.index("Ghi chú / giải trình của đơn vị")] for r in noted} == {note}
    status = master["Tình trạng nộp"]
    header = [c.value for c in status[1]]
    line = next(r for r in status.iter_rows(min_row=2, values_only=True) if r[1] == slug)
    assert line[header.index("Cảnh báo")] == 1 and line[header.index("Cảnh báo đã giải trình")] == 1
    problems = master["Lỗi"]
    header = [c.value for c in problems[1]]
    explained = [r for r in problems.iter_rows(min_row=2, values_only=True) if r[header.index("Giải trình")]]
    assert [(r[header.index("Mã dòng")], r[header.index("Giải trình")]) for r in explained] == [(key, note)]
    html = out / "status.html"
    shown = CliRunner().invoke(main, ["status", str(inbox), "--html", str(html)], catch_exceptions=False)
    line = next(x for x in shown.output.splitlines() if x.startswith("Sở Công Thương"))
    assert re.search(r"\s0\s+1\s+1\s+xem lại cảnh báo", line)  # errors, warnings, explained
    row = next(r for r in html.read_text(encoding="utf-8").split("<tr") if "<td>Sở Công Thương</td>" in r)
    assert re.findall(r'<td class="num">(\d+)</td>', row) == ["0", "1", "1"]


# --- agencies disagreeing ----------------------------------------------------------------------


def test_lead_and_co_agency_disagreeing_is_a_finding_on_both_files(
    published_spec: Spec, templates: Path, sample: dict, tmp_path: Path
) -> None:
    key = ("kt.fdi.so_du_an", "y2019")  # lead: Sở Kế hoạch và Đầu tư; co-reporting: Ban Quản lý KKT
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    for slug, name, changes in (
        ("so_ke_hoach_dau_tu", "skhdt.xlsx", None),
        ("ban_quan_ly_kkt", "bql.xlsx", {key: sample[key] + 7}),
    ):
        fill_return(published_spec, templates / template_file_name(slug), inbox / name, sample, slug, changes)
    result = CliRunner().invoke(
        main,
        ["collect", str(inbox), "--out", str(out / "collect"), "--master-out", str(out / "master")],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    records = json.loads((out / "collect" / "findings.json").read_text(encoding="utf-8"))
    found = [r for r in records if r["code"] == "agencies-disagree"]
    assert {(r["file"], r["severity"], r["cell"]) for r in found} == {
        ("skhdt.xlsx", "warning", cell(published_spec, "so_ke_hoach_dau_tu", *key)),
        ("bql.xlsx", "warning", cell(published_spec, "ban_quan_ly_kkt", *key)),
    }
    lead, co = int(sample[key]), int(sample[key] + 7)
    message = found[0]["message"]
    assert "skhdt.xlsx" in message and "bql.xlsx" in message and f"{lead}" in message and f"{co}" in message
    assert f"bảng tổng hợp giữ {lead}" in message  # the lead's value is kept
    for slug in ("so_ke_hoach_dau_tu", "ban_quan_ly_kkt"):
        feedback = openpyxl.load_workbook(out / "collect" / "feedback" / f"{slug}.xlsx")
        texts = [str(c.value) for ws in feedback.worksheets for row in ws.iter_rows() for c in row if c.value]
        assert any("bql.xlsx" in t and "skhdt.xlsx" in t for t in texts), slug
    sheet = openpyxl.load_workbook(out / "master" / "PL2_tong_hop.xlsx")["Chênh lệch"]
    header = [c.value for c in sheet[1]]
    [gap] = [r for r in sheet.iter_rows(min_row=2, values_only=True) if r[header.index("Mã dòng")] == key[0]]
    said = gap[header.index("Nội dung")]  # what the warning on each file says: files, values, kept
    assert "skhdt.xlsx" in said and "bql.xlsx" in said and f"bảng tổng hợp giữ {lead}" in said


def test_two_rows_declared_the_same_quantity_disagreeing(
    published_spec: Spec, templates: Path, sample: dict, tmp_path: Path
) -> None:
    # agriculture's share of GRDP: in the structure (Cục Thống kê) and in the sector's own rows
    # (Sở Nông nghiệp, lead; Cục Thống kê co-reports it)
    structure, sector = (
        ("kt.co_cau_nganh.nong_nghiep", "y2021"),
        ("kt.nganh.nong_nghiep.ty_trong_grdp", "y2021"),
    )
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    fill_return(
        published_spec,
        templates / template_file_name("cuc_thong_ke"),
        inbox / "ctk.xlsx",
        sample,
        "cuc_thong_ke",
    )
    slug = "so_nong_nghiep_ptnt"
    fill_return(
        published_spec, templates / template_file_name(slug), inbox / "snn.xlsx", sample, slug, {sector: 4.6}
    )
    result = CliRunner().invoke(
        main,
        ["collect", str(inbox), "--out", str(out / "collect"), "--master-out", str(out / "master")],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    records = json.loads((out / "collect" / "findings.json").read_text(encoding="utf-8"))
    same = [r for r in records if r["rule"] == "co-cau-nganh-nong-nghiep-trung"]
    assert {(r["file"], r["code"], r["severity"], r["cell"]) for r in same} == {
        ("ctk.xlsx", "agencies-disagree", "warning", cell(published_spec, "cuc_thong_ke", *structure)),
        ("snn.xlsx", "agencies-disagree", "warning", cell(published_spec, slug, *sector)),
    }
    message = same[0]["message"]
    assert "ctk.xlsx" in message and "snn.xlsx" in message and "4,1" in message and "4,6" in message
    # the sector's own cell is also reported by both agencies, differently
    cell_level = {
        (r["file"], r["cell"]) for r in records if r["code"] == "agencies-disagree" and not r["rule"]
    }
    assert cell_level == {
        ("ctk.xlsx", cell(published_spec, "cuc_thong_ke", *sector)),
        ("snn.xlsx", cell(published_spec, slug, *sector)),
    }


def test_disagreement_counts_in_every_verdict_and_rounding_is_no_disagreement(
    published_spec: Spec, templates: Path, sample: dict, tmp_path: Path
) -> None:
    """The lead (Sở Kế hoạch và Đầu tư) and the co-reporting Ban Quản lý KKT: FDI projects 2019
    differ by 7 (a finding on both files, counted in both agencies' warnings wherever a verdict is
    shown); FDI capital 2019, 2 453,1 against 2 453 rounded to a whole number, agrees."""
    lead, co = "so_ke_hoach_dau_tu", "ban_quan_ly_kkt"
    differing, rounded = ("kt.fdi.so_du_an", "y2019"), ("kt.fdi.so_von", "y2019")
    blank = ("kt.kcn.ty_le_lap_day", "y2023")  # the co-agency must also fill a cell: a correction letter
    assert sample[rounded] == 2453.1
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    fill_return(published_spec, templates / template_file_name(lead), inbox / "skhdt.xlsx", sample, lead)
    changes = {differing: sample[differing] + 7, rounded: 2453, blank: None}
    fill_return(published_spec, templates / template_file_name(co), inbox / "bql.xlsx", sample, co, changes)
    for path in inbox.iterdir():  # both arrived before the deadline
        os.utime(path, (datetime(2024, 5, 2, 9, tzinfo=UTC).timestamp(),) * 2)
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(main, list(args), catch_exceptions=False)
        assert result.exit_code in (0, 1), result.output
        return result.output

    collected = run("collect", str(inbox), "--out", str(out / "collect"), "--master-out", str(out / "master"))
    records = json.loads((out / "collect" / "findings.json").read_text(encoding="utf-8"))
    assert {(r["file"], r["code"], r["severity"], r["cell"]) for r in records if r["severity"] != "info"} == {
        ("skhdt.xlsx", "agencies-disagree", "warning", cell(published_spec, lead, *differing)),
        ("bql.xlsx", "agencies-disagree", "warning", cell(published_spec, co, *differing)),
    }  # nothing on the rounded capital
    rows = list(
        csv.DictReader(io.StringIO((out / "collect" / "findings.csv").read_text(encoding="utf-8-sig")))
    )
    assert sorted(r["file"] for r in rows if r["code"] == "agencies-disagree") == ["bql.xlsx", "skhdt.xlsx"]
    assert "Tổng cộng: 2 tệp (0 không đọc được), 0 lỗi, 2 cảnh báo." in collected
    master = openpyxl.load_workbook(out / "master" / "PL2_tong_hop.xlsx")
    gaps = [r[-1] for r in master["Chênh lệch"].iter_rows(min_row=2, values_only=True)]  # "Mã dòng"
    assert gaps == [differing[0]]
    sheet = master["Tình trạng nộp"]
    header = [c.value for c in sheet[1]]
    states = {
        r[1]: (r[header.index("Tình trạng")], r[header.index("Lỗi")], r[header.index("Cảnh báo")])
        for r in sheet.iter_rows(min_row=2, values_only=True)
    }
    assert states[lead] == ("đã nộp – có cảnh báo", 0, 1)
    assert states[co] == ("đã nộp – cần sửa", 0, 1)  # its blank cell; the warning counted too

    html = out / "status.html"
    status = run("status", str(inbox), "--as-of", "2024-05-03", "--html", str(html))
    line = next(x for x in status.splitlines() if x.startswith("Sở Kế hoạch và Đầu tư"))
    assert "đã nộp – có cảnh báo" in line and re.search(
        r"\s0\s+1\s+0\s+xem lại cảnh báo \(1 cảnh báo\)", line
    )
    line = next(x for x in status.splitlines() if x.startswith("Ban Quản lý Khu kinh tế"))
    assert "đã nộp – cần sửa" in line and re.search(r"\s0\s+1\s+0\s+đề nghị sửa", line)
    page = html.read_text(encoding="utf-8")
    row = next(r for r in page.split("<tr") if "<td>Sở Kế hoạch và Đầu tư</td>" in r)
    assert re.findall(r'<td class="num">(\d+)</td>', row) == ["0", "1", "0"]  # errors, warnings, explained
    assert "đã nộp – có cảnh báo" in row

    letters = out / "reminders"
    run("mail", "reminders", str(inbox), "--as-of", "2024-05-03", "--out", str(letters), "--templates",
        str(templates))  # fmt: skip
    assert not (letters / f"{lead}.eml").exists()  # warnings only: the officer looks, no letter
    message = message_from_bytes((letters / f"{co}.eml").read_bytes(), policy=default)
    [attachment] = list(message.iter_attachments())
    feedback = openpyxl.load_workbook(io.BytesIO(attachment.get_content()))
    issues = [r for r in feedback["Lỗi cần sửa"].iter_rows(min_row=5, values_only=True) if any(r)]
    assert any(r[0] == cell(published_spec, co, *differing) and "skhdt.xlsx" in r[4] for r in issues)


# --- the correction letter --------------------------------------------------------------------


@pytest.mark.parametrize("note", ["", "Số liệu của Sở tính bằng triệu đồng"])
def test_correction_letter_counts_what_its_attachment_lists_and_every_row_names_its_cell(
    published_spec: Spec, templates: Path, sample: dict, tmp_path: Path, note: str
) -> None:
    """One error, one blank cell and one unit typed in another (convertible) unit: the letter asks
    for 2 corrections and 1 look (or, the unit explained in "Ghi chú", says it is explained), and
    the attached "Lỗi cần sửa" sheet lists those 3, each at its cell (the unit's own for the unit)."""
    slug, converted = "so_tai_chinh", "kt.thu_ns.nsnn_dia_ban"
    invalid, blank = ("kt.chi_ns.tong_chi", "y2020"), ("kt.can_doi_ns.tu_can_doi", "y2021")
    layout = build_layout(published_spec, slug)
    changes: dict[tuple[str, str], object] = {
        (converted, c.id): sample[(converted, c.id)] * 1000
        for c in published_spec.campaign.columns
        if (converted, c.id) in sample
    }
    changes |= {invalid: "khoảng 7", blank: None}

    def in_millions(ws: Worksheet) -> None:  # the clerk types millions and says so in the ĐVT cell
        ws.cell(layout.row_of[converted] + 1, layout.col["unit"] + 1).value = "triệu đồng"
        if note:
            ws.cell(layout.row_of[converted] + 1, layout.col["note"] + 1).value = note

    inbox = tmp_path / "inbox"
    fill_return(
        published_spec,
        templates / template_file_name(slug),
        inbox / "stc.xlsx",
        sample,
        slug,
        changes,
        in_millions,
    )
    os.utime(inbox / "stc.xlsx", (datetime(2024, 5, 2, 9, tzinfo=UTC).timestamp(),) * 2)
    letters = tmp_path / "reminders"
    result = CliRunner().invoke(
        main,
        [
            "mail",
            "reminders",
            str(inbox),
            "--as-of",
            "2024-05-03",
            "--out",
            str(letters),
            "--templates",
            str(templates),
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    message = message_from_bytes((letters / f"{slug}.eml").read_bytes(), policy=default)
    body = message.get_body(("plain",)).get_content()
    [attachment] = list(message.iter_attachments())
    sheet = openpyxl.load_workbook(io.BytesIO(attachment.get_content()))["Lỗi cần sửa"]
    rows = [r for r in sheet.iter_rows(min_row=5, values_only=True) if any(r)]
    unit_cell = xl_rowcol_to_cell(layout.row_of[converted], layout.col["unit"])
    assert [(r[0], r[2], r[3]) for r in rows] == [
        (cell(published_spec, slug, *invalid), "Năm 2020", "Lỗi"),
        (cell(published_spec, slug, *blank), "Năm 2021", "Lỗi"),
        (unit_cell, "ĐVT", "Cảnh báo"),
    ]
    assert "triệu đồng" in rows[2][4] and "chưa có số liệu" in rows[1][4]
    # the unit cell itself is marked in the returned sheet, with the reason as its comment
    main_sheet = openpyxl.load_workbook(io.BytesIO(attachment.get_content()))["Phụ lục 2"]
    unit = main_sheet[unit_cell]
    assert unit.fill.fgColor.rgb.endswith("F4B6B6") and "triệu đồng" in unit.comment.text
    # the sheet says what it holds: errors to fix and a warning to look at
    assert sheet["A1"].value.startswith("LỖI CẦN SỬA VÀ ĐIỂM CẦN XEM LẠI — ")
    assert '"Ghi chú / nguồn số liệu"' in sheet["A2"].value
    assert "biểu còn 2 điểm cần sửa:" in body
    if note:
        assert "điểm cần xem lại" not in body and "Biểu có 1 cảnh báo đã có giải trình." in body
        assert f"Đã giải trình: {note}" in rows[2][4]
    else:
        assert "biểu có 1 điểm cần xem lại (cảnh báo)" in body
        assert 'giải trình vào cột "Ghi chú / nguồn số liệu"' in body
    assert 'sheet "Lỗi cần sửa" liệt kê chi tiết 3 điểm nêu trên' in body
    listed = [line for line in body.splitlines() if line.startswith("- ")]
    assert [re.match(r"- Ô ([A-Z]+\d+)", line).group(1) for line in listed] == [rows[0][0], rows[1][0]]  # type: ignore[union-attr]
