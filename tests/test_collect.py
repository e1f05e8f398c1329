"""collect on real returns: generated templates filled as agencies fill them, one mistake per file."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.worksheet.worksheet import Worksheet
from xlsxwriter.utility import xl_rowcol_to_cell

from indicator_kit.catalog.spec import Spec
from indicator_kit.cli import main
from indicator_kit.collect.limits import Limits
from indicator_kit.collect.model import NOT_ARCHIVED, Archived, Submission
from indicator_kit.collect.run import collect_entry, collect_file, collect_inbox
from indicator_kit.collect.twins import Twin, as_twin
from indicator_kit.findings import finding
from indicator_kit.generate import generate, template_file_name
from indicator_kit.plan import Plan
from indicator_kit.sample import consistent_values
from indicator_kit.simulate import fill_return
from indicator_kit.template.layout import build_layout

Edit = Callable[[Worksheet], None]


@pytest.fixture(scope="module")
def templates(spec: Spec, plan: Plan, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("templates")
    generate(plan, out)
    return out


@pytest.fixture(scope="module")
def values(published_spec: Spec) -> dict[tuple[str, str], float]:
    return consistent_values(published_spec)  # rows free of rules follow the published figures


def cell(spec: Spec, slug: str, key: str, column: str) -> str:
    return xl_rowcol_to_cell(*build_layout(spec, slug).cell(key, column))


def make_return(
    spec: Spec,
    templates: Path,
    values: dict[tuple[str, str], float],
    slug: str,
    out: Path,
    changes: dict[tuple[str, str], object] | None = None,
    edit: Edit | None = None,
) -> Path:
    """Fill an agency's template completely and correctly, then apply the mistake."""
    return fill_return(spec, templates / template_file_name(slug), out, values, slug, changes, edit)


def codes_and_cells(sub: Submission, include_info: bool = False) -> set[tuple[str, str]]:
    return {(f.code, f.cell) for f in sub.findings if include_info or f.severity.value != "info"}


def test_every_correct_return_has_no_findings(
    spec: Spec, plan: Plan, templates: Path, values: dict, tmp_path: Path
) -> None:
    for agency in spec.agencies:
        make_return(spec, templates, values, agency.slug, tmp_path / f"{agency.slug}.xlsx")
    subs = collect_inbox(tmp_path, plan)
    assert len(subs) == len(spec.agencies)
    for sub in subs:
        assert sub.findings == [], (sub.file, [(f.code, f.cell, f.message) for f in sub.findings][:5])
        assert sub.answered == len(spec.rows_for(sub.agency)) * len(spec.campaign.columns)
        assert sub.identified_by == "embedded"
    # the sample includes structures consistent only within rounding (33,3 + 33,3 + 33,4)
    assert values[("kt.von_dtxh.co_cau.khu_vuc_nha_nuoc", "y2019")] == 33.3


# (agency, key, column, typed) → the one finding expected and the value read
VALUE_CASES = {
    "vietnamese-text": ("ban_quan_ly_kkt", "kt.kcn.dien_tich", "y2018", "1.234,5", "text-number", 1234.5),
    "english-text": ("ban_quan_ly_kkt", "kt.kcn.dien_tich", "y2018", "1,234.5", "text-number", 1234.5),
    "percent-sign": ("so_xay_dung", "kt.do_thi_hoa", "y2019", "50,0%", "text-number", 50.0),
    "spaces-thousands": ("ban_quan_ly_kkt", "kt.kcn.dien_tich", "y2018", "1 234", "text-number", 1234.0),
    "negative-brackets": (
        "so_nong_nghiep_ptnt",
        "kt.nganh.nong_nghiep.dong_gop_tang_truong",
        "y2019",
        "(12,5)",
        "text-number",
        -12.5,
    ),
    "minus-sign": (
        "so_nong_nghiep_ptnt",
        "kt.nganh.nong_nghiep.dong_gop_tang_truong",
        "y2019",
        "\u22120,8",
        "text-number",
        -0.8,
    ),
    "en-dash-minus": (
        "so_nong_nghiep_ptnt",
        "kt.nganh.nong_nghiep.dong_gop_tang_truong",
        "y2019",
        "\u20130,8",
        "text-number",
        -0.8,
    ),
    "date-for-number": (
        "so_y_te",
        "xh.bac_si_van_dan",
        "y2019",
        datetime(2024, 5, 1),
        "date-in-number",
        None,
    ),
    # a count of 1 234 beside 100s would also be an implausible change: a grouped amount instead
    "ambiguous-grouping": (
        "ban_quan_ly_kkt",
        "kt.kcn.dien_tich",
        "y2019",
        "1.234",
        "number-ambiguous",
        1234.0,
    ),
    "ambiguous-ratio": ("so_y_te", "xh.bac_si_van_dan", "y2019", "11,700", "number-ambiguous", 11.7),
    "invalid-text": ("so_y_te", "xh.bac_si_van_dan", "y2019", "khoảng 12", "value-invalid", None),
    "percent-on-amount": ("ban_quan_ly_kkt", "kt.kcn.dien_tich", "y2018", "12%", "value-invalid", None),
    "count-not-whole": ("ban_quan_ly_kkt", "kt.kcn.so_luong", "y2020", 12.5, "count-not-whole", None),
    "percent-as-fraction": ("so_xay_dung", "kt.do_thi_hoa", "y2020", 0.5, "percent-as-fraction", 0.5),
    "scale-slip": ("ban_quan_ly_kkt", "kt.kcn.dien_tich", "y2020", 1_000_000, "scale-slip", 1_000_000),
    "formula-without-value": ("so_y_te", "xh.bac_si_van_dan", "y2021", "=1+1", "formula-no-value", None),
}


