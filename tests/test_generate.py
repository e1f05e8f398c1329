"""Generated templates, read back with openpyxl and python-calamine."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.worksheet.worksheet import Worksheet
from python_calamine import CalamineWorkbook

from indicator_kit.catalog.model import ValueType
from indicator_kit.catalog.spec import Spec
from indicator_kit.cli import main
from indicator_kit.files import sha256_bytes
from indicator_kit.generate import generate, template_file_name
from indicator_kit.plan import Plan
from indicator_kit.template.identity import TemplateIdentity
from tests.conftest import ALL_SLUGS

HEADER_ROW = 9  # 1-based, as a person sees it
FIRST_DATA_ROW = 12


@pytest.fixture(scope="module")
def templates(spec: Spec, plan: Plan, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("templates")
    generate(plan, out)
    return out


def expected_keys(spec: Spec, slug: str) -> tuple[list[str], set[str]]:
    """The agency's input rows plus all their ancestors, in printed order (from the spec)."""
    inputs = {r.key for r in spec.rows if r.kind.value == "input" and slug in r.agencies}
    wanted = set(inputs)
    for key in inputs:
        parent = spec.row_by_key[key].parent
        while parent:
            wanted.add(parent)
            parent = spec.row_by_key[parent].parent
    return [r.key for r in spec.rows if r.key in wanted], inputs


def header_index(ws: Worksheet) -> dict[str, int]:
    found = {}
    for col in range(1, ws.max_column + 1):
        for row in (HEADER_ROW, HEADER_ROW + 1):
            value = ws.cell(row, col).value
            if isinstance(value, str):
                found.setdefault(value, col)
    return found


def data_rows(ws: Worksheet, key_col: int) -> dict[str, int]:
    return {
        ws.cell(r, key_col).value: r
        for r in range(FIRST_DATA_ROW, ws.max_row + 1)
        if ws.cell(r, key_col).value
    }


