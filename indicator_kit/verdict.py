"""One verdict per agency, computed once and shown everywhere. Pure: no file I/O.

collect's summary, status (terminal and page), the master's "Tình trạng nộp" sheet and the
reminders all read the same `Verdicts`, so they cannot disagree about a file: a return with
blank cells is "cần sửa" in all four, a file the merge could not use (identity not verified, no
value filled in) makes its agency "đã nộp – cần sửa", not "chưa nộp", and a file replaced by a
later one is "đã được thay bằng <tệp>", not an error.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from enum import StrEnum

from indicator_kit.catalog.spec import Spec
from indicator_kit.collect.model import Submission
from indicator_kit.collect.numbers import Status
from indicator_kit.dates import campaign_date
from indicator_kit.findings import Finding, Severity
from indicator_kit.merge.core import AgencyStatus, Master, received_time
from indicator_kit.merge.periods import office_computes


class State(StrEnum):
    """Where an agency stands, worst first."""

    NOT_RECEIVED = "chưa nộp"
    NEEDS_FIX = "đã nộp – cần sửa"
    WARNINGS = "đã nộp – có cảnh báo"
    ACCEPTED = "đạt"

    @property
    def css(self) -> str:
        return {
            State.NOT_RECEIVED: "chua-nop",
            State.NEEDS_FIX: "can-sua",
            State.WARNINGS: "canh-bao",
            State.ACCEPTED: "dat",
        }[self]


class Timing(StrEnum):
    NOT_DUE = "chưa đến hạn"
    OVERDUE = "quá hạn"
    ON_TIME = "đúng hạn"
    LATE = "muộn"


class FileRole(StrEnum):
    """What became of one file of the run."""

    CURRENT = "đang dùng"  # the agency's values come from it
    SUPERSEDED = "đã được thay"  # a later file of the same agency replaced it
    DUPLICATE = "trùng"  # the same bytes as another file; counted once
    UNUSABLE = "không dùng được"  # identified, but its values cannot be merged
    UNREADABLE = "không đọc được"  # nothing could be read
    UNIDENTIFIED = "không rõ đơn vị"  # read, but not attributed to any agency of the campaign
    MAIL = "thư đã mở"  # an e-mail: its workbooks are files of their own, listed after it
    ZIP = "tệp nén đã mở"  # a zip dropped in the inbox: likewise


@dataclass(frozen=True)
class FileVerdict:
    file: str
    sha256: str
    agency: str  # "" when not attributed
    role: FileRole
    state: State  # for the current file, the agency's state; NEEDS_FIX for a file that cannot be used
    answered: int
    expected: int
    errors: int
    warnings: int
    replaced_by: str = ""  # the later (or first identical) file, for SUPERSEDED and DUPLICATE
    reason: str = ""  # why it cannot be used, for UNUSABLE, UNREADABLE and UNIDENTIFIED
    explained: int = 0  # warnings the agency explained in "Ghi chú" (not in `warnings`)

    @property
    def tag(self) -> str:
        """The bracketed word collect prints before the file."""
        if self.role is FileRole.SUPERSEDED:
            return "[ĐÃ THAY]"
        if self.role is FileRole.DUPLICATE:
            return "[TRÙNG]"
        if self.role is FileRole.UNREADABLE:
            return "[KHÔNG ĐỌC]"
        if self.role is FileRole.MAIL:
            return "[THƯ]"
        if self.role is FileRole.ZIP:
            return "[TỆP NÉN]"
        return {
            State.NEEDS_FIX: "[CẦN SỬA]",
            State.WARNINGS: "[CẢNH BÁO]",
            State.ACCEPTED: "[ĐẠT]",
            State.NOT_RECEIVED: "[?]",
        }[self.state]

    @property
    def note(self) -> str:
        """One clause on what became of the file, for lists people read."""
        if self.role is FileRole.SUPERSEDED:
            return f"đã được thay bằng {self.replaced_by}"
        if self.role is FileRole.DUPLICATE:
            return f"trùng nội dung với {self.replaced_by}, chỉ tính một lần"
        if self.reason:
            return self.reason
        explained = f" (và {self.explained} cảnh báo đã giải trình)" if self.explained else ""
        return (
            f"{self.answered}/{self.expected} ô có số liệu, {self.errors} lỗi, {self.warnings} cảnh báo"
            + explained
        )


@dataclass(frozen=True)
class MissingColumn:
    title: str  # as printed: "Năm 2021", "Giai đoạn 2019–2023 – Hải Phòng"
    cells: int


@dataclass(frozen=True)
class AgencyVerdict:
    agency: str
    name: str
    state: State
    timing: Timing
    received_at: datetime | None  # arrival of the file the state is judged on
    current: Submission | None  # the file whose values are in the master
    files: tuple[FileVerdict, ...]  # every file of this agency in the run, in arrival order
    expected: int  # the cells the agency had to type (period cells left to the office not counted)
    answered: int
    errors: int
    warnings: int
    missing: tuple[MissingColumn, ...]  # blank cells of the current file, by column
    explained: int = 0  # warnings the agency explained in the row's "Ghi chú" (not in `warnings`)
    # the merge's findings on the current file (agencies disagreeing, cross-agency rules): in
    # `errors`, `warnings` and `explained` like the file's own, on its feedback and correction letter
    merged: tuple[Finding, ...] = ()

    @property
    def superseded(self) -> tuple[FileVerdict, ...]:
        return tuple(f for f in self.files if f.role is FileRole.SUPERSEDED)

    @property
    def unusable(self) -> tuple[FileVerdict, ...]:
        """Files sent that could not be used (newest last)."""
        return tuple(f for f in self.files if f.role in (FileRole.UNUSABLE, FileRole.UNREADABLE))

    @property
    def accepted_file(self) -> str:
        return self.current.file if self.current else ""

    @property
    def sender_note(self) -> str:
        """The e-mail's sender against the agency's address in agencies.yaml (corroboration)."""
        matches = self.current.sender_matches if self.current else None
        return {True: "thư từ địa chỉ của đơn vị", False: "thư từ địa chỉ khác", None: ""}[matches]

    @property
    def received(self) -> bool:
        return self.state is not State.NOT_RECEIVED

    @property
    def blank_cells(self) -> int:
        return sum(m.cells for m in self.missing)

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why the agency is not done, in a few words each (status, master sheet)."""
        found = []
        if self.current is None:
            found += [f"tệp {f.file}: {f.reason}" for f in self.unusable[-1:]]
        if self.errors:
            found.append(f"{self.errors} lỗi")
        if self.blank_cells:
            found.append(f"{self.blank_cells} ô chưa có số liệu")
        if self.warnings and not found:
            found.append(f"{self.warnings} cảnh báo")
        return tuple(found)

    @property
    def action(self) -> str:
        """The next step, for the officer."""
        return {
            State.NOT_RECEIVED: "nhắc nộp",
            State.NEEDS_FIX: "đề nghị sửa" if self.current else "đề nghị gửi lại",
            State.WARNINGS: "xem lại cảnh báo",
            State.ACCEPTED: "—",
        }[self.state]