# The severity policy (docs/findings.md): an unambiguous coercion is recorded (info); an
# ambiguous reading or a suspected slip needs a person (warning); a value that cannot be used
# is an error.
SEVERITY = {
    "text-number": "info",
    "number-ambiguous": "warning",
    "value-invalid": "error",
    "date-in-number": "error",
    "count-not-whole": "error",
    "percent-as-fraction": "warning",
    "scale-slip": "warning",
    "formula-no-value": "error",
}


@pytest.mark.parametrize("case", list(VALUE_CASES))
def test_value_mistakes(
    spec: Spec, plan: Plan, templates: Path, values: dict, tmp_path: Path, case: str
) -> None:
    slug, key, column, typed, code, read_as = VALUE_CASES[case]
    path = make_return(spec, templates, values, slug, tmp_path / "r.xlsx", {(key, column): typed})
    sub = collect_file(path, tmp_path, plan)
    assert codes_and_cells(sub, include_info=True) == {(code, cell(spec, slug, key, column))}
    assert {f.severity.value for f in sub.findings} == {SEVERITY[code]}
    result = sub.cells[(key, column)]
    if read_as is None:
        assert not result.usable
    else:
        assert result.usable and result.value == pytest.approx(read_as)
    finding = next(f for f in sub.findings if f.code == code)
    assert finding.sheet == "Phụ lục 2" and finding.agency == slug and finding.row_key == key
    if isinstance(typed, str) and not typed.startswith("="):
        assert typed in finding.message  # the message quotes what was typed


def test_no_data_marker_counts_as_answered(
    spec: Spec, plan: Plan, templates: Path, values: dict, tmp_path: Path
) -> None:
    key = ("xh.bac_si_van_dan", "y2019")
    path = make_return(spec, templates, values, "so_y_te", tmp_path / "r.xlsx", {key: "x"})
    sub = collect_file(path, tmp_path, plan)
    assert codes_and_cells(sub, include_info=True) == {("no-data", cell(spec, "so_y_te", *key))}
    assert sub.errors == sub.warnings == 0
    assert sub.answered == len(spec.rows_for("so_y_te")) * len(spec.campaign.columns)


def set_unit(key: str, slug: str, unit: str, spec: Spec) -> Edit:
    def edit(ws: Worksheet) -> None:
        r, c = build_layout(spec, slug).cell(key, "unit")
        ws.cell(r + 1, c + 1).value = unit

    return edit


def test_unit_changed_to_trieu_dong_is_converted(
    spec: Spec, plan: Plan, templates: Path, values: dict, tmp_path: Path
) -> None:
    slug, key = "so_tai_chinh", "kt.thu_ns.tien_su_dung_dat"
    changes = {(key, c.id): values[(key, c.id)] * 1000 for c in spec.campaign.columns}
    path = make_return(
        spec, templates, values, slug, tmp_path / "r.xlsx", changes, set_unit(key, slug, "triệu đồng", spec)
    )
    sub = collect_file(path, tmp_path, plan)
    assert codes_and_cells(sub) == {("unit-converted", cell(spec, slug, key, "unit"))}
    # exactly the figures in tỷ đồng: a conversion adds no binary noise (…,100000001)
    assert [sub.cells[(key, c.id)].value for c in spec.campaign.columns] == [
        values[(key, c.id)] for c in spec.campaign.columns
    ]