def test_cli_writes_one_file_per_agency_and_manifest(spec: Spec, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["generate", "--out", str(tmp_path)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in tmp_path.glob("*.xlsx"))
    assert files == sorted(template_file_name(a.slug) for a in spec.agencies)
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["spec_hash"] == spec.spec_hash
    for entry in manifest["templates"]:
        data = (tmp_path / entry["file"]).read_bytes()
        assert entry["sha256"] == sha256_bytes(data)
        keys, inputs = expected_keys(spec, entry["agency"])
        assert entry["rows"] == len(keys)
        assert entry["input_cells"] == len(inputs) * (len(spec.campaign.columns) + 1)


def test_agency_option_limits_output(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["generate", "--out", str(tmp_path), "--agency", "so_y_te", "--agency", "so_noi_vu"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0
    assert sorted(p.name for p in tmp_path.glob("*.xlsx")) == [
        "PL2_so_noi_vu.xlsx",
        "PL2_so_y_te.xlsx",
    ]


def test_unknown_agency_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["generate", "--out", str(tmp_path), "--agency", "so_khong_co"], catch_exceptions=False
    )
    assert result.exit_code == 2
    assert "Không có đơn vị 'so_khong_co'" in result.output and "Traceback" not in result.output
    assert not list(tmp_path.glob("*.xlsx"))


def test_generating_twice_gives_identical_bytes(spec: Spec, plan: Plan, tmp_path: Path) -> None:
    first, second = generate(plan, tmp_path / "a"), generate(plan, tmp_path / "b")
    assert [t.sha256 for t in first] == [t.sha256 for t in second]
    for t in first:
        assert (tmp_path / "a" / t.file).read_bytes() == (tmp_path / "b" / t.file).read_bytes()
    assert (tmp_path / "a/manifest.json").read_bytes() == (tmp_path / "b/manifest.json").read_bytes()


@pytest.mark.parametrize("slug", ALL_SLUGS)
def test_template_content(spec: Spec, templates: Path, slug: str) -> None:
    path = templates / template_file_name(slug)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Phụ lục 2", "Hướng dẫn", "_ik_meta"]
    ws = wb["Phụ lục 2"]
    agency = spec.agency_by_slug[slug]
    campaign = spec.campaign

    # Title block and identity line
    top = [ws.cell(r, 1).value for r in range(1, 9)]
    assert top[:2] == ["PHỤ LỤC 2", "CÁC CHỈ TIÊU KINH TẾ - XÃ HỘI CHỦ YẾU"]
    assert "Công văn số 2830/VP-TH ngày 26/4/2024" in top[2]
    assert top[3] == f"Đơn vị báo cáo: {agency.name}"
    assert top[4] == "Hạn gửi: trước ngày 05/5/2024"
    assert top[5] == "Gửi về: Sở Kế hoạch và Đầu tư"
    assert f"{campaign.id} | {slug} | mẫu {campaign.template_version} | danh mục {spec.spec_hash}" in top[6]

    # Two-level header as printed, column numbers, and the extra note column
    headers = header_index(ws)
    for title in (
        "TT",
        "Chỉ tiêu",
        "ĐVT",
        "Năm",
        "2018",
        "2023",
        "Giai đoạn 2014–2018",
        "Giai đoạn 2019–2023",
        "Hải Phòng",
        "Cả nước",
        "Vùng đồng bằng sông Hồng",
        "Đơn vị chủ trì, theo dõi, báo cáo",
        "Ghi chú / nguồn số liệu",
        "Kiểm tra",
    ):
        assert title in headers, title
    numbers = [ws.cell(HEADER_ROW + 2, c).value for c in range(1, 14)]
    assert numbers == ["A", "B", "C", *map(str, range(1, 11))]
    assert "D9:I9" in {str(m) for m in ws.merged_cells.ranges}  # "Năm" over the six years

    # Exactly the agency's rows and their ancestors, in printed order
    key_col = headers["Mã dòng"]
    assert ws.column_dimensions[openpyxl.utils.get_column_letter(key_col)].hidden
    rows = data_rows(ws, key_col)
    keys, inputs = expected_keys(spec, slug)
    assert list(rows) == keys
    for key, r in rows.items():
        row = spec.row_by_key[key]
        assert (ws.cell(r, 1).value or "") == row.tt and ws.cell(r, 2).value == row.label
        assert (ws.cell(r, 3).value or "") == (row.unit or "")

    # Unlocked: exactly the input rows' value and note cells
    value_cols = list(range(4, 14))
    note_col = headers["Ghi chú / nguồn số liệu"]
    input_rows = {rows[k] for k in inputs}
    for r in range(1, ws.max_row + 1):
        for c in range(1, ws.max_column + 1):
            unlocked = r in input_rows and (c in value_cols or c == note_col)
            assert ws.cell(r, c).protection.locked is not unlocked, (slug, r, c)
    assert ws.protection.sheet and ws.protection.password
    # In OOXML these flags are True when the action is *forbidden* under protection.
    assert ws.protection.insertRows and ws.protection.deleteRows and ws.protection.deleteColumns
    assert wb["Hướng dẫn"].protection.sheet and wb["_ik_meta"].protection.sheet

    # Validation by value type on every input value cell, with the unit in the messages
    for key in inputs:
        row = spec.row_by_key[key]
        for c in value_cols:
            coord = ws.cell(rows[key], c).coordinate
            dvs = [dv for dv in ws.data_validations.dataValidation if coord in dv.sqref]
            assert len(dvs) == 1, (key, coord)
            dv = dvs[0]
            assert row.unit in dv.prompt and row.unit in dv.error
            if row.value_type is ValueType.COUNT:
                assert (dv.type, dv.operator, dv.formula1) == ("whole", "greaterThanOrEqual", "0")
            elif row.value_type is ValueType.SHARE:
                assert (dv.type, dv.formula1, dv.formula2) == ("decimal", "0", "100")
                assert dv.operator in (None, "between")  # "between" is the OOXML default
            else:
                assert dv.type == "decimal"
            if row.value_type in (ValueType.GROWTH, ValueType.RATE):
                assert float(dv.formula1) < 0  # growth may be negative
        cell = ws.cell(rows[key], 4)
        assert cell.number_format == "General"  # no % format on input cells

    # Co-reported rows say who leads
    agency_col = headers["Đơn vị chủ trì, theo dõi, báo cáo"]
    for key in inputs:
        lead = spec.row_by_key[key].agencies[0]
        if lead != slug:
            text = ws.cell(rows[key], agency_col).value
            # this agency reports too; the lead is named as the lead
            assert text == f"Quý đơn vị cùng báo cáo; đơn vị chủ trì: {spec.agency_by_slug[lead].short_name}"
            lines = -(-len(text) // 24)  # the text wraps in its 24-wide column: the row has room
            assert (ws.row_dimensions[rows[key]].height or 15) >= 15 * min(lines, 2)

    # The identity line is for the collector: its row does not show or print
    assert ws.row_dimensions[7].hidden

    # Identity in custom properties and in the very hidden metadata sheet
    props = {p.name: p.value for p in wb.custom_doc_props.props}
    expected = TemplateIdentity(campaign.id, slug, spec.spec_hash, campaign.template_version).signed()
    assert TemplateIdentity.from_properties(props) == expected
    meta = wb["_ik_meta"]
    assert meta.sheet_state == "veryHidden"
    meta_map = {meta.cell(r, 1).value: meta.cell(r, 2).value for r in range(1, meta.max_row + 1)}
    assert TemplateIdentity.from_properties(meta_map) == expected
    assert {k.removeprefix("row."): v for k, v in meta_map.items() if k.startswith("row.")} == rows

    # Print-ready
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight == 0  # 1 wide (default)
    assert ws.print_title_rows == "$9:$11"
    assert ws.freeze_panes == "D12"
    assert ws.cell(2, 1).font.name == "Times New Roman"

    # Self-check formulas where rules relate this workbook's own cells
    check_col = headers["Kiểm tra"]
    anchors = expected_check_anchors(spec, inputs)
    with_formula = {k for k, r in rows.items() if str(ws.cell(r, check_col).value or "").startswith("=")}
    assert with_formula == anchors


LIVE_KINDS = {"sum", "shares_100", "parts_within", "share_of", "growth"}  # relate a template's own cells


def expected_check_anchors(spec: Spec, inputs: set[str]) -> set[str]:
    anchors = set()
    for rule in spec.rules:
        o: Any = rule.operands
        keys = set(rule.row_keys())
        if rule.kind.name not in LIVE_KINDS or rule.scope != "workbook" or not keys <= inputs:
            continue
        if rule.kind.name == "sum":
            anchors.add(o.total)
        elif rule.kind.name == "shares_100":
            anchors.add(spec.row_by_key[o.parts[0]].parent)
        elif rule.kind.name == "parts_within":
            anchors.add(o.whole if isinstance(o.whole, str) else o.parts[0])
        elif rule.kind.name == "share_of":
            anchors.update(o.shares)
        elif rule.kind.name == "growth":
            anchors.add(o.growth)
    return anchors


@pytest.mark.parametrize("slug", ["cuc_thong_ke", "so_tai_chinh", "so_y_te"])
def test_calamine_reads_templates(spec: Spec, templates: Path, slug: str) -> None:
    wb = CalamineWorkbook.from_path(str(templates / template_file_name(slug)))
    visibility = {s.name: s.visible for s in wb.sheets_metadata}
    assert str(visibility["_ik_meta"]).lower().endswith("veryhidden")
    grid = wb.get_sheet_by_name("Phụ lục 2").to_python()
    keys, _ = expected_keys(spec, slug)
    assert [r[16] for r in grid[FIRST_DATA_ROW - 1 :] if r[16]] == keys
