"""Fill templates the way agencies do, for the demo, tests and benchmark.

Most agencies fill correctly; a few make the mistakes the collector exists to catch.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from pathlib import Path

import openpyxl
from openpyxl.worksheet.worksheet import Worksheet

from indicator_kit.catalog.model import Spec
from indicator_kit.generate import template_file_name
from indicator_kit.merge.periods import derivable_from_years
from indicator_kit.rules.kinds.sum import Sum
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


ON_TIME = datetime(2024, 5, 2, 9, 0, tzinfo=UTC)
LATE = datetime(2024, 5, 6, 8, 30, tzinfo=UTC)


def _stamp(path: Path, moment: datetime) -> None:
    """Arrival time in the inbox (what the collector judges lateness by)."""
    os.utime(path, (moment.timestamp(), moment.timestamp()))


SAMPLE_VALUES = "indicator_kit.examples"  # the repository's examples/, installed as package data


def load_values(path: Path | None = None) -> dict[tuple[str, str], float]:
    """Sample values from a CSV with columns key, column, value; without a path, the ones shipped
    with the package (examples/sample_values.csv: published figures where they exist, plausible
    values elsewhere), the same from a wheel as from the checkout."""
    source = path or files(SAMPLE_VALUES) / "sample_values.csv"
    with source.open(encoding="utf-8") as handle:
        return {(r["key"], r["column"]): float(r["value"]) for r in csv.DictReader(handle)}


def save_with_libreoffice(path: Path, fmt: str) -> Path | None:
    """Re-save a return as .xls or .ods the way an agency using LibreOffice would; None when
    LibreOffice is not installed."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        return None
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                soffice,
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--norestore",
                "--convert-to",
                fmt,
                "--outdir",
                str(path.parent),
                str(path),
            ],
            capture_output=True,
            timeout=300,
            check=True,
        )
    converted = path.with_suffix(f".{fmt}")
    os.utime(converted, (path.stat().st_atime, path.stat().st_mtime))
    path.unlink()
    return converted


def simulate_returns(
    spec: Spec, templates: Path, inbox: Path, values: Mapping[tuple[str, str], float]
) -> tuple[list[Path], list[str]]:
    """The returns of a realistic campaign (scenarios listed in the README): most agencies fill
    correctly; one types numbers as Vietnamese text, one makes a totals error and changes a unit to
    triệu đồng, one marks its last year preliminary "(sb)" and leaves the period columns that can
    be computed blank, one is late, one never returns, one resubmits a corrected file, two co-reporting
    agencies disagree on a cell, two save as .xls and .ods with LibreOffice, and three returns
    come as e-mails (an Outlook .msg, a forwarded message, a zipped attachment). Returns the files
    and notes on what could not be simulated here."""
    slugs = [a.slug for a in spec.agencies]
    notes: list[str] = []
    missing, late = slugs[-2], slugs[-1]
    changes: dict[str, dict[tuple[str, str], object]] = {slug: {} for slug in slugs}
    units: dict[str, tuple[str, str]] = {}
    text_agency = _first_with_rows(spec, ("share",))
    error_agency = _first_with_rule(spec, "sum", exclude={missing, late, text_agency or ""})
    resubmits = _first_with_rule(
        spec, "parts_within", exclude={missing, late, text_agency or "", error_agency or ""}
    )
    if text_agency:
        key = spec.rows_for(text_agency)[0].key
        changes[text_agency] |= {(key, c.id): _vietnamese(values[(key, c.id)]) for c in spec.campaign.columns}
    if error_agency:
        keys = {r.key for r in spec.rows_for(error_agency)}
        rule = next(r for r in spec.rules if isinstance(r.operands, Sum) and set(r.row_keys()) <= keys)
        assert isinstance(rule.operands, Sum)
        part = rule.operands.parts[0]
        changes[error_agency][(part, "y2021")] = values[(part, "y2021")] + 17
        used = set(rule.row_keys())
        amount = next(r.key for r in spec.rows_for(error_agency) if r.unit == "tỷ.đ" and r.key not in used)
        units[error_agency] = (amount, "triệu đồng")
        changes[error_agency] |= {
            (amount, c.id): values[(amount, c.id)] * 1000 for c in spec.campaign.columns
        }
    flagging = _most_period_rows(spec, exclude={missing, late})
    if flagging:  # the last year preliminary, and the period columns left for the office to compute
        last_year = [c for c in spec.campaign.columns if c.is_year][-1]
        for row in spec.rows_for(flagging):
            if row.lead != flagging:
                continue
            cell = (row.key, last_year.id)
            if cell not in changes[flagging] and isinstance(values.get(cell), float | int):
                # typed without thousands separators, as the guide asks: "2468,0 (sb)"
                changes[flagging][cell] = str(float(values[cell])).replace(".", ",") + " (sb)"
            for column in spec.campaign.columns:
                if derivable_from_years(spec, row, column):
                    changes[flagging][(row.key, column.id)] = None
    shared = next((r for r in spec.input_rows if len(r.agencies) > 1 and missing not in r.agencies), None)
    if shared:
        changes[shared.agencies[1]][(shared.key, "y2019")] = values[(shared.key, "y2019")] + 1
    plain = [
        x
        for x in slugs
        if x not in {missing, late, text_agency, error_agency, resubmits}
        and not any(x in r.agencies for r in ([shared] if shared else []))
    ]
    saved_as = dict(zip(plain[-2:], ("xls", "ods"), strict=False))  # two agencies use LibreOffice
    written = []
    for i, slug in enumerate(slugs):
        if slug == missing:
            continue
        template = templates / template_file_name(slug)
        name = template_file_name(slug).removesuffix(".xlsx")
        edit = _unit_edit(spec, slug, *units[slug]) if slug in units else None
        if slug == resubmits:
            first_row = spec.rows_for(slug)[0].key
            first = fill_return(
                spec,
                template,
                inbox / f"{name}_lan1.xlsx",
                values,
                slug,
                {(first_row, "y2020"): "đang cập nhật"},
            )
            _stamp(first, ON_TIME - timedelta(days=1))
            written.append(first)
            name = f"{name}_lan2"
        out = fill_return(spec, template, inbox / f"{name}.xlsx", values, slug, changes[slug], edit)
        _stamp(out, LATE if slug == late else ON_TIME + timedelta(minutes=17 * i))
        fmt = saved_as.get(slug)
        if fmt:
            converted = save_with_libreoffice(out, fmt)
            if converted is None:
                notes.append(f"LibreOffice chưa cài: {out.name} vẫn là .xlsx (không lưu thành .{fmt}).")
            out = converted or out
        written.append(out)
    by_slug = {path.stem.removeprefix("PL2_"): path for path in written}
    mailed = [slug for slug in plain[:-2] if slug in by_slug][:3]
    written = [p for p in written if p not in {by_slug[slug] for slug in mailed}]
    written += _as_mail(spec, [by_slug[slug] for slug in mailed])
    return written, notes