@pytest.mark.parametrize(
    ("unit", "code"), [("tỷ đồng", "unit-edited"), ("ha", "unit-unknown"), (" Tỷ.đ ", None)]
)
def test_unit_variants(
    spec: Spec, plan: Plan, templates: Path, values: dict, tmp_path: Path, unit: str, code: str | None
) -> None:
    slug, key = "so_tai_chinh", "kt.thu_ns.tien_su_dung_dat"
    path = make_return(
        spec, templates, values, slug, tmp_path / "r.xlsx", edit=set_unit(key, slug, unit, spec)
    )
    sub = collect_file(path, tmp_path, plan)
    expected = {(code, cell(spec, slug, key, "unit"))} if code else set()
    if code == "unit-unknown":  # the row's values are not used, so rules needing them don't run
        assert not sub.cells[(key, "y2019")].usable
    assert codes_and_cells(sub, include_info=True) == expected
    # a spelling variant is recorded (info); a unit that cannot be converted is an error
    assert [f.severity.value for f in sub.findings] == {
        "unit-edited": ["info"],
        "unit-unknown": ["error"],
    }.get(code or "", [])


@pytest.mark.parametrize(
    ("change", "code", "severity"),
    [(10, "parts-exceed-total", "error"), (-10, "parts-below-total", "warning")],
)
def test_totals_error(
    spec: Spec,
    plan: Plan,
    templates: Path,
    values: dict,
    tmp_path: Path,
    change: int,
    code: str,
    severity: str,
) -> None:
    """The purposes of public investment need not cover all of it: parts above the total cannot
    be right, a total above its purposes is for a person to look at."""
    slug = "so_ke_hoach_dau_tu"
    key = ("kt.von_dtc.ha_tang", "y2021")
    path = make_return(spec, templates, values, slug, tmp_path / "r.xlsx", {key: values[key] + change})
    sub = collect_file(path, tmp_path, plan)
    assert codes_and_cells(sub) == {
        (code, cell(spec, slug, "kt.von_dtc", "y2021")),
        ("period-mismatch", cell(spec, slug, "kt.von_dtc.ha_tang", "gd2019_2023_hp")),
    }
    total = next(f for f in sub.findings if f.code == code)
    assert total.rule == "von-dtc-tong" and total.severity.value == severity
    assert "chênh 10" in total.message and "2021" in total.message


def test_shares_not_100_integers(
    spec: Spec, plan: Plan, templates: Path, values: dict, tmp_path: Path
) -> None:
    keys = [
        "kt.co_cau_nganh.nong_nghiep",
        "kt.co_cau_nganh.cong_nghiep_xay_dung",
        "kt.co_cau_nganh.dich_vu",
        "kt.co_cau_nganh.thue_tru_tro_cap",
    ]
    # four whole shares may each be off by 0,5 (33 + 33 + 33 + 0 is fine), not by 3 together
    changes = {(k, "y2019"): v for k, v in zip(keys, [33, 33, 31, 0], strict=True)}
    path = make_return(spec, templates, values, "cuc_thong_ke", tmp_path / "r.xlsx", changes)
    sub = collect_file(path, tmp_path, plan)
    assert codes_and_cells(sub) == {("shares-not-100", cell(spec, "cuc_thong_ke", keys[0], "y2019"))}
    assert "bằng 97" in sub.findings[0].message


def test_share_inconsistent_with_amounts(
    spec: Spec, plan: Plan, templates: Path, values: dict, tmp_path: Path
) -> None:
    slug = "so_tai_chinh"
    key = ("kt.chi_ns.ty_trong.dau_tu_phat_trien", "y2022")
    path = make_return(spec, templates, values, slug, tmp_path / "r.xlsx", {key: values[key] + 5})
    sub = collect_file(path, tmp_path, plan)
    assert codes_and_cells(sub) == {("share-mismatch", cell(spec, slug, *key))}


