"""Findings and feedback written to disk: JSON, CSV (Excel-friendly, injection-safe), workbooks."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from pathlib import Path

from xlsxwriter.utility import xl_rowcol_to_cell

from indicator_kit.catalog.model import Spec
from indicator_kit.checks import column_name
from indicator_kit.collect.model import Submission
from indicator_kit.collect.numbers import Status
from indicator_kit.findings import FIELDS, Finding
from indicator_kit.generate import identity_for
from indicator_kit.merge.core import newest
from indicator_kit.template.layout import build_layout
from indicator_kit.template.xlsx import Feedback, render_template

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """A cell starting with = + - @ would run as a formula when the CSV is opened in Excel."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def all_findings(submissions: Iterable[Submission]) -> list[Finding]:
    return [f for sub in submissions for f in sub.findings]


def findings_json(findings: list[Finding]) -> bytes:
    return (json.dumps([f.as_record() for f in findings], ensure_ascii=False, indent=2) + "\n").encode(
        "utf-8"
    )


def findings_csv(findings: list[Finding]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(FIELDS)
    for f in findings:
        record = f.as_record()
        writer.writerow([neutralise(record[name]) for name in FIELDS])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def feedback_workbook(spec: Spec, sub: Submission) -> bytes:
    assert sub.agency is not None
    layout = build_layout(spec, sub.agency)
    values: dict[tuple[str, str], object] = {}
    for key_col, cell in sub.cells.items():
        if cell.status is Status.NUMBER and cell.usable and cell.value is not None:
            values[key_col] = cell.value
        elif cell.text is not None:
            values[key_col] = cell.text
    marks: dict[tuple[str, str], str] = {}
    issues = []
    columns = {c.id: column_name(c) for c in spec.campaign.columns}
    for f in sub.findings:
        if f.severity.value == "info":
            continue
        address = ""
        if f.row_key in layout.row_of and f.column in layout.col:
            row, col = layout.cell(f.row_key, f.column)
            address = xl_rowcol_to_cell(row, col)
            previous = marks.get((f.row_key, f.column))
            marks[(f.row_key, f.column)] = f"{previous}\n{f.message}" if previous else f.message
        label = spec.row_by_key[f.row_key].label if f.row_key in spec.row_by_key else ""
        issues.append((address, label, columns.get(f.column, ""), f.severity.value, f.message))
    feedback = Feedback(values, sub.notes, marks, issues)
    return render_template(layout, identity_for(spec, sub.agency), feedback)


def report_files(out_dir: Path, spec: Spec, submissions: list[Submission]) -> dict[Path, bytes]:
    """findings.json, findings.csv and one feedback workbook per agency whose current return
    has errors or warnings: rendered, for the caller to publish with the rest of its run."""
    findings = all_findings(submissions)
    files = {
        out_dir / "findings.json": findings_json(findings),
        out_dir / "findings.csv": findings_csv(findings),
    }
    by_agency: dict[str, list[Submission]] = {}
    for sub in submissions:
        if sub.agency and not sub.refused:
            by_agency.setdefault(sub.agency, []).append(sub)
    for slug, subs in sorted(by_agency.items()):
        latest = newest(subs)
        if any(f.severity.value in ("error", "warning") for f in latest.findings):
            files[out_dir / "feedback" / f"{slug}.xlsx"] = feedback_workbook(spec, latest)
    return files
