"""examples/sample_values.csv: complete, consistent with every error rule, true to published figures."""

from __future__ import annotations

import csv

from indicator_kit.catalog import Spec
from indicator_kit.findings import Severity
from indicator_kit.plan import Plan
from indicator_kit.rules import run_check
from tests.conftest import ROOT

SAMPLE = ROOT / "examples" / "sample_values.csv"
PUBLISHED = ROOT / "workbook_specs" / "reference" / "published_figures_2018_2023.csv"


def sample() -> dict[tuple[str, str], tuple[float, str]]:
    with SAMPLE.open(encoding="utf-8") as handle:
        return {(r["key"], r["column"]): (float(r["value"]), r["source"]) for r in csv.DictReader(handle)}


def test_every_input_row_and_column(spec: Spec) -> None:
    expected = {(r.key, c.id) for r in spec.input_rows for c in spec.campaign.columns}
    assert set(sample()) == expected


def test_no_error_rule_fails(plan: Plan) -> None:
    values = {k: v for k, (v, _) in sample().items()}
    checks = [c for a in plan.agencies.values() for c in a.checks] + list(plan.master_checks)
    failing = [
        (c.rule.id, c.column.id)
        for c in checks
        if (o := run_check(c, lambda r: values.get((r.key, r.column)))) is not None
        and not o.passed
        and c.severity is Severity.ERROR
    ]
    assert failing == []


def test_published_figures_are_used_as_published(spec: Spec) -> None:
    with PUBLISHED.open(encoding="utf-8") as handle:
        published = {
            (r["indicator"], int(r["year"])): float(r["value"])
            for r in csv.DictReader(handle)
            if r["area"] == "Hải Phòng"
        }
    values = sample()
    checks = {("Tốc độ tăng trưởng GRDP", y): ("kt.tang_truong_grdp", f"y{y}") for y in range(2018, 2024)}
    checks |= {
        ("Thu NSNN trên địa bàn", 2020): ("kt.thu_ns.nsnn_dia_ban", "y2020"),
        ("Tổng vốn đầu tư toàn xã hội", 2018): ("kt.von_dtxh.tong_von", "y2018"),
        ("Kim ngạch xuất khẩu trên địa bàn", 2023): ("kt.xuat_khau.kim_ngach", "y2023"),
        ("Chỉ số PCI", 2021): ("cchc.pci", "y2021"),
        ("Cơ cấu kinh tế - Công nghiệp - Xây dựng", 2023): ("kt.co_cau_nganh.cong_nghiep_xay_dung", "y2023"),
    }
    for figure, cell in checks.items():
        assert values[cell] == (published[figure], "công bố"), (figure, cell)


def test_country_and_region_are_their_own_figures(spec: Spec) -> None:
    """The demo's "Cả nước" and "Vùng" columns are national and regional figures: published ones
    where they exist, never Hải Phòng's copied."""
    values = {k: v for k, (v, _) in sample().items()}
    keys = [r.key for r in spec.input_rows]
    for column in ("gd2019_2023_cn", "gd2019_2023_dbsh"):
        copied = [k for k in keys if values[(k, column)] == values[(k, "gd2019_2023_hp")] != 0]
        assert len(copied) <= 2, (column, copied)  # a rounded share may coincide
    with PUBLISHED.open(encoding="utf-8") as handle:
        national = {
            (r["indicator"], int(r["year"])): float(r["value"])
            for r in csv.DictReader(handle)
            if r["area"] == "Cả nước"
        }
    rates = [national[("Tốc độ tăng trưởng GDP", y)] for y in range(2019, 2024)]
    product = 1.0
    for rate in rates:
        product *= 1 + rate / 100
    assert values[("kt.tang_truong_grdp", "gd2019_2023_cn")] == round((product**0.2 - 1) * 100, 2)
    assert (
        values[("kt.co_cau_nganh.dich_vu", "gd2019_2023_cn")] == national[("Cơ cấu kinh tế - Dịch vụ", 2023)]
    )
    assert values[("kt.grdp_dau_nguoi.muc.gia_hh", "gd2019_2023_cn")] == 101.9
    assert values[("kt.grdp_dau_nguoi.muc.gia_hh", "gd2019_2023_dbsh")] == 131.9
    assert sample()[("kt.tang_truong_grdp", "gd2019_2023_dbsh")] == (6.28, "công bố")


# Where Hải Phòng's figures lie, from its statistics (independent of the build script): a city of
# about 2 million people, urbanisation under half, poverty and unemployment a few per cent, a few
# dozen state enterprises, co-operatives a sliver of GRDP. The sample once had urbanisation at
# 90 % and poverty at 85 %.
BOUNDS = {
    "kt.do_thi_hoa": (40, 60),
    "xh.giam_ngheo.ty_le_ngheo": (0, 5),
    "xh.that_nghiep": (1, 6),
    "xh.lao_dong_qua_dao_tao.co_bang_cap": (20, 45),
    "tpkt.htx.ty_trong_grdp": (0, 5),
    "tpkt.dn.so_luong.nha_nuoc": (20, 300),
    "kt.khu_kinh_te": (1, 3),
    "mt.che_phu_rung": (5, 20),
    "xh.bac_si_van_dan": (8, 20),  # 11,7 published for 2019
    "cchc.par_index": (70, 100),
    "kt.thu_ns.co_cau.vien_tro": (0, 1000),
}


def test_hai_phong_is_where_its_statistics_put_it() -> None:
    values = sample()
    for key, (low, high) in BOUNDS.items():
        years = [values[(key, f"y{y}")][0] for y in range(2018, 2024)]
        assert all(low <= v <= high for v in years), (key, years)
    for y in range(2018, 2024):  # GRDP per head is GRDP over a population of about 2 million
        grdp, per_head = (
            values[("kt.grdp.gia_hh", f"y{y}")][0],
            values[("kt.grdp_dau_nguoi.muc.gia_hh", f"y{y}")][0],
        )
        assert 1.9 <= grdp / per_head / 1000 <= 2.2, y
    industry = values[("kt.nganh.cong_nghiep_xay_dung.quy_mo.gia_hh", "y2023")][0]
    assert 0.45 <= industry / values[("kt.grdp.gia_hh", "y2023")][0] <= 0.6  # its share is 53,34 %