@dataclass(frozen=True)
class LaterArrival:
    """A file left out because it arrived after the as-of date."""

    file: str
    arrived: datetime


@dataclass(frozen=True)
class Verdicts:
    as_of: date
    deadline: date
    deadline_text: str
    agencies: tuple[AgencyVerdict, ...]
    files: tuple[FileVerdict, ...]  # every file of the run, in the run's order
    later: tuple[LaterArrival, ...] = ()

    def agency(self, slug: str) -> AgencyVerdict:
        return next(a for a in self.agencies if a.agency == slug)

    def count(self, state: State) -> int:
        return sum(1 for a in self.agencies if a.state is state)

    @property
    def set_aside(self) -> frozenset[str]:
        """The files that no longer count: replaced by a later file of their agency, or copies of
        a file counted already."""
        return frozenset(f.file for f in self.files if f.role in (FileRole.SUPERSEDED, FileRole.DUPLICATE))

    def still_open(self, findings: Iterable[Finding]) -> list[Finding]:
        """The findings somebody still acts on: not those of a file set aside (findings.json and
        findings.csv keep them all)."""
        aside = self.set_aside
        return [f for f in findings if f.file not in aside]

    @property
    def all_done(self) -> bool:
        """Nothing is left for an agency to do (warnings are for the officer to look at)."""
        return all(a.state in (State.ACCEPTED, State.WARNINGS) for a in self.agencies)

    @property
    def days_left(self) -> int:
        return (self.deadline - self.as_of).days

    @property
    def deadline_sentence(self) -> str:
        """The deadline, said once, in the campaign's own words and date style."""
        today = f"Ngày {campaign_date(self.as_of)}"
        days = self.days_left
        if days > 0:
            return f"{today}: còn {days} ngày đến hạn nộp ({self.deadline_text})."
        if days == 0:
            return f"{today}: hôm nay đã hết hạn nộp ({self.deadline_text})."
        return f"{today}: đã quá hạn nộp {-days} ngày ({self.deadline_text})."


