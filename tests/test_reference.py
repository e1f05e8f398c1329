"""Reference figures and plausibility bands are data in workbook_specs/, mapped to catalog cells."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from indicator_kit.catalog.loader import load_spec
from indicator_kit.catalog.model import ValueType
from indicator_kit.catalog.spec import Spec
from indicator_kit.errors import SpecError


def test_published_hai_phong_figures_land_in_their_year_columns(published_spec: Spec) -> None:
    # published_figures_2018_2023.csv:
    # "Hải Phòng,Tốc độ tăng trưởng GRDP,2020,11.22,%,,thongkehaiphong.gov.vn"
    found = published_spec.reference.get("kt.tang_truong_grdp", "y2020")
    assert found is not None
    assert found.value == 11.22
    assert found.source == "thongkehaiphong.gov.vn"
    assert found.file == "reference/published_figures_2018_2023.csv"
    assert published_spec.reference.get("cchc.pci", "y2021").value == 70.61  # type: ignore[union-attr]


def test_country_growth_for_the_period_is_derived_from_every_published_year(published_spec: Spec) -> None:
    # Cả nước, GDP growth 2019–2023 as published: 7.02, 2.91, 2.58, 8.02, 5.05 (average_growth row)
    expected = (math.prod(1 + g / 100 for g in (7.02, 2.91, 2.58, 8.02, 5.05)) ** (1 / 5) - 1) * 100
    found = published_spec.reference.get("kt.tang_truong_grdp", "gd2019_2023_cn")
    assert found is not None
    assert found.value == pytest.approx(expected)
    assert "2019–2023" in found.quoted()
    # the yearly national series stays available for annexes and charts
    assert published_spec.reference.series[("kt.co_cau_nganh.nong_nghiep", "ca_nuoc", 2023)].value == 11.96
    # the region published only 2023: no period value can be derived
    assert published_spec.reference.get("kt.tang_truong_grdp", "gd2019_2023_dbsh") is None


def test_a_period_figure_published_as_such_is_used(spec_copy: Path) -> None:
    with (spec_copy / "reference" / "published_figures_2018_2023.csv").open("a", encoding="utf-8") as f:
        f.write("Vùng đồng bằng sông Hồng,Tốc độ tăng trưởng GRDP,2019-2023,6.9,%,,gso.gov.vn\n")
    found = load_spec(spec_copy).reference.get("kt.tang_truong_grdp", "gd2019_2023_dbsh")
    assert found is not None and found.value == 6.9 and found.source == "gso.gov.vn"


def test_previous_master_is_a_reference_after_published_figures(spec_copy: Path) -> None:
    (spec_copy / "reference" / "master_2019.csv").write_text(
        "\ufeffkey,tt,label,unit,column,value,status,agency,source_file,source_sha256\n"
        "kt.thu_ns.tien_su_dung_dat,,Thu tiền sử dụng đất,tỷ.đ,y2018,15234.5,reported,so_tai_chinh,a,ab\n"
        "kt.tang_truong_grdp,1,Tốc độ,%,y2020,99,reported,cuc_thong_ke,b.xlsx,cd\n"
        "kt.bo_dong_cu,,Dòng đã bỏ,%,y2020,1,reported,cuc_thong_ke,b.xlsx,cd\n",
        encoding="utf-8",
    )
    reference = load_spec(spec_copy).reference
    assert reference.get("kt.thu_ns.tien_su_dung_dat", "y2018").value == 15234.5  # type: ignore[union-attr]
    assert reference.get("kt.thu_ns.tien_su_dung_dat", "y2018").source == "bảng tổng hợp kỳ trước"  # type: ignore[union-attr]
    assert reference.get("kt.tang_truong_grdp", "y2020").value == 11.22  # type: ignore[union-attr]


def test_a_mapping_to_a_row_that_is_not_an_input_is_refused_with_its_line(spec_copy: Path) -> None:
    with (spec_copy / "reference" / "indicator_keys.csv").open("a", encoding="utf-8") as f:
        f.write("Hải Phòng,Quy mô kinh tế,kt.grdp\n")
    with pytest.raises(SpecError) as caught:
        load_spec(spec_copy)
    text = str(caught.value)
    lines = (spec_copy / "reference" / "indicator_keys.csv").read_text(encoding="utf-8").splitlines()
    assert f"reference/indicator_keys.csv, dòng {len(lines)}" in text
    assert "kt.grdp" in text


def test_plausibility_bands_by_value_type_and_by_row(published_spec: Spec, spec_copy: Path) -> None:
    growth = published_spec.plausibility.band(published_spec.row_by_key["kt.tang_truong_grdp"])
    assert published_spec.plausibility.by_type[ValueType.GROWTH] is growth
    assert not growth.change_ok(17.9, 90.0)  # 72 points in a year
    assert growth.change_ok(9.52, 58.61)  # investment 2019, as published
    assert growth.change_ok(17.9, -0.61)
    (spec_copy / "plausibility.yaml").write_text("rows:\n  kt.grdp: {range: [0, 1]}\n", encoding="utf-8")
    with pytest.raises(SpecError, match=r"kt\.grdp"):
        load_spec(spec_copy)
