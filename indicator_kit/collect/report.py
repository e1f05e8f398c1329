"""Findings and feedback rendered for a run to publish: JSON, CSV (Excel-friendly), workbooks."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xlsxwriter.utility import xl_rowcol_to_cell

from indicator_kit.catalog.spec import Spec
from indicator_kit.collect.model import Submission
from indicator_kit.collect.numbers import Status
from indicator_kit.finding_labels import code_label
from indicator_kit.findings import FIELDS, Finding, Severity
from indicator_kit.generate import identity_for
from indicator_kit.merge.core import newest
from indicator_kit.template.layout import COLUMN_TITLES
from indicator_kit.template.xlsx import Feedback, campaign_properties, render_template, text_safe_workbook
from indicator_kit.verdict import FileRole, FileVerdict, blank_cells

if TYPE_CHECKING:
    from indicator_kit.plan import Plan
    from indicator_kit.verdict import Verdicts

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# What a person reads of a finding, in this order: findings.xlsx and the master's "Lỗi" sheet
PROBLEM_COLUMNS = ("Đơn vị", "Tệp", "Sheet", "Ô", "Chỉ tiêu", "Cột", "Mức độ", "Loại", "Nội dung")


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


# A finding on a row, not on one of its value cells, points at the cell it is about
ROW_CELL = {"unit-edited": "unit", "unit-converted": "unit", "unit-unknown": "unit", "tt-edited": "tt"}
BLANK_MARK = "Chưa có số liệu: nhập số, hoặc gõ x nếu không có số liệu."
LISTED_CELLS = 8  # a blank column names this many cells, then says how many more


def feedback_of(plan: Plan, sub: Submission, merged: Iterable[Finding] = ()) -> Feedback:
    """What a feedback workbook shows: the values returned, a mark on each cell to look at, and
    one issue per line of its "Lỗi cần sửa" sheet, errors first (each finding of the file, the
    merge's on it, and the blank cells the agency must fill, by column), warnings after; each
    names its cell. The correction letter lists the same errors and counts the same warnings.
    `merged`: findings of the merge on this file (agencies disagreeing, cross-agency rules)."""
    assert sub.agency is not None
    spec, layout = plan.spec, plan.layout(sub.agency)
    values: dict[tuple[str, str], object] = {}
    for key_col, cell in sub.cells.items():
        if cell.status is Status.NUMBER and cell.usable and cell.value is not None:
            values[key_col] = cell.value
        elif cell.text is not None:
            values[key_col] = cell.text
    marks: dict[tuple[str, str], str] = {}
    issues: list[tuple[Severity, tuple[str, str, str, str, str]]] = []
    columns = {c.id: c.title for c in spec.campaign.columns}
    for f in [*sub.findings, *(m for m in merged if m.sha256 == sub.sha256)]:
        if f.severity is Severity.INFO:
            continue
        address, column = "", columns.get(f.column, "")
        if f.row_key in layout.row_of and f.column in layout.col:
            row, col = layout.cell(f.row_key, f.column)
            address = xl_rowcol_to_cell(row, col)
            previous = marks.get((f.row_key, f.column))
            marks[(f.row_key, f.column)] = f"{previous}\n{f.shown}" if previous else f.shown
        elif f.row_key in layout.row_of:
            fixed = ROW_CELL.get(f.code, "label")
            address = xl_rowcol_to_cell(layout.row_of[f.row_key], layout.col[fixed])
            column = COLUMN_TITLES[fixed]
            previous = marks.get((f.row_key, fixed))  # the row's own cell (its unit, its label)
            marks[(f.row_key, fixed)] = f"{previous}\n{f.shown}" if previous else f.shown
        label = spec.row_by_key[f.row_key].label if f.row_key in spec.row_by_key else ""
        issues.append((f.severity, (address, label, column, f.severity.value, f.shown)))
    for column, keys in blank_cells(spec, sub).items():
        cells = [xl_rowcol_to_cell(*layout.cell(key, column)) for key in keys]
        for key in keys:
            marks.setdefault((key, column), BLANK_MARK)
        shown = ", ".join(cells[:LISTED_CELLS]) + (
            f" và {len(cells) - LISTED_CELLS} ô khác" if len(cells) > LISTED_CELLS else ""
        )
        label = spec.row_by_key[keys[0]].label if len(keys) == 1 else f"{len(keys)} dòng"
        message = (
            f"{len(keys)} ô của cột {columns[column]} chưa có số liệu "
            "(nhập số, hoặc gõ x nếu không có số liệu)."
        )
        issues.append((Severity.ERROR, (shown, label, columns[column], Severity.ERROR.value, message)))
    issues.sort(key=lambda issue: issue[0] is not Severity.ERROR)  # stable: errors first, in order
    return Feedback(values, sub.notes, marks, [line for _, line in issues])


def feedback_workbook(plan: Plan, sub: Submission, merged: Iterable[Finding] = ()) -> bytes:
    """The agency's template filled with what it sent, marked where to look (`feedback_of`)."""
    assert sub.agency is not None
    feedback = feedback_of(plan, sub, merged)
    return render_template(plan.layout(sub.agency), identity_for(plan.spec, sub.agency), feedback)


SEVERITY_TEXT = {Severity.ERROR: "Lỗi", Severity.WARNING: "Cảnh báo", Severity.INFO: "Ghi nhận"}
FINDINGS_XLSX = "findings.xlsx"


@dataclass(frozen=True)
class Problem:
    """One row of findings.xlsx: one finding, or the same value-reading note on several cells
    of one row (ten numbers typed as text in a row are one problem, not ten)."""

    first: Finding
    cells: tuple[str, ...]
    columns: tuple[str, ...]


def problems(findings: Iterable[Finding]) -> list[Problem]:
    """Findings in order, those of one file, code and row without a rule grouped (the coercions:
    each cell's message differs only by its value)."""
    grouped: dict[tuple[str, str, str, str], list[Finding]] = {}
    order: list[tuple[str, str, str, str]] = []
    for i, f in enumerate(findings):
        key = (f.file, f.code, f.row_key, "") if f.row_key and not f.rule else (f.file, f.code, "", str(i))
        if key not in grouped:
            grouped[key] = []
            order.append(key)
        grouped[key].append(f)
    return [
        Problem(grouped[k][0], tuple(f.cell for f in grouped[k]), tuple(f.column for f in grouped[k]))
        for k in order
    ]


def findings_workbook(spec: Spec, findings: list[Finding], verdicts: Verdicts) -> bytes:
    """findings.xlsx for people: what each agency must fix (Vietnamese headers, agency names,
    column titles as printed, severity in words), and every file received with what became of it.
    A replaced file's own findings are not listed as problems: the later file counts."""
    buffer = io.BytesIO()
    wb = text_safe_workbook(buffer)
    wb.set_properties(campaign_properties(spec.campaign, "danh sách lỗi"))
    header = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
    body = wb.add_format({"text_wrap": True, "valign": "top", "border": 1})
    error = wb.add_format({"text_wrap": True, "valign": "top", "border": 1, "font_color": "#9C0006"})
    names = {a.slug: a.short_name for a in spec.agencies}
    titles = {c.id: c.title for c in spec.campaign.columns}
    rows = []
    for p in problems(f for f in verdicts.still_open(findings) if f.severity is not Severity.INFO):
        f = p.first
        label = spec.row_by_key[f.row_key].label if f.row_key in spec.row_by_key else ""
        columns = list(dict.fromkeys(titles.get(c, c) for c in p.columns if c))
        if len(columns) == len(titles) > 1:
            columns = [f"cả {len(titles)} cột"]
        message = f.shown if len(p.cells) == 1 else f"{f.shown} (và {len(p.cells) - 1} ô khác cùng dòng)"
        rows.append(
            (
                f.severity,
                [
                    names.get(f.agency, "(chưa rõ đơn vị)"),
                    f.file,
                    f.sheet,
                    ", ".join(c for c in p.cells if c),
                    label,
                    ", ".join(columns),
                    SEVERITY_TEXT[f.severity],
                    code_label(f.code),
                    message,
                ],
            )
        )
    _sheet(
        wb.add_worksheet("Cần xử lý"),
        list(PROBLEM_COLUMNS),
        [22, 28, 11, 12, 36, 26, 9, 24, 80],
        [(error if sev is Severity.ERROR else body, values) for sev, values in rows],
        header,
    )
    _sheet(
        wb.add_worksheet("Tệp đã nhận"),
        ["Tệp", "Đơn vị", "Tình trạng tệp", "Ghi chú"],
        [36, 36, 16, 80],
        [(body, [f.file, _agency_of(f, names), str(f.role), f.note]) for f in verdicts.files],
        header,
    )
    wb.close()
    return buffer.getvalue()


def _agency_of(file: FileVerdict, names: dict[str, str]) -> str:
    """An opened e-mail or zip belongs to nobody itself: its workbooks, listed after it, say whose."""
    if file.role in (FileRole.MAIL, FileRole.ZIP):
        return "(xem các tệp bên trong, ở các dòng sau)"
    return names.get(file.agency, "(chưa rõ đơn vị)")


def _sheet(
    ws: Any, headers: list[str], widths: list[int], rows: list[tuple[Any, list[str]]], header: Any
) -> None:
    for col, (title, width) in enumerate(zip(headers, widths, strict=True)):
        ws.write_string(0, col, title, header)
        ws.set_column(col, col, width)
    for r, (fmt, values) in enumerate(rows, start=1):
        for col, value in enumerate(values):
            ws.write_string(r, col, value, fmt)
        # wrapped text needs its height set: spreadsheet programs do not grow the row on opening
        lines = max(-(-len(value) // max(widths[col] - 1, 1)) for col, value in enumerate(values))
        if lines > 1:
            ws.set_row(r, 15 * lines)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(len(rows), 1), len(headers) - 1)
    # printed as a list to hand over: A4 landscape, one page wide, the header on every page
    ws.set_paper(9)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)


def report_files(
    out_dir: Path,
    plan: Plan,
    submissions: list[Submission],
    verdicts: Verdicts | None = None,
    merged: list[Finding] | None = None,
) -> dict[Path, bytes]:
    """findings.json and findings.csv (machine codes, for scripts) and a feedback workbook for
    each agency whose accepted file must be corrected or looked at: rendered, for the caller to
    publish with the rest of its run (findings.xlsx, for people, is rendered beside the master:
    `findings_workbook`). `merged`: the merge's findings (`Master.findings`: agencies
    disagreeing, cross-agency rules), written with the files' own and shown on the feedback of
    each file they concern."""
    merged = merged or []
    findings = all_findings(submissions) + merged
    files = {
        out_dir / "findings.json": findings_json(findings),
        out_dir / "findings.csv": findings_csv(findings),
    }
    if verdicts is not None:
        # the agencies the verdicts say must correct or look again (blank cells included)
        # the agencies the verdicts say must correct or look again (blank cells included), and
        # those the merge found disagreeing with another agency
        looked_at = {f.sha256 for f in merged if f.severity.value in ("error", "warning")}
        chosen = [
            a.current
            for a in verdicts.agencies
            if a.current is not None and (a.reasons or a.current.sha256 in looked_at)
        ]
    else:
        by_agency: dict[str, list[Submission]] = {}
        for sub in submissions:
            if sub.agency and not sub.refused:
                by_agency.setdefault(sub.agency, []).append(sub)
        chosen = [
            latest
            for latest in map(newest, by_agency.values())
            if any(
                f.severity.value in ("error", "warning")
                for f in [*latest.findings, *(m for m in merged if m.sha256 == latest.sha256)]
            )
        ]
    for latest in sorted(chosen, key=lambda sub: sub.agency or ""):
        own = [f for f in merged if f.sha256 == latest.sha256]
        files[out_dir / "feedback" / f"{latest.agency}.xlsx"] = feedback_workbook(plan, latest, own)
    return files
