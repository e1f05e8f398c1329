"""Templates through LibreOffice: live self-checks recalculated, and .pdf/.xls/.ods conversion."""

from __future__ import annotations

from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from indicator_kit.catalog.spec import Spec
from indicator_kit.generate import generate, template_file_name
from indicator_kit.plan import Plan
from indicator_kit.rules import Ref, run_check
from indicator_kit.template.identity import TemplateIdentity
from tests.workbooks import fill_template, libreoffice_convert, needs_libreoffice

pytestmark = needs_libreoffice

SLUG = "cuc_thong_ke"
CONSISTENT: dict[tuple[str, str], object] = {
    # 40 + 35 + 25 = 100, and the structure matches the amounts
    ("kt.von_dtxh.tong_von", "y2018"): 100,
    ("kt.von_dtxh.khu_vuc_nha_nuoc", "y2018"): 40,
    ("kt.von_dtxh.khu_vuc_ngoai_nha_nuoc", "y2018"): 35,
    ("kt.von_dtxh.khu_vuc_fdi", "y2018"): 25,
    ("kt.von_dtxh.co_cau.khu_vuc_nha_nuoc", "y2018"): 40,
    ("kt.von_dtxh.co_cau.khu_vuc_ngoai_nha_nuoc", "y2018"): 35,
    ("kt.von_dtxh.co_cau.khu_vuc_fdi", "y2018"): 25,
    # consistent only within rounding: 333 + 333 + 334 → 33,3 + 33,3 + 33,4
    ("kt.von_dtxh.tong_von", "y2019"): 1000,
    ("kt.von_dtxh.khu_vuc_nha_nuoc", "y2019"): 333,
    ("kt.von_dtxh.khu_vuc_ngoai_nha_nuoc", "y2019"): 333,
    ("kt.von_dtxh.khu_vuc_fdi", "y2019"): 334,
    ("kt.von_dtxh.co_cau.khu_vuc_nha_nuoc", "y2019"): 33.3,
    ("kt.von_dtxh.co_cau.khu_vuc_ngoai_nha_nuoc", "y2019"): 33.3,
    ("kt.von_dtxh.co_cau.khu_vuc_fdi", "y2019"): 33.4,
    # Hải Phòng 2023 economic structure as published: 3,40 + 53,34 + 37,76 + 5,50 = 100
    ("kt.co_cau_nganh.nong_nghiep", "y2023"): 3.4,
    ("kt.co_cau_nganh.cong_nghiep_xay_dung", "y2023"): 53.34,
    ("kt.co_cau_nganh.dich_vu", "y2023"): 37.76,
    ("kt.co_cau_nganh.thue_tru_tro_cap", "y2023"): 5.5,
    # GRDP at 2010 prices 100 → 111,22 is growth 11,22 %
    ("kt.grdp.gia_ss2010", "y2019"): 100,
    ("kt.grdp.gia_ss2010", "y2020"): 111.22,
    ("kt.tang_truong_grdp", "y2020"): 11.22,
    # consistent only within the rounding of each share (EBA): 33 + 33 + 33 may be 33,33 × 3,
    # and 4,33 + 20,33 + 75,33 may be 4,334 + 20,333 + 75,333
    ("kt.von_dtxh.co_cau.khu_vuc_nha_nuoc", "y2022"): 33,
    ("kt.von_dtxh.co_cau.khu_vuc_ngoai_nha_nuoc", "y2022"): 33,
    ("kt.von_dtxh.co_cau.khu_vuc_fdi", "y2022"): 33,
    ("kt.xuat_khau.co_cau.nha_nuoc", "y2022"): 4.33,
    ("kt.xuat_khau.co_cau.ngoai_nha_nuoc", "y2022"): 20.33,
    ("kt.xuat_khau.co_cau.fdi", "y2022"): 75.33,
    # a no-data marker and a blank skip the check instead of failing it
    ("kt.von_dtxh.tong_von", "y2020"): "x",
    ("kt.von_dtxh.khu_vuc_nha_nuoc", "y2020"): 10,
}
# case → (changed cells, {anchor row: text its "Kiểm tra" cell must show}); all else stays "OK"
BROKEN: dict[str, tuple[dict[tuple[str, str], object], dict[str, str]]] = {
    "sum": (
        {
            ("kt.von_dtxh.tong_von", "y2021"): 200,
            ("kt.von_dtxh.khu_vuc_nha_nuoc", "y2021"): 100,
            ("kt.von_dtxh.khu_vuc_ngoai_nha_nuoc", "y2021"): 50,
            ("kt.von_dtxh.khu_vuc_fdi", "y2021"): 47,  # 197: 3 off, rounding explains 2
        },
        {"kt.von_dtxh.tong_von": "Tổng ≠ tổng các thành phần (cột 2021)"},
    ),
    "shares_integers": (  # four whole shares may be off by 0,5 each, not 97 together
        {
            ("kt.co_cau_nganh.nong_nghiep", "y2022"): 33,
            ("kt.co_cau_nganh.cong_nghiep_xay_dung", "y2022"): 33,
            ("kt.co_cau_nganh.dich_vu", "y2022"): 31,
            ("kt.co_cau_nganh.thue_tru_tro_cap", "y2022"): 0,
        },
        {"kt.co_cau_nganh": "Tổng tỷ trọng ≠ 100 (cột 2022)"},
    ),
    "shares_rounding": (  # 100,2 from one-decimal shares: more than 3 × 0,05 off
        {
            ("kt.xuat_khau.co_cau.nha_nuoc", "y2023"): 33.4,
            ("kt.xuat_khau.co_cau.ngoai_nha_nuoc", "y2023"): 33.4,
            ("kt.xuat_khau.co_cau.fdi", "y2023"): 33.4,
        },
        {"kt.xuat_khau.co_cau": "Tổng tỷ trọng ≠ 100 (cột 2023)"},
    ),
    "share_of": (
        {
            ("kt.von_dtxh.co_cau.khu_vuc_fdi", "y2018"): 52,
            ("kt.von_dtxh.co_cau.khu_vuc_nha_nuoc", "y2018"): 13,
        },
        {
            "kt.von_dtxh.co_cau.khu_vuc_nha_nuoc": "Tỷ trọng không khớp số tuyệt đối (cột 2018)",
            "kt.von_dtxh.co_cau.khu_vuc_fdi": "Tỷ trọng không khớp số tuyệt đối (cột 2018)",
        },
    ),
    "growth": (
        {("kt.tang_truong_grdp", "y2020"): 12.5},
        {"kt.tang_truong_grdp": "Tăng trưởng không khớp mức (cột 2020)"},
    ),
    "period_column": (
        {
            ("kt.von_dtxh.tong_von", "gd2019_2023_cn"): 500,
            ("kt.von_dtxh.khu_vuc_nha_nuoc", "gd2019_2023_cn"): 100,
            ("kt.von_dtxh.khu_vuc_ngoai_nha_nuoc", "gd2019_2023_cn"): 100,
            ("kt.von_dtxh.khu_vuc_fdi", "gd2019_2023_cn"): 100,
        },
        {"kt.von_dtxh.tong_von": "Tổng ≠ tổng các thành phần (cột Giai đoạn 2019–2023 Cả nước)"},
    ),
}