OFFICE_CLERK = "Văn thư <vanthu@skhdt.example.invalid>"


def _as_mail(spec: Spec, returns: list[Path]) -> list[Path]:
    """Returns as they reach the office by e-mail, dropped into the inbox as the officer drags
    them out of her mail program: one Outlook .msg, one forwarded by the office's clerk (the
    agency's message attached inside), one with the workbook zipped. The senders' addresses are
    samples (example.invalid), never written into agencies.yaml."""
    from indicator_kit.mail.sample_mail import MsgMessage, eml, msg, zipped

    made = []
    for kind, path in zip(("msg", "forwarded", "zipped"), returns, strict=False):
        slug = path.stem.removeprefix("PL2_")
        agency = spec.agency_by_slug[slug]
        sender = f"{agency.short_name} <{agency.email or slug + '@donvi.example.invalid'}>"
        sent = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        subject = f"{agency.short_name} gửi biểu Phụ lục 2"
        data, name = path.read_bytes(), path.name
        if kind == "msg":
            out = path.with_name(f"{subject}.msg")
            address = sender.split("<")[1].rstrip(">")
            out.write_bytes(msg(MsgMessage(address, subject, sent, [(name, data)])))
        elif kind == "forwarded":
            original = eml(sender, subject, sent, [(name, data)])
            out = path.with_name(f"Fwd {subject}.eml")
            out.write_bytes(bytes(eml(OFFICE_CLERK, f"Fwd: {subject}", sent, forwarded=[original])))
        else:
            out = path.with_name(f"{subject} (nén).eml")
            zip_name = name.replace(".xlsx", ".zip")
            out.write_bytes(bytes(eml(sender, subject, sent, [(zip_name, zipped([(name, data)]))])))
        _stamp(out, sent)
        path.unlink()
        made.append(out)
    return made


def _unit_edit(spec: Spec, slug: str, key: str, unit: str) -> Edit:
    def edit(ws: Worksheet) -> None:
        r, c = build_layout(spec, slug).cell(key, "unit")
        ws.cell(r + 1, c + 1).value = unit

    return edit


def _vietnamese(value: float) -> str:
    return f"{value:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")


def _most_period_rows(spec: Spec, exclude: set[str]) -> str | None:
    """The agency leading the most rows whose period columns the master can compute."""
    counts = {
        a.slug: sum(
            1
            for r in spec.rows_for(a.slug)
            if r.lead == a.slug and any(derivable_from_years(spec, r, c) for c in spec.campaign.columns)
        )
        for a in spec.agencies
        if a.slug not in exclude
    }
    best = max(counts, key=lambda slug: counts[slug], default=None)
    return best if best and counts[best] else None


def _first_with_rows(spec: Spec, value_types: tuple[str, ...]) -> str | None:
    for agency in spec.agencies:
        rows = spec.rows_for(agency.slug)
        if rows and rows[0].value_type and rows[0].value_type.value in value_types:
            return agency.slug
    return None


def _first_with_rule(spec: Spec, kind: str, exclude: set[str] | None = None) -> str | None:
    for agency in spec.agencies:
        if agency.slug in (exclude or set()):
            continue
        keys = {r.key for r in spec.rows_for(agency.slug)}
        if any(r.kind.name == kind and set(r.row_keys()) <= keys for r in spec.rules):
            return agency.slug
    return None
