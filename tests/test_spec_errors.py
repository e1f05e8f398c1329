"""A broken spec file is refused with a message naming the file, the line and the problem."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from indicator_kit.catalog.loader import load_spec
from indicator_kit.cli import main
from indicator_kit.errors import SpecError


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def line_number(path: Path, needle: str) -> int:
    return next(
        i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line
    )


Breaker = Callable[[Path], tuple[str, str]]


def unknown_agency(d: Path) -> tuple[str, str]:
    edit(d / "phu_luc_2.yaml", "agencies: [so_y_te]", "agencies: [so_y_tee]")
    return "phu_luc_2.yaml", "đơn vị 'so_y_tee' không có trong agencies.yaml"


def duplicate_key(d: Path) -> tuple[str, str]:
    edit(d / "phu_luc_2.yaml", "key: kt.grdp.gia_hh", "key: kt.grdp.gia_ss2010")
    return "phu_luc_2.yaml", "khóa chỉ tiêu 'kt.grdp.gia_ss2010' bị trùng"


def parent_missing(d: Path) -> tuple[str, str]:
    edit(d / "phu_luc_2.yaml", "parent: kt.grdp\n", "parent: kt.grdpx\n")
    return "phu_luc_2.yaml", "dòng cha 'kt.grdpx' không có trong danh mục"


def input_without_unit(d: Path) -> tuple[str, str]:
    edit(d / "phu_luc_2.yaml", '    unit: "tr.usd"\n', "")
    return "phu_luc_2.yaml", "thiếu đơn vị tính (ĐVT)"


def cycle(d: Path) -> tuple[str, str]:
    edit(
        d / "phu_luc_2.yaml",
        "    kind: group\n    parent: kt\n",
        "    kind: group\n    parent: kt.grdp.gia_ss2010\n",
    )
    return "phu_luc_2.yaml", "vòng lặp dòng cha"


def bad_yaml(d: Path) -> tuple[str, str]:
    edit(d / "campaign.yaml", "  deadline: 2024-05-05", "  deadline: [2024-05-05")
    return "campaign.yaml", "YAML không hợp lệ"


def duplicate_yaml_field(d: Path) -> tuple[str, str]:
    edit(
        d / "agencies.yaml",
        '    short_name: "Sở Y tế"\n',
        '    short_name: "Sở Y tế"\n    short_name: "Y tế"\n',
    )
    return "agencies.yaml", "khóa 'short_name' bị lặp lại"


def unknown_enum(d: Path) -> tuple[str, str]:
    edit(d / "phu_luc_2.yaml", "value_type: ratio", "value_type: ratioo")
    return "phu_luc_2.yaml", "giá trị 'ratioo' không hợp lệ"


def not_nfc(d: Path) -> tuple[str, str]:
    import unicodedata

    edit(
        d / "agencies.yaml",
        '"Sở Y tế thành phố Hải Phòng"',
        '"' + unicodedata.normalize("NFD", "Sở Y tế thành phố Hải Phòng") + '"',
    )
    return "agencies.yaml", "Unicode NFC"


def rule_unknown_key(d: Path) -> tuple[str, str]:
    edit(d / "checks.yaml", "total: kt.von_dtxh.tong_von,", "total: kt.von_dtxh.tong,")
    return "checks.yaml", "dùng chỉ tiêu 'kt.von_dtxh.tong' không có trong danh mục"


def agency_without_rows(d: Path) -> tuple[str, str]:
    with (d / "agencies.yaml").open("a", encoding="utf-8") as f:
        f.write('  - slug: so_ngoai_vu\n    name: "Sở Ngoại vụ"\n    short_name: "Sở Ngoại vụ"\n')
    return "agencies.yaml", "không được giao chỉ tiêu nào"


def ooxml_escape_in_slug(d: Path) -> tuple[str, str]:
    for name in ("agencies.yaml", "phu_luc_2.yaml"):
        text = (d / name).read_text(encoding="utf-8").replace("bhxh_thanh_pho", "bao_hiem_xa_hoi")
        (d / name).write_text(text, encoding="utf-8")
    return "agencies.yaml", "chứa chuỗi dạng _x…_"


BREAKERS = [
    ooxml_escape_in_slug,
    unknown_agency,
    duplicate_key,
    parent_missing,
    input_without_unit,
    cycle,
    bad_yaml,
    duplicate_yaml_field,
    unknown_enum,
    not_nfc,
    rule_unknown_key,
    agency_without_rows,
]


@pytest.mark.parametrize("breaker", BREAKERS, ids=lambda b: b.__name__)
def test_broken_spec_is_refused(spec_copy: Path, breaker: Breaker) -> None:
    file, message = breaker(spec_copy)
    with pytest.raises(SpecError) as info:
        load_spec(spec_copy)
    matching = [p for p in info.value.problems if message in p.problem]
    assert matching, [str(p) for p in info.value.problems]
    assert all(p.file == file for p in matching)
    if breaker is not agency_without_rows:
        assert matching[0].location.startswith("dòng ")


def test_line_number_points_at_the_offending_row(spec_copy: Path) -> None:
    unknown_agency(spec_copy)
    expected = line_number(spec_copy / "phu_luc_2.yaml", "agencies: [so_y_tee]")
    with pytest.raises(SpecError) as info:
        load_spec(spec_copy)
    assert info.value.problems[0].location == f"dòng {expected}, khóa 'agencies'"


def test_all_problems_reported_at_once(spec_copy: Path) -> None:
    unknown_agency(spec_copy)
    parent_missing(spec_copy)
    with pytest.raises(SpecError) as info:
        load_spec(spec_copy)
    assert len(info.value.problems) >= 2


def test_cli_prints_message_not_traceback(spec_copy: Path) -> None:
    duplicate_key(spec_copy)
    result = CliRunner().invoke(main, ["spec", "check", "--spec-dir", str(spec_copy)], catch_exceptions=False)
    assert result.exit_code == 2
    assert "phu_luc_2.yaml, dòng" in result.output and "bị trùng" in result.output
    assert "Traceback" not in result.output
