"""Submissions → the master table, with where every value came from. Pure: no file I/O.

Precedence (documented in README): for each agency the newest file counts (workbook saved
time, then file modification time, then name); a row takes its lead agency's value; a
co-reporting agency's value fills a cell only where the lead left it blank. A value whose own
cell has an error finding is not merged (shown as rejected with the reason).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from itertools import pairwise

from indicator_kit.catalog.model import Column
from indicator_kit.catalog.spec import Spec
from indicator_kit.collect.model import CellResult, Submission
from indicator_kit.collect.numbers import Status, ValueFlag, flag_of, format_number
from indicator_kit.findings import Finding, Message, Severity, finding, part
from indicator_kit.merge.periods import fill_blank_periods
from indicator_kit.plan import Plan
from indicator_kit.rules import Ref, column_name, half_unit, run_check


class CellStatus(StrEnum):
    REPORTED = "reported"
    NO_DATA = "no-data"
    CO_AGENCY = "co-agency"  # the lead left it blank; a co-reporting agency's value
    REJECTED = "rejected"  # the cell has an error finding
    MISSING = "missing"
    COMPUTED = "computed"  # a blank period cell computed from the years (merge.periods)


@dataclass(frozen=True)
class MasterCell:
    key: str
    column: str
    status: CellStatus
    value: float | None = None
    agency: str = ""
    source_file: str = ""
    source_sha256: str = ""
    saved_at: datetime | None = None
    reason: str = ""  # why rejected
    changed_from: float | None = None  # the value an earlier file of the same agency had
    changed: bool = False
    flag: ValueFlag = ValueFlag.NORMAL  # sơ bộ / ước tính as the agency marked it
    derivation: str = ""  # how a computed value was computed
    note: str = ""  # the agency's "Ghi chú" on the row (its explanation of the row's warnings)


@dataclass(frozen=True)
class Disagreement:
    key: str
    column: str
    values: dict[str, float | None]  # agency → value
    message: str
    rule: str = ""


@dataclass(frozen=True)
class Change:
    agency: str
    key: str
    column: str
    old: str
    new: str
    old_file: str
    new_file: str


@dataclass(frozen=True)
class AgencyStatus:
    agency: str
    received: bool
    current: Submission | None
    older: tuple[Submission, ...]
    received_at: datetime | None
    on_time: bool | None
    expected: int
    answered: int
    errors: int
    warnings: int  # still to look at
    explained: int = 0  # warnings the agency explained in "Ghi chú"


@dataclass
class Master:
    cells: dict[tuple[str, str], MasterCell]
    statuses: list[AgencyStatus]
    disagreements: list[Disagreement]
    changes: list[Change]
    findings: list[Finding] = field(default_factory=list)  # merge-time findings (cross-agency)


def supersession_order(sub: Submission) -> tuple[float, float, str]:
    """Later files supersede earlier ones: by the workbook's saved time, then file time, then name."""
    return (sub.saved_at.timestamp() if sub.saved_at else 0.0, sub.mtime, sub.file)


def newest(submissions: list[Submission]) -> Submission:
    """The file of one agency that counts (the precedence rule above)."""
    return max(submissions, key=supersession_order)


def received_time(sub: Submission, arrivals: dict[str, datetime] | None = None) -> datetime:
    """When the file first arrived: from the ledger when there is one, else its time in the inbox."""
    if arrivals and sub.sha256 in arrivals:
        return arrivals[sub.sha256]
    return datetime.fromtimestamp(sub.mtime, tz=UTC)


def _usable_value(sub: Submission, cell: CellResult) -> bool:
    return (
        cell.usable
        and cell.status in (Status.NUMBER, Status.NO_DATA)
        and not _has_error(sub, cell.key, cell.column)
    )


def _reason(sub: Submission, key: str, column: str) -> str:
    return next(
        (
            f.message
            for f in sub.findings
            if f.row_key == key and f.column == column and f.severity is Severity.ERROR
        ),
        "ô có lỗi",
    )


def _has_error(sub: Submission, key: str, column: str) -> bool:
    return any(f.row_key == key and f.column == column and f.severity is Severity.ERROR for f in sub.findings)


def _cell_from(sub: Submission, cell: CellResult, status: CellStatus) -> MasterCell:
    key, column = cell.key, cell.column
    if not cell.usable or _has_error(sub, key, column):
        return MasterCell(
            key,
            column,
            CellStatus.REJECTED,
            None,
            sub.agency or "",
            sub.file,
            sub.sha256,
            sub.saved_at,
            _reason(sub, key, column),
            note=sub.notes.get(key, ""),
        )
    if cell.status is Status.NO_DATA:
        status = CellStatus.NO_DATA
    return MasterCell(
        key,
        column,
        status,
        cell.value,
        sub.agency or "",
        sub.file,
        sub.sha256,
        sub.saved_at,
        flag=flag_of(cell.text),
        note=sub.notes.get(key, ""),
    )