def test_range_errors(spec: Spec, plan: Plan, templates: Path, values: dict, tmp_path: Path) -> None:
    changes = {("kt.do_thi_hoa", "y2019"): 120, ("mt.nuoc_sach.thanh_thi", "y2020"): -3}
    path = make_return(spec, templates, values, "so_xay_dung", tmp_path / "r.xlsx", changes)
    sub = collect_file(path, tmp_path, plan)
    assert codes_and_cells(sub) == {("out-of-range", cell(spec, "so_xay_dung", *k)) for k in changes}


def write_to(
    row_key: str | None, column: str, value: object, slug: str, spec: Spec, row: int | None = None
) -> Edit:
    def edit(ws: Worksheet) -> None:
        layout = build_layout(spec, slug)
        r = layout.row_of[row_key] if row_key else row
        ws.cell(r + 1, layout.col[column] + 1 if column in layout.col else int(column)).value = value

    return edit


STRUCTURE_CASES: dict[str, tuple[str, Callable[[Spec], Edit], Callable[[Spec], set[tuple[str, str]]]]] = {
    "value-in-context-row": (
        "cuc_thong_ke",
        lambda s: write_to("kt.von_dtxh", "y2019", 5, "cuc_thong_ke", s),
        lambda s: {("value-outside-input", cell(s, "cuc_thong_ke", "kt.von_dtxh", "y2019"))},
    ),
    "value-beyond-table": (
        "so_y_te",
        lambda s: write_to("xh.bhyt", "20", 7, "so_y_te", s),
        lambda s: {
            ("value-outside-input", xl_rowcol_to_cell(build_layout(s, "so_y_te").row_of["xh.bhyt"], 19))
        },
    ),
    "label-edited": (
        "so_y_te",
        lambda s: write_to("xh.bhyt", "label", "Tỷ lệ dân số tham gia BHYT", "so_y_te", s),
        lambda s: {("label-edited", cell(s, "so_y_te", "xh.bhyt", "label"))},
    ),
    "label-whitespace-only": (
        "so_y_te",
        lambda s: write_to("xh.bhyt", "label", "Tỷ lệ\u00a0tham  gia BHYT.", "so_y_te", s),
        lambda s: set(),
    ),
    "tt-edited": (
        "so_y_te",
        lambda s: write_to("xh.bhyt", "tt", "13a", "so_y_te", s),
        lambda s: {("tt-edited", cell(s, "so_y_te", "xh.bhyt", "tt"))},
    ),
}


@pytest.mark.parametrize("case", list(STRUCTURE_CASES))
def test_structure_mistakes(
    spec: Spec, plan: Plan, templates: Path, values: dict, tmp_path: Path, case: str
) -> None:
    slug, edit, expected = STRUCTURE_CASES[case]
    path = make_return(spec, templates, values, slug, tmp_path / "r.xlsx", edit=edit(spec))
    assert codes_and_cells(collect_file(path, tmp_path, plan), include_info=True) == expected(spec)


def test_row_deleted_and_inserted(
    spec: Spec, plan: Plan, templates: Path, values: dict, tmp_path: Path
) -> None:
    slug = "so_van_hoa_the_thao"
    layout = plan.layout(slug)

    def delete(ws: Worksheet) -> None:
        ws.delete_rows(layout.row_of["xh.van_hoa.thon_to_dan_pho"] + 1)

    sub = collect_file(
        make_return(spec, templates, values, slug, tmp_path / "d.xlsx", edit=delete), tmp_path, plan
    )
    assert ("row-missing", "") in codes_and_cells(sub)
    assert sub.cells[("xh.nha_van_hoa", "y2019")].value == values[("xh.nha_van_hoa", "y2019")]  # still by key

    def insert(ws: Worksheet) -> None:
        r = layout.row_of["xh.nha_van_hoa"] + 1
        ws.insert_rows(r)
        ws.cell(r, 2).value = "Tỷ lệ gia đình văn hóa (bổ sung)"
        ws.cell(r, 4).value = 77

    sub = collect_file(
        make_return(spec, templates, values, slug, tmp_path / "i.xlsx", edit=insert), tmp_path, plan
    )
    row = layout.row_of["xh.nha_van_hoa"]
    assert codes_and_cells(sub) == {
        ("row-inserted", xl_rowcol_to_cell(row, 1)),
        ("value-outside-input", xl_rowcol_to_cell(row, 3)),
    }
    moved = xl_rowcol_to_cell(row + 1, layout.col["y2019"])
    assert sub.cells[("xh.nha_van_hoa", "y2019")].cell == moved  # as the agency sees it