@pytest.fixture(scope="module")
def recalculated(spec: Spec, plan: Plan, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("selfcheck")
    generate(plan, tmp, [SLUG])
    layout = plan.layout(SLUG)
    template = tmp / template_file_name(SLUG)
    filled = [fill_template(layout, template, tmp / "ok.xlsx", CONSISTENT)]
    for name, (changes, _) in BROKEN.items():
        filled.append(fill_template(layout, template, tmp / f"{name}.xlsx", {**CONSISTENT, **changes}))
    converted = libreoffice_convert(filled, "xlsx", tmp / "lo")
    return {p.stem: p for p in converted}


def check_column(plan: Plan, path: Path) -> dict[str, str]:
    layout = plan.layout(SLUG)
    grid = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Phụ lục 2").to_python()
    col = layout.col["check"]
    return {
        lr.row.key: grid[lr.sheet_row][col] for lr in layout.rows if lr.row.key in layout.checks_by_anchor
    }


def test_consistent_numbers_show_ok(spec: Spec, plan: Plan, recalculated: dict[str, Path]) -> None:
    results = check_column(plan, recalculated["ok"])
    assert results and set(results.values()) == {"OK"}, results


@pytest.mark.parametrize("case", list(BROKEN))
def test_inconsistent_numbers_show_the_reason(
    spec: Spec, plan: Plan, recalculated: dict[str, Path], case: str
) -> None:
    _, expected = BROKEN[case]
    results = check_column(plan, recalculated[case])
    assert {k: v for k, v in results.items() if v != "OK"} == expected


@pytest.mark.parametrize("case", ["ok", *BROKEN])
def test_python_evaluation_agrees_with_libreoffice(
    spec: Spec, plan: Plan, recalculated: dict[str, Path], case: str
) -> None:
    """The collector evaluates the same checks in Python: it must reach LibreOffice's verdicts."""
    layout = plan.layout(SLUG)
    values = {**CONSISTENT, **(BROKEN[case][0] if case in BROKEN else {})}

    def lookup(ref: Ref) -> float | None:
        v = values.get((ref.key, ref.column))
        return float(v) if isinstance(v, int | float) else None

    from_libreoffice = check_column(plan, recalculated[case])
    for anchor, checks in layout.checks_by_anchor.items():
        failing = [c for c in checks if (o := run_check(c, lookup)) is not None and not o.passed]
        assert (from_libreoffice[anchor] == "OK") == (not failing), (anchor, failing)


@pytest.fixture(scope="module")
def converted(spec: Spec, plan: Plan, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    tmp = tmp_path_factory.mktemp("convert")
    written = generate(plan, tmp)
    files = [tmp / t.file for t in written]
    return {fmt: libreoffice_convert(files, fmt, tmp / fmt) for fmt in ("pdf", "xls", "ods")}


def test_every_template_converts_to_pdf(converted: dict[str, list[Path]]) -> None:
    for pdf in converted["pdf"]:
        assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 5000


@pytest.mark.parametrize("fmt", ["xls", "ods"])
def test_identity_survives_xls_and_ods(
    spec: Spec, plan: Plan, converted: dict[str, list[Path]], fmt: str
) -> None:
    for path in converted[fmt]:
        slug = path.stem.removeprefix("PL2_")
        wb = CalamineWorkbook.from_path(str(path))
        assert wb.sheet_names == ["Phụ lục 2", "Hướng dẫn", "_ik_meta"]
        meta = {r[0]: r[1] for r in wb.get_sheet_by_name("_ik_meta").to_python() if r[0]}
        identity = TemplateIdentity.from_properties(meta)
        expected = TemplateIdentity(spec.campaign.id, slug, spec.spec_hash, spec.campaign.template_version)
        assert identity == expected.signed() and identity.verifies()
        grid = wb.get_sheet_by_name("Phụ lục 2").to_python()
        assert identity.visible_line() == grid[6][0]
        layout = plan.layout(slug)
        assert [r[layout.col["key"]] for r in grid[layout.first_data_row :] if r[layout.col["key"]]] == [
            lr.row.key for lr in layout.rows
        ]
