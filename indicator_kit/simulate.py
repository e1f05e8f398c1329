"""Fill templates the way agencies do, for the demo, tests and benchmark.

Most agencies fill correctly; a few make the mistakes the collector exists to catch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import openpyxl
from openpyxl.worksheet.worksheet import Worksheet

from indicator_kit.generate import template_file_name
from indicator_kit.sample import consistent_values
from indicator_kit.spec.model import Spec
from indicator_kit.template.layout import MAIN_SHEET, build_layout

Edit = Callable[[Worksheet], None]


def fill_return(
    spec: Spec,
    template: Path,
    out: Path,
    values: Mapping[tuple[str, str], object],
    slug: str,
    changes: Mapping[tuple[str, str], object] | None = None,
    edit: Edit | None = None,
) -> Path:
    """Type every input value of the agency's rows, then the `changes`, as a clerk would."""
    layout = build_layout(spec, slug)
    wb = openpyxl.load_workbook(template)
    ws = wb[MAIN_SHEET]
    for lr in layout.input_rows:
        for column in spec.campaign.columns:
            r, c = layout.cell(lr.row.key, column.id)
            ws.cell(r + 1, c + 1).value = values.get((lr.row.key, column.id))
    for (key, column), value in (changes or {}).items():
        r, c = layout.cell(key, column)
        ws.cell(r + 1, c + 1).value = value
    if edit:
        edit(ws)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out


def simulate_returns(spec: Spec, templates: Path, inbox: Path) -> list[Path]:
    """One return per agency: correct, except a few with typical mistakes (see the README)."""
    values = consistent_values(spec)
    mistakes: dict[str, dict[tuple[str, str], object]] = {}
    text_agency, error_agency = _first_with_rows(spec, ("share",)), _first_with_rule(spec, "sum")
    if text_agency:
        key = next(r.key for r in spec.rows_for(text_agency))
        mistakes[text_agency] = {(key, c.id): _vietnamese(values[(key, c.id)]) for c in spec.campaign.columns}
    if error_agency:
        rule = next(
            r
            for r in spec.rules
            if r.kind == "sum" and r.operands["parts"][0] in {x.key for x in spec.rows_for(error_agency)}
        )
        part = rule.operands["parts"][0]
        mistakes[error_agency] = {(part, "y2021"): values[(part, "y2021")] + 17}
    written = []
    for agency in spec.agencies:
        out = inbox / f"{template_file_name(agency.slug).removesuffix('.xlsx')}_da_dien.xlsx"
        written.append(
            fill_return(
                spec,
                templates / template_file_name(agency.slug),
                out,
                values,
                agency.slug,
                mistakes.get(agency.slug),
            )
        )
    return written


def _vietnamese(value: float) -> str:
    return f"{value:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")


def _first_with_rows(spec: Spec, value_types: tuple[str, ...]) -> str | None:
    for agency in spec.agencies:
        rows = spec.rows_for(agency.slug)
        if rows and rows[0].value_type and rows[0].value_type.value in value_types:
            return agency.slug
    return None


def _first_with_rule(spec: Spec, kind: str) -> str | None:
    for agency in spec.agencies:
        keys = {r.key for r in spec.rows_for(agency.slug)}
        if any(r.kind == kind and set(r.operand_keys()) <= keys for r in spec.rules):
            return agency.slug
    return None