def test_renamed_sheet(spec: Spec, plan: Plan, templates: Path, values: dict, tmp_path: Path) -> None:
    def rename(ws: Worksheet) -> None:
        ws.title = "Bieu so lieu"

    sub = collect_file(
        make_return(spec, templates, values, "so_y_te", tmp_path / "r.xlsx", edit=rename), tmp_path, plan
    )
    assert codes_and_cells(sub, include_info=True) == {("sheet-renamed", "")}
    assert sub.findings[0].severity.value == "info"  # found and read as usual: nobody acts
    assert sub.answered == 40


def test_rows_copied_into_own_workbook(
    spec: Spec, plan: Plan, templates: Path, values: dict, tmp_path: Path
) -> None:
    """No metadata, no properties, no key column: identified by the title, rows by labels."""
    filled = make_return(spec, templates, values, "so_y_te", tmp_path / "src" / "r.xlsx")
    source = openpyxl.load_workbook(filled)["Phụ lục 2"]
    own = openpyxl.Workbook()
    ws = own.active
    ws.title = "Sheet1"
    for row in source.iter_rows(max_col=16):  # everything but the hidden key column
        for c in row:
            if c.value is not None and not str(c.value).startswith(("=", "Mã nhận dạng")):
                ws.cell(c.row, c.column).value = c.value
    out = tmp_path / "inbox" / "bao_cao_so_y_te.xlsx"
    out.parent.mkdir()
    own.save(out)
    sub = collect_file(out, out.parent, plan)
    assert sub.agency == "so_y_te" and sub.identified_by == "title"
    assert codes_and_cells(sub, include_info=True) == {
        ("identity-fallback", ""),
        ("sheet-renamed", ""),
        ("identity-unverified", ""),
    }
    assert sub.answered == 40 and not sub.verified


def retag(path: Path, out: Path, old: str, new: str) -> Path:
    """Rewrite identity strings inside the xlsx parts, as a hand edit or another campaign would."""
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename.endswith(".xml"):
                data = data.replace(old.encode(), new.encode())
            dst.writestr(item, data)
    return out


def test_other_campaign_and_unknown_agency(
    spec: Spec, plan: Plan, templates: Path, values: dict, tmp_path: Path
) -> None:
    filled = make_return(spec, templates, values, "so_y_te", tmp_path / "src.xlsx")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    retag(filled, inbox / "a.xlsx", spec.campaign.id, "qn-2025")
    retag(filled, inbox / "b.xlsx", "so_y_te", "so_ngoai_vu")
    retag(filled, inbox / "c.xlsx", spec.spec_hash, "000000000000")
    subs = {s.file: s for s in collect_inbox(inbox, plan)}
    assert codes_and_cells(subs["a.xlsx"]) == {("other-campaign", "")}
    assert codes_and_cells(subs["b.xlsx"]) == {("unknown-agency", "")}
    # the hash was changed by hand, so the signature no longer verifies
    assert codes_and_cells(subs["c.xlsx"]) == {("spec-version-mismatch", ""), ("identity-unverified", "")}
    assert subs["c.xlsx"].answered == 40 and not subs["c.xlsx"].verified


def test_identity_edited_by_hand_conflicts(
    spec: Spec, plan: Plan, templates: Path, values: dict, tmp_path: Path
) -> None:
    filled = make_return(spec, templates, values, "so_y_te", tmp_path / "src.xlsx")
    wb = openpyxl.load_workbook(filled)
    ws = wb["Phụ lục 2"]
    ws["A7"].value = ws["A7"].value.replace("so_y_te", "so_noi_vu")
    wb.save(tmp_path / "edited.xlsx")
    sub = collect_file(tmp_path / "edited.xlsx", tmp_path, plan)
    assert ("identity-conflict", "") in codes_and_cells(sub)


