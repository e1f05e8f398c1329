"""Returns saved by LibreOffice as .xlsx, .xls and .ods are read like the originals."""

from __future__ import annotations

from pathlib import Path

import pytest

from indicator_kit.catalog.spec import Spec
from indicator_kit.collect.run import collect_inbox
from indicator_kit.generate import generate
from indicator_kit.plan import Plan
from indicator_kit.sample import consistent_values
from tests.test_collect import cell, make_return
from tests.workbooks import libreoffice_convert, needs_libreoffice

pytestmark = needs_libreoffice
SLUGS = ["cuc_thong_ke", "so_tai_chinh", "so_y_te"]
TEXT_CELL = ("xh.bac_si_van_dan", "y2019")


@pytest.fixture(scope="module")
def saved_by_libreoffice(spec: Spec, plan: Plan, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("lo-returns")
    generate(plan, tmp / "templates", SLUGS)
    values = consistent_values(spec)
    filled = [
        make_return(spec, tmp / "templates", values, slug, tmp / "filled" / f"{slug}.xlsx") for slug in SLUGS
    ]
    typed = make_return(
        spec, tmp / "templates", values, "so_y_te", tmp / "typed" / "so_y_te_text.xlsx", {TEXT_CELL: "2,5"}
    )
    folders = {}
    for fmt in ("xlsx", "xls", "ods"):
        folders[fmt] = tmp / fmt
        libreoffice_convert([*filled, typed], fmt, folders[fmt])
    return folders


@pytest.mark.parametrize("fmt", ["xlsx", "xls", "ods"])
def test_libreoffice_saves_read_cleanly(
    spec: Spec, plan: Plan, saved_by_libreoffice: dict[str, Path], fmt: str
) -> None:
    subs = {s.file: s for s in collect_inbox(saved_by_libreoffice[fmt], plan)}
    for slug in SLUGS:
        sub = subs[f"{slug}.{fmt}"]
        assert sub.agency == slug and sub.identified_by == "embedded", sub.findings
        assert sub.findings == [], [(f.code, f.cell, f.message) for f in sub.findings]
        assert sub.answered == len(spec.rows_for(slug)) * len(spec.campaign.columns)
    text = subs[f"so_y_te_text.{fmt}"]
    assert {(f.code, f.cell) for f in text.findings} == {("text-number", cell(spec, "so_y_te", *TEXT_CELL))}
    assert text.cells[TEXT_CELL].value == 2.5
