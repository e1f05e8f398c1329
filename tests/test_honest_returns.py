"""Honest returns raise no alarm: a false alarm is a bug, like a miss.

Every agency's return is made with our generator and filled from examples/sample_values.csv —
the published figures of workbook_specs/reference/ where they exist — then written the ways
honest clerks write: numbers typed as text in Vietnamese and in English notation, negative growth
years, structures that add up to 100 only within rounding, an index below 1, and files saved
again by LibreOffice as .xlsx, .xls and .ods. Not one warning or error may come back.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from indicator_kit.catalog.spec import Spec
from indicator_kit.collect.model import Submission
from indicator_kit.collect.run import collect_inbox
from indicator_kit.generate import generate, template_file_name
from indicator_kit.merge.core import merge
from indicator_kit.plan import compile_plan
from indicator_kit.simulate import fill_return, load_values
from tests.conftest import ROOT
from tests.workbooks import libreoffice_convert, needs_libreoffice

SAMPLE = ROOT / "examples" / "sample_values.csv"
GROWTH = "kt.nganh.dich_vu.tang_truong"  # services: a growth row no rule ties to a level
STRUCTURE = [
    f"kt.danh_gia_xnk.co_cau_nganh.{p}" for p in ("nong_lam_thuy_san", "cong_nghiep_xay_dung", "dich_vu")
]


def honest_values(spec: Spec) -> dict[tuple[str, str], float]:
    values = load_values(SAMPLE)
    # a year of contraction right after a boom, and the period's average growth from the years
    values[(GROWTH, "y2019")], values[(GROWTH, "y2020")] = 17.9, -0.61
    product = math.prod(1 + values[(GROWTH, f"y{y}")] / 100 for y in range(2019, 2024))
    values[(GROWTH, "gd2019_2023_hp")] = round((product ** (1 / 5) - 1) * 100, 2)
    # a structure that adds up to 100 only within rounding: 4,33 + 71,33 + 24,33 = 99,99, each
    # share correctly rounded to two decimals (the EBA tolerance: 3 × 0,005)
    for part in STRUCTURE:
        values[(part, "y2021")] = {
            "nong_lam_thuy_san": 4.33,
            "cong_nghiep_xay_dung": 71.33,
            "dich_vu": 24.33,
        }[part.rsplit(".", 1)[1]]
    return values


def vietnamese(value: float) -> str:
    """As a clerk types it in Vietnamese notation: 1.234,5; −0,61 with the minus sign U+2212."""
    text = f"{abs(value):,.{_decimals(value)}f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    return ("\u2212" if value < 0 else "") + text


def english(value: float) -> str:
    """As typed in English notation: 1,234.5; negatives in brackets, as accountants write them."""
    text = f"{abs(value):,.{_decimals(value)}f}"
    return f"({text})" if value < 0 else text


def _decimals(value: float) -> int:
    """The value's own decimals, at least one: "2.400" alone could be 2,4 or 2 400."""
    text = repr(float(value))
    return max(1, len(text.split(".")[1].rstrip("0"))) if "." in text else 1


def no_alarm(subs: list[Submission]) -> list[tuple[str, str, str, str]]:
    return [
        (s.file, f.code, f.cell, f.message)
        for s in subs
        for f in s.findings
        if f.severity.value in ("warning", "error")
    ]


@pytest.fixture(scope="module")
def filled(published_spec: Spec, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    base = tmp_path_factory.mktemp("honest")
    generate(compile_plan(published_spec), base / "templates")
    values = honest_values(published_spec)
    text_rows = {  # a few agencies type some rows as text, in one notation or the other
        "cuc_thong_ke": (vietnamese, ["kt.grdp.gia_hh", "xh.hdi"]),
        "so_cong_thuong": (english, [GROWTH]),
        "so_tai_chinh": (english, ["kt.thu_ns.nsnn_dia_ban", "kt.chi_ns.ty_trong.dau_tu_phat_trien"]),
        "so_nong_nghiep_ptnt": (vietnamese, ["kt.nganh.nong_nghiep.dong_gop_tang_truong"]),
    }
    for agency in published_spec.agencies:
        slug = agency.slug
        notation, keys = text_rows.get(slug, (None, []))
        changes = {
            (key, c.id): notation(values[(key, c.id)])  # type: ignore[misc]
            for key in keys
            for c in published_spec.campaign.columns
        }
        fill_return(
            published_spec,
            base / "templates" / template_file_name(slug),
            base / "inbox" / f"{slug}.xlsx",
            values,
            slug,
            changes,
        )
    return base, values


def test_honest_returns_of_every_agency_raise_no_alarm(
    published_spec: Spec, filled: tuple[Path, dict]
) -> None:
    base, values = filled
    assert values[("xh.hdi", "y2018")] < 1  # an index below 1
    assert values[(GROWTH, "y2020")] < 0 < values[(GROWTH, "y2019")]
    assert sum(values[(p, "y2021")] for p in STRUCTURE) == pytest.approx(99.99)
    subs = collect_inbox(base / "inbox", compile_plan(published_spec))
    assert len(subs) == len(published_spec.agencies)
    assert no_alarm(subs) == []
    typed_as_text = {(s.agency, f.code) for s in subs for f in s.findings}
    assert typed_as_text == {
        ("cuc_thong_ke", "text-number"),
        ("so_tai_chinh", "text-number"),
        ("so_cong_thuong", "text-number"),
        ("so_nong_nghiep_ptnt", "text-number"),
    }  # recorded, nobody acts
    read = {(s.agency, key, column): s.cells.number((key, column)) for s in subs for key, column in s.cells}
    assert read[("so_cong_thuong", GROWTH, "y2020")] == pytest.approx(-0.61)  # typed "(0.61)"
    assert read[("so_tai_chinh", "kt.thu_ns.nsnn_dia_ban", "y2023")] == pytest.approx(103619)
    master = merge(compile_plan(published_spec), subs)
    assert [(f.code, f.message) for f in master.findings if f.severity.value != "info"] == []
    assert master.disagreements == []


@needs_libreoffice
def test_honest_returns_saved_by_libreoffice_raise_no_alarm(
    published_spec: Spec, filled: tuple[Path, dict], tmp_path: Path
) -> None:
    base, _ = filled
    inbox = tmp_path / "inbox"
    sources = {
        "xlsx": base / "inbox" / "so_tai_chinh.xlsx",  # English text numbers
        # the biggest return, with Vietnamese text numbers and growth rates below 2 % (1,11), so
        # the .xls number formats are read (no cell shows a percentage: nothing to say)
        "xls": base / "inbox" / "cuc_thong_ke.xlsx",
        "ods": base / "inbox" / "so_ke_hoach_dau_tu.xlsx",  # published PCI and FDI figures
    }
    for fmt, source in sources.items():
        target = "xlsx:Calc MS Excel 2007 XML" if fmt == "xlsx" else fmt
        libreoffice_convert([source], target, inbox / fmt)
    subs = collect_inbox(inbox, compile_plan(published_spec))
    assert sorted(Path(s.file).suffix for s in subs) == [".ods", ".xls", ".xlsx"]
    assert all(s.agency and not s.refused for s in subs)
    assert no_alarm(subs) == []
