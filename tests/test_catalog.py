"""The catalog against the letter: every printed row, in order, with every correction recorded."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from indicator_kit.catalog.model import RowKind
from indicator_kit.catalog.spec import Spec
from tests.conftest import SEED

HEADER_PREFIXES = ("TT\t", "\t\t\t2018\t", "A\tB\tC\t")


@dataclass
class PrintedRow:
    line: int
    tt: str
    label: str
    unit: str
    agencies: str


def printed_rows() -> list[PrintedRow]:
    """Phụ lục 2 rows as printed, parsed straight from the seed (independent of the catalog)."""
    lines = SEED.read_text(encoding="utf-8").split("\n")
    start = lines.index("PHỤ LỤC 2")
    end = lines.index("PHỤ LỤC 3")
    rows = []
    for number, text in enumerate(lines[start + 2 : end], start=start + 3):
        if not text.strip() or text.startswith(HEADER_PREFIXES):
            continue
        cells = (text.split("\t") + [""] * 14)[:14]
        label = re.sub(r"</?i>", "", cells[1]).strip()
        rows.append(PrintedRow(number, cells[0].strip(), label, cells[2].strip(), cells[13].strip()))
    return rows


def test_row_count_and_order_match_the_letter(spec: Spec) -> None:
    printed = printed_rows()
    assert len(printed) == 219
    assert [r.seed_line for r in spec.rows] == [p.line for p in printed]


def test_input_row_count(spec: Spec) -> None:
    printed = printed_rows()
    with_unit = sum(1 for p in printed if p.unit)
    units_added = sum(1 for r in spec.rows if r.printed.get("unit") == "")
    assert len(spec.input_rows) == with_unit + units_added == 170


@pytest.mark.parametrize("field", ["tt", "label", "unit"])
def test_every_departure_from_print_is_recorded(spec: Spec, field: str) -> None:
    for row, printed in zip(spec.rows, printed_rows(), strict=True):
        ours = getattr(row, field) or ""
        theirs = getattr(printed, field)
        if field == "label" and row.printed.get("tt") is not None:
            theirs = ""  # "III MÔI TRƯỜNG" was printed in the TT cell
        if ours != theirs:
            assert row.printed.get(field) == theirs, (row.key, field, ours, theirs)
            assert row.source_note, f"{row.key}: {field} differs from print without a source_note"


def test_agencies_match_print_through_aliases(spec: Spec) -> None:
    alias = {name: a.slug for a in spec.agencies for name in (*a.aliases, a.short_name)}
    for row, printed in zip(spec.rows, printed_rows(), strict=True):
        as_printed = tuple(alias[n.strip()] for n in printed.agencies.split(";") if n.strip())
        if row.printed_agencies != as_printed:
            assert row.printed.get("agencies") == printed.agencies, row.key
            assert row.source_note, row.key


def test_every_input_has_unit_type_and_agency(spec: Spec) -> None:
    for row in spec.input_rows:
        assert row.unit and row.value_type and row.agencies, row.key


def test_every_agency_reports_something(spec: Spec) -> None:
    for agency in spec.agencies:
        assert spec.rows_for(agency.slug), agency.slug


def test_keys_are_ascii_and_texts_nfc(spec: Spec) -> None:
    import unicodedata

    for row in spec.rows:
        assert row.key.isascii()
        assert unicodedata.normalize("NFC", row.label) == row.label


def test_group_printed_with_unit_is_input(spec: Spec) -> None:
    parents = {r.parent for r in spec.rows}
    total_revenue = spec.row_by_key["kt.thu_ns"]
    assert total_revenue.kind is RowKind.INPUT and total_revenue.key in parents
    assert spec.row_by_key["kt.thu_ns"].tt == "7"


# --- each known correction is in effect --------------------------------------------------


def test_items_18_19_agency_shift(spec: Spec) -> None:
    assert spec.row_by_key["kt.kcn.so_doanh_nghiep"].agencies == ("ban_quan_ly_kkt",)
    for key in (
        "kt.ha_tang_thuong_mai.cho",
        "kt.ha_tang_thuong_mai.sieu_thi",
        "kt.ha_tang_thuong_mai.tttm",
    ):
        assert spec.row_by_key[key].agencies == ("so_cong_thuong",)


def test_items_8_9_agency_shift(spec: Spec) -> None:
    assert spec.row_by_key["xh.hs_den_truong"].printed_agencies == ("so_giao_duc_dao_tao",)
    assert spec.row_by_key["xh.pho_cap_gd.thcs"].printed_agencies == ()
    assert spec.row_by_key["xh.hs_den_truong.thpt"].agencies == ("so_giao_duc_dao_tao",)


def test_section_v_agency_shift(spec: Spec) -> None:
    expected = {
        "cchc": "so_noi_vu",
        "cchc.par_index": "so_noi_vu",
        "cchc.pci": "so_ke_hoach_dau_tu",
        "cchc.papi": "so_noi_vu",
        "cchc.ict_index": "so_thong_tin_truyen_thong",
        "cchc.ebi": "so_cong_thuong",
    }
    assert {k: spec.row_by_key[k].agencies[0] for k in expected} == expected


def test_units_fixed(spec: Spec) -> None:
    assert spec.row_by_key["kt.thu_ns.vien_tro_huy_dong"].unit == "tỷ.đ"
    assert spec.row_by_key["kt.thu_ns.nsnn_dia_ban_tang_truong"].unit == "%"
    for key in ("kt.chi_ns.ty_trong.dau_tu_phat_trien", "kt.chi_ns.ty_trong.thuong_xuyen"):
        assert spec.row_by_key[key].unit == "%"
        assert spec.row_by_key[key].printed["unit"] == "tỷ.đ"


def test_ocr_slips_fixed(spec: Spec) -> None:
    labels = [r.label for r in spec.rows]
    for slip in ("Tiêu học", "Chi số", "hướng theo phân cấp", "Cá nước"):
        assert not any(slip in label for label in labels), slip
    assert spec.row_by_key["xh.pho_cap_gd.tieu_hoc"].label == "Tiểu học"
    assert spec.row_by_key["kt.nganh.cong_nghiep_xay_dung.chi_so_iip"].label.startswith("Chỉ số")


def test_section_iii_split_from_merged_cell(spec: Spec) -> None:
    row = spec.row_by_key["mt"]
    assert (row.tt, row.label, row.kind) == ("III", "MÔI TRƯỜNG", RowKind.SECTION)


def test_tax_office_and_zone_authority_are_one_agency_each(spec: Spec) -> None:
    slugs = {a.slug for a in spec.agencies}
    assert "cuc_thue" in slugs and spec.agency_by_slug["cuc_thue"].short_name == "Cục Thuế thành phố"
    names = [alias for a in spec.agencies for alias in a.aliases]
    assert len(names) == len(set(names))
    kkt = spec.agency_by_slug["ban_quan_ly_kkt"]
    assert {"Ban Quản lý Khu kinh tế", "Ban Quản lý khu kinh tế"} <= set(kkt.aliases)
    assert all(a.email == "" for a in spec.agencies)  # never invented


def test_co_reporting_lead_first(spec: Spec) -> None:
    fdi = spec.row_by_key["kt.fdi.so_von"]
    assert fdi.agencies == ("so_ke_hoach_dau_tu", "ban_quan_ly_kkt")
    assert spec.row_by_key["tpkt.htx.so_luong"].agencies[-1] == "lien_minh_htx"
