"""Which agency a returned workbook comes from — by its content, never by its file name."""

from __future__ import annotations

import re
from dataclasses import dataclass

from indicator_kit.catalog.spec import Spec
from indicator_kit.collect.reader import RawSheet, RawWorkbook
from indicator_kit.collect.units import normalise
from indicator_kit.template.identity import TemplateIdentity
from indicator_kit.template.layout import MAIN_SHEET, META_SHEET

VISIBLE_LINE = re.compile(
    r"Mã nhận dạng biểu \(không sửa\):\s*(\S+)\s*\|\s*(\S+)\s*\|\s*mẫu\s*(\S+)\s*\|\s*danh mục\s*(\S+)"
)
TITLE_PREFIX = "đơn vị báo cáo:"
SCAN_ROWS = 15


@dataclass(frozen=True)
class Identification:
    agency: str | None
    identity: TemplateIdentity | None
    method: str  # "embedded", "title", "labels", ""
    claims: dict[str, str]  # source (a key of findings.IDENTITY_SOURCES) → agency claimed


def find_main_sheet(raw: RawWorkbook, spec: Spec) -> tuple[RawSheet | None, bool]:
    """The sheet holding the table, and whether it was found under another name."""
    exact = raw.sheet(MAIN_SHEET)
    if exact is not None:
        return exact, False
    keys = set(spec.row_by_key)
    best, best_score = None, 0
    for sheet in raw.sheets:
        if sheet.name == META_SHEET:
            continue
        score = sum(1 for row in sheet.grid for v in row if isinstance(v, str) and v in keys)
        score += sum(5 for row in sheet.grid[:SCAN_ROWS] for v in row if v == "Chỉ tiêu")
        if score > best_score:
            best, best_score = sheet, score
    return best, best is not None


def _meta_identity(raw: RawWorkbook) -> TemplateIdentity | None:
    meta = raw.sheet(META_SHEET)
    if meta is None:
        return None
    pairs = {str(r[0]): r[1] for r in meta.grid if len(r) > 1 and r[0]}
    return TemplateIdentity.from_properties(pairs)


def _visible_identity(sheet: RawSheet | None) -> TemplateIdentity | None:
    if sheet is None:
        return None
    for row in sheet.grid[:SCAN_ROWS]:
        for value in row:
            if isinstance(value, str) and "nhận dạng" in value and (m := VISIBLE_LINE.search(value)):
                return TemplateIdentity(m.group(1), m.group(2), m.group(4), m.group(3))
    return None


def _title_agency(sheet: RawSheet | None, spec: Spec) -> str | None:
    if sheet is None:
        return None
    names = {}
    for agency in spec.agencies:
        for name in (agency.name, agency.short_name, *agency.aliases):
            names[normalise(name)] = agency.slug
    for row in sheet.grid[:SCAN_ROWS]:
        for value in row:
            if isinstance(value, str) and normalise(value).startswith(TITLE_PREFIX):
                named = normalise(value)[len(TITLE_PREFIX) :].strip()
                return names.get(named)
    return None


def _label_agency(sheet: RawSheet | None, spec: Spec) -> str | None:
    """The agency whose rows' (label, unit) pairs best cover what the sheet holds."""
    if sheet is None:
        return None
    present = {
        (normalise(str(row[1])), normalise(str(row[2])))
        for row in sheet.grid
        if len(row) > 2 and isinstance(row[1], str) and row[1].strip()
    }
    best, best_score = None, 0.0
    for agency in spec.agencies:
        wanted = {(normalise(r.label), normalise(r.unit or "")) for r in spec.rows_for(agency.slug)}
        score = len(wanted & present) / len(wanted)
        if score > best_score:
            best, best_score = agency.slug, score
    return best if best_score >= 0.6 else None


def identify(raw: RawWorkbook, sheet: RawSheet | None, spec: Spec) -> Identification:
    from_properties = TemplateIdentity.from_properties(raw.properties)
    embedded = {
        "properties": from_properties,
        # The hidden sheet repeats the file properties for programs that drop them (some .xls
        # and .ods round trips); reading it when the properties are there would only cost time.
        "meta-sheet": _meta_identity(raw) if from_properties is None else None,
        "visible-line": _visible_identity(sheet),
    }
    claims = {source: ident.agency for source, ident in embedded.items() if ident is not None}
    identity = next((i for i in embedded.values() if i is not None), None)
    if identity is not None:
        return Identification(identity.agency, identity, "embedded", claims)
    title = _title_agency(sheet, spec)
    if title:
        return Identification(title, None, "title", {"title": title})
    labels = _label_agency(sheet, spec)
    if labels:
        return Identification(labels, None, "labels", {"labels": labels})
    return Identification(None, None, "", {})