def end_of(day: date) -> datetime:
    return datetime.combine(day, time.max, tzinfo=UTC)


def arrived_by(
    submissions: list[Submission], arrivals: dict[str, datetime] | None, as_of: date
) -> tuple[list[Submission], list[LaterArrival]]:
    """The files that had arrived by the end of `as_of`, and those that came later."""
    kept, later = [], []
    limit = end_of(as_of)
    for sub in submissions:
        arrived = received_time(sub, arrivals)
        if arrived > limit:
            later.append(LaterArrival(sub.file, arrived))
        else:
            kept.append(sub)
    return kept, later


def _first_error(sub: Submission) -> str:
    return next((f.message for f in sub.findings if f.severity is Severity.ERROR), "")


def _required(spec: Spec, sub: Submission, expected: int) -> int:
    """Of the `expected` cells, those the agency had to type: the period cells it left for the
    office to compute are not missing."""
    return expected - _left_to_the_office(spec, sub)


def _left_to_the_office(spec: Spec, sub: Submission) -> int:
    """The period cells the agency left blank for the office to compute."""
    answered = (Status.NUMBER, Status.NO_DATA)
    computed = office_computes(spec, sub.agency or "")
    return sum(1 for k in computed if (c := sub.cells.get(k)) is None or c.status not in answered)


def blank_cells(spec: Spec, sub: Submission) -> dict[str, list[str]]:
    """The cells the agency left blank and must fill (a period cell the office computes may stay
    blank; a cell holding what is not a number is an error of its own, not a blank):
    column id → row keys, in the campaign's and the catalog's order."""
    blank: dict[str, list[str]] = {}
    computed = office_computes(spec, sub.agency or "")
    rows = spec.rows_for(sub.agency or "")
    for column in spec.campaign.columns:
        for row in rows:
            if (row.key, column.id) in computed:
                continue
            cell = sub.cells.get((row.key, column.id))
            if cell is None or cell.status is Status.BLANK:
                blank.setdefault(column.id, []).append(row.key)
    return blank


def _missing(spec: Spec, sub: Submission) -> tuple[MissingColumn, ...]:
    blank = blank_cells(spec, sub)
    return tuple(MissingColumn(c.title, len(blank[c.id])) for c in spec.campaign.columns if c.id in blank)


def _file_verdicts(
    spec: Spec,
    submissions: Iterable[Submission],
    statuses: dict[str, AgencyStatus],
    merged: dict[str, tuple[Finding, ...]],
) -> list[FileVerdict]:
    current = {s.current.file: s for s in statuses.values() if s.current}
    replaced = {o.file: s.current.file for s in statuses.values() if s.current for o in s.older}
    counted = [s.current for s in statuses.values() if s.current] + [
        o for s in statuses.values() for o in s.older
    ]
    first_copy = {sub.sha256: sub.file for sub in counted}  # the copy merge counted
    verdicts = []
    for sub in submissions:
        agency = sub.agency if sub.agency in spec.agency_by_slug else ""
        expected = len(spec.rows_for(agency)) * len(spec.campaign.columns) if agency else 0
        count = _counts(sub, merged.get(sub.sha256, ()))
        counts = (sub.answered, expected, count.errors, count.warnings)
        role, replaced_by, reason = FileRole.UNUSABLE, "", ""
        if sub.opened:
            role = FileRole.ZIP if sub.kind == "zip" else FileRole.MAIL
            others = f"; {len(sub.findings)} ghi nhận khi mở (xem danh sách lỗi)" if sub.findings else ""
            reason = f"{len(sub.opened)} biểu bên trong{others}"
        elif sub.refused:
            first = sub.findings[0].message if sub.findings else "không đọc được tệp"  # e.g. not a workbook
            role, reason = FileRole.UNREADABLE, _first_error(sub) or first
        elif not agency:
            role, reason = FileRole.UNIDENTIFIED, _first_error(sub) or "không xác định được đơn vị"
        elif sub.file in current:
            role = FileRole.CURRENT
        elif sub.file in replaced:
            role, replaced_by = FileRole.SUPERSEDED, replaced[sub.file]
        elif first_copy.get(sub.sha256, sub.file) != sub.file:
            role, replaced_by = FileRole.DUPLICATE, first_copy[sub.sha256]
        elif not sub.verified:
            reason = "mã nhận dạng không xác thực được nên số liệu chưa được dùng"
        elif sub.answered == 0:
            reason = "chưa có số liệu nào"
        else:
            reason = _first_error(sub) or "số liệu chưa được dùng"
        if sub.sha256 and role is not FileRole.UNREADABLE:
            first_copy.setdefault(sub.sha256, sub.file)
        state = State.NEEDS_FIX
        if role is FileRole.CURRENT:
            state = _state_of(sub, count, _required(spec, sub, expected))
        verdicts.append(
            FileVerdict(
                sub.file, sub.sha256, agency, role, state, *counts, replaced_by, reason, count.explained
            )
        )
    return verdicts