def test_file_kinds_detected_by_content(spec: Spec, plan: Plan, templates: Path, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    (inbox / "sub").mkdir(parents=True)
    (inbox / "empty.xlsx").write_bytes(b"")
    (inbox / "scan.xlsx").write_bytes(b"%PDF-1.4\n...")
    (inbox / "data.xls").write_text("a,b\n1,2\n", encoding="utf-8")
    good = (templates / template_file_name("so_noi_vu")).read_bytes()
    (inbox / "truncated.xlsx").write_bytes(good[: len(good) // 2])
    (inbox / "sub" / "so noi vu (1).xlsm").write_bytes(good)  # renamed, in a subfolder
    (inbox / "~$lock.xlsx").write_bytes(b"lock")
    (inbox / ".hidden.xlsx").write_bytes(b"x")
    subs = {s.file: s for s in collect_inbox(inbox, plan)}
    assert set(subs) == {"empty.xlsx", "scan.xlsx", "data.xls", "truncated.xlsx", "sub/so noi vu (1).xlsm"}
    assert codes_and_cells(subs["empty.xlsx"]) == {("file-empty", "")}
    assert codes_and_cells(subs["scan.xlsx"]) == {("not-a-workbook", "")}
    assert "PDF" in subs["scan.xlsx"].findings[0].message
    assert codes_and_cells(subs["data.xls"]) == {("not-a-workbook", "")}
    assert codes_and_cells(subs["truncated.xlsx"]) == {("file-unreadable", "")}
    assert (
        subs["sub/so noi vu (1).xlsm"].agency == "so_noi_vu" and not subs["sub/so noi vu (1).xlsm"].findings
    )


def test_cli_on_a_mixed_folder(spec: Spec, templates: Path, values: dict, tmp_path: Path) -> None:
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    make_return(spec, templates, values, "so_noi_vu", inbox / "noi_vu.xlsx")
    key = ("xh.bac_si_van_dan", "y2019")
    make_return(spec, templates, values, "so_y_te", inbox / "y_te.xlsx", {key: "=cmd|' /C calc'!A0"})
    make_return(
        spec,
        templates,
        values,
        "so_xay_dung",
        inbox / "xay_dung.xlsx",
        {("kt.do_thi_hoa", "y2019"): "khoảng 40"},
    )
    (inbox / "note.pdf").write_bytes(b"%PDF-1.7")
    result = CliRunner().invoke(
        main,
        ["collect", str(inbox), "--out", str(out), "--master-out", str(tmp_path / "master")],
        catch_exceptions=False,
    )
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert any(line.startswith("[ĐẠT]") and "noi_vu.xlsx" in line for line in lines)
    assert any(line.startswith("[CẦN SỬA]") and "xay_dung.xlsx" in line and "1 lỗi" in line for line in lines)
    assert any(line.startswith("[KHÔNG ĐỌC]") and "note.pdf" in line for line in lines)
    assert "Tổng cộng: 4 tệp (1 không đọc được)" in result.output
    raw = (out / "findings.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert "khoảng 40" in text and "\n=" not in text and ",=" not in text
    records = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert {r["code"] for r in records} >= {"value-invalid", "formula-no-value", "not-a-workbook"}
    assert sorted(p.name for p in (out / "feedback").iterdir()) == ["so_xay_dung.xlsx", "so_y_te.xlsx"]
    as_json = CliRunner().invoke(
        main,
        [
            "collect",
            str(inbox),
            "--out",
            str(out),
            "--master-out",
            str(tmp_path / "master"),
            "--format",
            "json",
        ],
        catch_exceptions=False,
    )
    assert json.loads(as_json.output) == records


def test_cli_exit_zero_when_clean(spec: Spec, templates: Path, values: dict, tmp_path: Path) -> None:
    make_return(spec, templates, values, "so_noi_vu", tmp_path / "inbox" / "a.xlsx")
    result = CliRunner().invoke(
        main,
        [
            "collect",
            str(tmp_path / "inbox"),
            "--out",
            str(tmp_path / "out"),
            "--master-out",
            str(tmp_path / "master"),
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0 and not (tmp_path / "out" / "feedback").exists()


def test_feedback_workbook(spec: Spec, plan: Plan, templates: Path, values: dict, tmp_path: Path) -> None:
    key = ("kt.do_thi_hoa", "y2019")
    make_return(spec, templates, values, "so_xay_dung", tmp_path / "inbox" / "r.xlsx", {key: "khoảng 40"})
    CliRunner().invoke(
        main,
        [
            "collect",
            str(tmp_path / "inbox"),
            "--out",
            str(tmp_path / "out"),
            "--master-out",
            str(tmp_path / "master"),
        ],
        catch_exceptions=False,
    )
    wb = openpyxl.load_workbook(tmp_path / "out" / "feedback" / "so_xay_dung.xlsx")
    assert wb.sheetnames == ["Phụ lục 2", "Lỗi cần sửa", "Hướng dẫn", "_ik_meta"]
    ws = wb["Phụ lục 2"]
    bad = ws[cell(spec, "so_xay_dung", *key)]
    assert bad.value == "khoảng 40" and bad.comment is not None and "không phải là số" in bad.comment.text
    assert bad.fill.fgColor.rgb.endswith("F4B6B6") and bad.protection.locked is False
    good = ws[cell(spec, "so_xay_dung", "kt.do_thi_hoa", "y2020")]
    assert good.value == values[("kt.do_thi_hoa", "y2020")] and good.comment is None
    issues = wb["Lỗi cần sửa"]
    rows = [[c.value for c in r] for r in issues.iter_rows(min_row=5)]
    assert (
        rows
        == [[cell(spec, "so_xay_dung", *key), "Tỷ lệ đô thị hóa", "Năm 2019", "Lỗi", next(iter(rows))[4]]]
        and "khoảng 40" in rows[0][4]
    )
    assert ws.protection.sheet and issues.protection.sheet
    # the feedback file is itself a valid return: collecting it finds the same problem
    shutil.copy(tmp_path / "out" / "feedback" / "so_xay_dung.xlsx", tmp_path / "again.xlsx")
    sub = collect_file(tmp_path / "again.xlsx", tmp_path, plan)
    assert codes_and_cells(sub) == {("value-invalid", cell(spec, "so_xay_dung", *key))}


def test_identity_signature(spec: Spec, plan: Plan, templates: Path, values: dict, tmp_path: Path) -> None:
    """A consistent hand edit of every identity field to another agency is caught by the HMAC;
    the officer can accept a file explicitly, and that is recorded."""
    from indicator_kit.collect.limits import Limits

    filled = make_return(spec, templates, values, "so_y_te", tmp_path / "src.xlsx")
    forged = (
        retag(filled, tmp_path / "inbox" / "forged.xlsx", "so_y_te", "so_xay_dung")
        if (tmp_path / "inbox").mkdir() is None
        else None
    )
    sub = collect_file(forged, tmp_path / "inbox", plan)
    assert sub.agency == "so_xay_dung" and not sub.verified
    assert ("identity-unverified", "") in codes_and_cells(sub)
    accepted = collect_file(forged, tmp_path / "inbox", plan, Limits(accepted=frozenset({"forged.xlsx"})))
    assert accepted.verified and ("identity-accepted", "") in codes_and_cells(accepted, include_info=True)
    genuine = collect_file(filled, tmp_path, plan)
    assert genuine.verified and genuine.identity is not None and genuine.identity.token


def test_spawned_workers_compile_the_plan_and_judge_alike(
    spec: Spec, plan: Plan, templates: Path, values: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where processes are spawned (Windows, macOS), each worker receives the plan as its spec and
    compiles it again: its verdicts are the forked workers'."""
    from indicator_kit import processes

    key = ("kt.von_dtc.ha_tang", "y2021")
    make_return(spec, templates, values, "so_ke_hoach_dau_tu", tmp_path / "a.xlsx", {key: values[key] + 10})
    make_return(spec, templates, values, "so_y_te", tmp_path / "b.xlsx")
    forked = collect_inbox(tmp_path, plan, workers=2)
    monkeypatch.setattr(processes, "START_METHOD", "spawn")
    spawned = collect_inbox(tmp_path, plan, workers=2)
    assert [codes_and_cells(s) for s in spawned] == [codes_and_cells(s) for s in forked]
    assert ("parts-exceed-total", cell(spec, "so_ke_hoach_dau_tu", "kt.von_dtc", "y2021")) in codes_and_cells(
        spawned[0]
    )


def _judged(sub: Submission) -> Submission:
    """A verdict without what depends on the reading itself (its time, memory and archive work)."""
    return replace(sub, seconds=0.0, peak_kb=0, archive=NOT_ARCHIVED)


def test_a_copy_gets_the_verdict_of_its_bytes_without_being_read_again(
    spec: Spec, plan: Plan, templates: Path, values: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same return sent twice, saved under other names (one in a subfolder), beside a file
    of the same size and the same last bytes that differs in one byte: the copies are not read
    again and get exactly the verdict they would get alone, under their own names and arrival;
    the archive stages the bytes once."""
    key = spec.rows_for("so_y_te")[0].key
    inbox = tmp_path / "inbox"
    (inbox / "lần 2").mkdir(parents=True)
    first = make_return(spec, templates, values, "so_y_te", inbox / "a.xlsx", {(key, "y2021"): "khoảng 40"})
    data = first.read_bytes()
    (inbox / "lần 2" / "a (1).xlsx").write_bytes(data)
    (inbox / "c.xlsx").write_bytes(data)
    os.utime(inbox / "c.xlsx", (1714600000, 1714600000))
    middle = len(data) // 2
    (inbox / "d.xlsx").write_bytes(data[:middle] + bytes([data[middle] ^ 1]) + data[middle + 1 :])
    read: list[str] = []

    def reading(path: Path, *args: object) -> list[Submission]:
        read.append(path.name)
        return collect_entry(path, *args)  # type: ignore[arg-type]

    monkeypatch.setattr("indicator_kit.collect.run.collect_entry", reading)
    archive = tmp_path / "archive"
    subs = {s.file: s for s in collect_inbox(inbox, plan, isolate=False, archive=archive)}
    assert sorted(read) == ["a.xlsx", "d.xlsx"]
    assert set(subs) == {"a.xlsx", "lần 2/a (1).xlsx", "c.xlsx", "d.xlsx"}
    for name in subs:
        alone = collect_file(inbox / name, inbox, plan)
        assert _judged(subs[name]) == _judged(alone), name
    assert subs["c.xlsx"].mtime == 1714600000 and (
        "value-invalid",
        cell(spec, "so_y_te", key, "y2021"),
    ) in codes_and_cells(subs["c.xlsx"])
    assert {f.file for f in subs["c.xlsx"].findings} == {"c.xlsx"}
    assert len(list(archive.iterdir())) == 2  # a's bytes and d's, staged once each


def test_a_copy_is_read_by_itself_when_its_verdict_could_differ(
    spec: Spec, plan: Plan, templates: Path, values: dict, tmp_path: Path
) -> None:
    """A copy accepted by name (`--accept c.xlsx`) while the first file is not, or a first file
    read with other bytes than the copy's (rewritten meanwhile), or one refused for the moment
    (it changed while being read): the copy is not given the first file's verdict."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    first = make_return(spec, templates, values, "so_y_te", inbox / "a.xlsx")
    (inbox / "c.xlsx").write_bytes(first.read_bytes())
    digest = hashlib.sha256(first.read_bytes()).hexdigest()
    sub = collect_file(first, inbox, plan)
    limits = Limits()
    assert as_twin([sub], Twin(first, digest, 1.0), inbox / "c.xlsx", inbox, limits) is not None
    assert as_twin([sub], Twin(first, "0" * 64, 1.0), inbox / "c.xlsx", inbox, limits) is None
    accepting = Limits(accepted=frozenset({"c.xlsx"}))
    assert as_twin([sub], Twin(first, digest, 1.0), inbox / "c.xlsx", inbox, accepting) is None
    changed = replace(sub, findings=[finding("file-changed", "rewritten", file="a.xlsx")], refused=True)
    assert as_twin([changed], Twin(first, digest, 1.0), inbox / "c.xlsx", inbox, limits) is None
    subs = {s.file: s for s in collect_inbox(inbox, plan, limits=accepting)}
    assert _judged(subs["c.xlsx"]) == _judged(collect_file(inbox / "c.xlsx", inbox, plan, accepting))


def test_copies_and_archive_entries_without_pread_as_on_windows(
    spec: Spec, plan: Plan, templates: Path, values: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`os.pread` exists on POSIX only: the archive's read-back and the copies' comparison work
    without it, as they must on the office's Windows machines."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    first = make_return(spec, templates, values, "so_y_te", inbox / "a.xlsx")
    (inbox / "b.xlsx").write_bytes(first.read_bytes())
    monkeypatch.delattr(os, "pread")
    archive = tmp_path / "archive"
    subs = {s.file: s for s in collect_inbox(inbox, plan, isolate=False, archive=archive)}
    assert subs["b.xlsx"].archive.state is Archived.PRESENT and subs["a.xlsx"].archive.partial
    staged = Path(subs["a.xlsx"].archive.partial)
    assert staged.read_bytes() == first.read_bytes() and len(list(archive.iterdir())) == 1