def _describe(cell: CellResult | None) -> str:
    if cell is None or cell.status is Status.BLANK:
        return "(trống)"
    if cell.status is Status.NUMBER and cell.value is not None:
        return format_number(cell.value)
    return cell.text or ""


def merge(
    plan: Plan,
    submissions: list[Submission],
    deadline: date | None = None,
    arrivals: dict[str, datetime] | None = None,
) -> Master:
    spec = plan.spec
    deadline = deadline or spec.campaign.deadline
    by_agency: dict[str, list[Submission]] = {}
    first_copy: dict[str, Submission] = {}
    extra_findings: list[Finding] = []
    # Identical files count once (the first to arrive); an empty return supersedes nothing.
    for sub in sorted(submissions, key=lambda s: (received_time(s, arrivals), s.mtime, s.file)):
        if sub.agency not in spec.agency_by_slug or sub.refused or not sub.verified:
            continue
        where = {"file": sub.file, "sha256": sub.sha256, "agency": sub.agency or ""}
        if sub.sha256 in first_copy:
            extra_findings.append(finding("duplicate-file", first_file=first_copy[sub.sha256].file, **where))
            continue
        first_copy[sub.sha256] = sub
        if sub.answered == 0:
            extra_findings.append(finding("return-empty", **where))
            continue
        by_agency.setdefault(sub.agency, []).append(sub)
    current = {slug: newest(subs) for slug, subs in by_agency.items()}

    changes: list[Change] = []
    for slug, subs in by_agency.items():
        for old, new in pairwise(sorted(subs, key=supersession_order)):
            for key_col in old.cells.changed_keys(new.cells):
                before, after = _describe(old.cells.get(key_col)), _describe(new.cells.get(key_col))
                if before != after:
                    changes.append(Change(slug, *key_col, before, after, old.file, new.file))
    changed = {(c.agency, c.key, c.column): c for c in changes if current[c.agency].file == c.new_file}

    cells: dict[tuple[str, str], MasterCell] = {}
    disagreements: list[Disagreement] = []
    for row in spec.input_rows:
        for column in spec.campaign.columns:
            key_col = (row.key, column.id)
            reports = {a: current[a] for a in row.agencies if a in current and key_col in current[a].cells}
            read = {a: sub.cells[key_col] for a, sub in reports.items()}  # each cell built once
            lead = reports.get(row.lead)
            chosen: MasterCell | None = None
            if lead is not None and read[row.lead].status is not Status.BLANK:
                chosen = _cell_from(lead, read[row.lead], CellStatus.REPORTED)
            else:
                for agency in row.agencies[1:]:
                    sub = reports.get(agency)
                    if sub is not None and _usable_value(sub, read[agency]):
                        chosen = _cell_from(sub, read[agency], CellStatus.CO_AGENCY)
                        break
            if chosen is None:
                chosen = MasterCell(row.key, column.id, CellStatus.MISSING)
            change = changed.get((chosen.agency, *key_col))
            if change is not None:
                old_cell = next(s for s in by_agency[chosen.agency] if s.file == change.old_file).cells.get(
                    key_col
                )
                chosen = MasterCell(
                    **{
                        **chosen.__dict__,
                        "changed": True,
                        "changed_from": old_cell.value if old_cell else None,
                    }
                )
            cells[key_col] = chosen
            numbers = {
                a: read[a].value
                for a, s in reports.items()
                if _usable_value(s, read[a]) and read[a].status is Status.NUMBER
            }
            if len(numbers) > 1 and _differ(list(numbers.values())):
                said = _disagreement(spec, row.label, column, numbers, reports, chosen)
                disagreements.append(Disagreement(row.key, column.id, numbers, said.text()))
                extra_findings.extend(_disagreement_findings(said, numbers, reports, chosen))

    _fill_periods(spec, cells)
    master = Master(cells, [], disagreements, changes, extra_findings)
    _cross_agency(plan, master, current)
    for agency in spec.agencies:
        sub = current.get(agency.slug)
        expected = len(spec.rows_for(agency.slug)) * len(spec.campaign.columns)
        arrived = received_time(sub, arrivals) if sub else None
        master.statuses.append(
            AgencyStatus(
                agency.slug,
                sub is not None,
                sub,
                tuple(s for s in by_agency.get(agency.slug, []) if s is not sub),
                arrived,
                None if arrived is None else arrived.date() < deadline,
                expected,
                sub.answered if sub else 0,
                _errors(sub, master.findings),
                _warnings(sub, master.findings, explained=False),
                _warnings(sub, master.findings, explained=True),
            )
        )
    return master