@dataclass(frozen=True)
class _Counts:
    errors: int
    warnings: int  # still to look at
    explained: int


def _counts(sub: Submission, merged: Iterable[Finding]) -> _Counts:
    """The file's findings and the merge's on it (a disagreement with another agency is a
    warning of both files), counted alike."""
    merged = tuple(merged)
    return _Counts(
        sub.errors + sum(1 for f in merged if f.severity is Severity.ERROR),
        sub.warnings + sum(1 for f in merged if f.severity is Severity.WARNING and not f.justification),
        sub.explained + sum(1 for f in merged if f.explained),
    )


def _state_of(sub: Submission, count: _Counts, required: int) -> State:
    if count.errors or sub.answered < required:  # an error, or a cell it had to type left blank
        return State.NEEDS_FIX
    return State.WARNINGS if count.warnings else State.ACCEPTED


def judge(
    spec: Spec,
    master: Master,
    submissions: Iterable[Submission],
    as_of: date,
    arrivals: dict[str, datetime] | None = None,
    later: Iterable[LaterArrival] = (),
) -> Verdicts:
    """Every agency's state from the merged master and the run's files (those `merge` was given:
    the ones arrived by `as_of`). `arrivals` is the ledger's first arrival per sha256."""
    statuses = {s.agency: s for s in master.statuses}
    merged: dict[str, tuple[Finding, ...]] = {}
    for f in master.findings:
        if f.sha256:
            merged[f.sha256] = (*merged.get(f.sha256, ()), f)
    files = _file_verdicts(spec, submissions, statuses, merged)
    subs_by_file = {s.file: s for s in submissions}
    by_agency: dict[str, list[FileVerdict]] = {}
    for f in files:
        by_agency.setdefault(f.agency, []).append(f)
    agencies = []
    for agency in spec.agencies:
        status = statuses.get(agency.slug)
        mine = sorted(
            by_agency.get(agency.slug, []),
            key=lambda f: (received_time(subs_by_file[f.file], arrivals), f.file),
        )
        current = status.current if status else None
        expected = len(spec.rows_for(agency.slug)) * len(spec.campaign.columns)
        unusable = [f for f in mine if f.role in (FileRole.UNUSABLE, FileRole.UNREADABLE)]
        received_at: datetime | None = None
        on_current = merged.get(current.sha256, ()) if current is not None else ()
        count = _counts(current, on_current) if current is not None else _Counts(0, 0, 0)
        if current is not None:
            expected = _required(spec, current, expected)  # shown too: what the agency had to type
            state = _state_of(current, count, expected)
            received_at = status.received_at if status else None
        elif unusable:
            state = State.NEEDS_FIX
            received_at = received_time(subs_by_file[unusable[-1].file], arrivals)
        else:
            state = State.NOT_RECEIVED
        if received_at is not None:
            timing = Timing.ON_TIME if received_at.date() < spec.campaign.deadline else Timing.LATE
        else:
            timing = Timing.OVERDUE if as_of >= spec.campaign.deadline else Timing.NOT_DUE
        agencies.append(
            AgencyVerdict(
                agency.slug,
                agency.short_name,
                state,
                timing,
                received_at,
                current,
                tuple(mine),
                expected,
                current.answered if current else 0,
                count.errors,
                count.warnings,
                _missing(spec, current) if current else (),
                count.explained,
                on_current,
            )
        )
    return Verdicts(
        as_of,
        spec.campaign.deadline,
        spec.campaign.deadline_text,
        tuple(agencies),
        tuple(files),
        tuple(later),
    )