def _fill_periods(spec: Spec, cells: dict[tuple[str, str], MasterCell]) -> None:
    def lookup(key: str, column: str) -> tuple[float, ValueFlag] | None:
        cell = cells[(key, column)]
        if cell.status in (CellStatus.REPORTED, CellStatus.CO_AGENCY) and cell.value is not None:
            return cell.value, cell.flag
        return None

    def missing(key: str, column: str) -> bool:
        return cells[(key, column)].status is CellStatus.MISSING

    for (key, column), (value, flag, how) in fill_blank_periods(spec, missing, lookup).items():
        cells[(key, column)] = MasterCell(key, column, CellStatus.COMPUTED, value, flag=flag, derivation=how)


def _errors(sub: Submission | None, merged: list[Finding]) -> int:
    """The file's errors and the merge's errors on it (a cross-agency rule)."""
    if sub is None:
        return 0
    return sub.errors + sum(1 for f in merged if f.sha256 == sub.sha256 and f.severity is Severity.ERROR)


def _warnings(sub: Submission | None, merged: list[Finding], explained: bool) -> int:
    """The file's warnings and the merge's warnings on it, explained ones or the others."""
    if sub is None:
        return 0
    own = sub.explained if explained else sub.warnings
    return own + sum(
        1
        for f in merged
        if f.sha256 == sub.sha256 and f.severity is Severity.WARNING and bool(f.justification) == explained
    )


def _disagreement(
    spec: Spec,
    label: str,
    column: Column,
    numbers: dict[str, float | None],
    reports: dict[str, Submission],
    kept: MasterCell,
) -> Message:
    """Both files, both values, and what the master keeps (the "Chênh lệch" sheet and the
    warning on each file say the same)."""
    told = "; ".join(
        part(
            "agency-reported",
            agency_name=spec.agency_by_slug[a].short_name,
            value=v or 0,
            source=reports[a].file,
        )
        for a, v in numbers.items()
    )
    fields: dict[str, object] = {"label": label, "column_name": column_name(column), "told": told}
    if kept.value is not None and kept.status in (CellStatus.REPORTED, CellStatus.CO_AGENCY):
        fields |= {"kept": kept.value, "kept_agency": spec.agency_by_slug[kept.agency].short_name}
        variant = "cell-kept-lead" if kept.status is CellStatus.REPORTED else "cell-kept"
    else:
        variant = "cell-none"
    return Message("agencies-disagree", variant, fields)


def _disagreement_findings(
    said: Message, numbers: dict[str, float | None], reports: dict[str, Submission], kept: MasterCell
) -> list[Finding]:
    """One warning on each agency's file."""
    key, column = kept.key, kept.column
    found = []
    for agency in numbers:
        sub = reports[agency]
        found.append(
            said.finding(
                file=sub.file,
                sha256=sub.sha256,
                agency=agency,
                sheet=sub.sheet,
                cell=sub.cells.address((key, column)),
                row_key=key,
                column=column,
                justification=sub.notes.get(key, ""),
            )
        )
    return found


def _differ(values: list[float | None]) -> bool:
    numbers = [v for v in values if v is not None]
    tolerance = max(half_unit(v) for v in numbers)
    return max(numbers) - min(numbers) > tolerance + 1e-9


def _cross_agency(plan: Plan, master: Master, current: dict[str, Submission]) -> None:
    def lookup(ref: Ref) -> float | None:
        cell = master.cells.get((ref.key, ref.column))
        return cell.value if cell and cell.status in (CellStatus.REPORTED, CellStatus.CO_AGENCY) else None

    for check in plan.master_checks:
        outcome = run_check(check, lookup)
        if outcome is None or outcome.passed:
            continue
        message = check.message(outcome)
        refs = check.operands
        values = {master.cells[(r.key, r.column)].agency: lookup(r) for r in refs}
        master.disagreements.append(Disagreement(refs[0].key, refs[0].column, values, message, check.rule.id))
        sources = {}  # one finding on each file the operands came from, at its own cell
        for ref in refs:
            source = master.cells[(ref.key, ref.column)]
            sources.setdefault(source.source_sha256, (ref, source))
        # where the master's numbers came from, when the check's code says it (`same_value`)
        if "merged" in check.code.variants:
            variant = "merged"
            files = "; ".join(
                part("master-source", value=lookup(ref) or 0, source=source.source_file)
                for ref, source in sources.values()
            )
            fields = check.fields(outcome, variant, sources=files)
        else:
            variant, fields = "", check.fields(outcome)
        for ref, source in sources.values():
            sub = current.get(source.agency)
            own = sub is not None and sub.sha256 == source.source_sha256
            master.findings.append(
                finding(
                    check.code.code,
                    variant,
                    severity=check.severity,
                    file=source.source_file,
                    sha256=source.source_sha256,
                    agency=source.agency,
                    sheet=sub.sheet if own and sub else "",
                    cell=sub.cells.address((ref.key, ref.column)) if own and sub else "",
                    row_key=ref.key,
                    column=ref.column,
                    rule=check.rule.id,
                    justification=source.note if check.severity is Severity.WARNING else "",
                    **fields,
                )
            )
