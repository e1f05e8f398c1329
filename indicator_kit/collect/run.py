"""Collect a folder of returned files: one `Submission` per file, whatever the file holds."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from indicator_kit import secret
from indicator_kit.catalog.model import Agency
from indicator_kit.collect.envelope import Envelope, Wrapper, open_wrapped, wrapper_of
from indicator_kit.collect.extract import extract
from indicator_kit.collect.identify import find_main_sheet, identify
from indicator_kit.collect.inbox import InboxEntry, display_name, inbox_entries, read_once
from indicator_kit.collect.limits import DEFAULT_LIMITS, Arrival, Limits, too_large
from indicator_kit.collect.model import EMPTY_TABLE, Submission
from indicator_kit.collect.plausibility import judge
from indicator_kit.collect.reader import Kind, ReadError, Sniffed, read_workbook, sniff
from indicator_kit.collect.recall import Recalled, verdicts_for
from indicator_kit.collect.twins import as_twin, find_twins
from indicator_kit.collect.validate import validate
from indicator_kit.collect.workers import run_isolated
from indicator_kit.errors import IndicatorKitError
from indicator_kit.findings import IDENTITY_SOURCES, Severity, file_kind_name, finding, justify, part
from indicator_kit.ledger import discard, stage
from indicator_kit.plan import Plan
from indicator_kit.template.layout import MAIN_SHEET


def collect_entry(
    path: Path, inbox: Path, plan: Plan, limits: Limits = DEFAULT_LIMITS, archive: Path | None = None
) -> list[Submission]:
    """An inbox file's verdicts: one for a workbook; for an e-mail or a zip, one for the file as
    received followed by one for each workbook found inside, judged as if dropped alone. Never
    raises for anything the file contains or for the file vanishing. The file is read once: the
    same bytes are hashed, judged and (with `archive`) archived — the workbooks taken out of an
    e-mail or zip too, so no bytes travel back to the parent."""
    relative = display_name(path, inbox)
    read = read_once(path, relative, limits)
    if isinstance(read, Submission):
        return [read]
    data, mtime = read
    sub = Submission(relative, hashlib.sha256(data).hexdigest(), len(data), mtime)
    sniffed = sniff(data)
    wrapper = wrapper_of(data, sniffed.detail) if sniffed.kind is Kind.OTHER else None
    if wrapper is not None:
        subs = _open_received(sub, data, wrapper, plan, limits)
    else:
        _judge(sub, data, sniffed, plan, limits)
        subs = [sub]
    if archive is not None:
        for each in subs:
            if each.sha256:
                judged = data if each is sub else each.extracted
                assert judged is not None  # every part carries the bytes it was judged from
                each.archive = stage(archive, each.sha256, each.file, judged, each.mtime)
                each.extracted = None
    return subs


def collect_file(
    path: Path, inbox: Path, plan: Plan, limits: Limits = DEFAULT_LIMITS, archive: Path | None = None
) -> Submission:
    """The verdict on the file itself (for an e-mail or zip, on the file as received)."""
    return collect_entry(path, inbox, plan, limits, archive)[0]


def skipped_entry(entry: InboxEntry, inbox: Path) -> Submission:
    relative = display_name(entry.path, inbox)
    sub = Submission(relative, "", 0, 0.0, refused=True)
    assert entry.skipped is not None
    sub.findings.append(entry.skipped.finding(file=relative))
    return sub


_WORKBOOK_KINDS = {Kind.XLSX, Kind.XLSM, Kind.XLS, Kind.ODS, Kind.ENCRYPTED, Kind.CORRUPT}
_WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")


def carries_workbook(message: bytes, limits: Limits = DEFAULT_LIMITS) -> bool:
    """Whether an e-mail holds something collect would judge as a workbook, or could not be
    opened cleanly (then collect must see it, to say so)."""
    opened = open_wrapped(message, Wrapper.EML, limits)
    return bool(opened.problems) or any(
        sniff(found.data).kind in _WORKBOOK_KINDS or found.name.lower().endswith(_WORKBOOK_SUFFIXES)
        for found in opened.found
    )


def _open_received(
    sub: Submission, data: bytes, wrapper: Wrapper, plan: Plan, limits: Limits
) -> list[Submission]:
    """An e-mail or zip: every file inside listed; each workbook judged on its own, located as
    "thư <tệp> › tệp đính kèm <tên>"; the rest are findings of the received file."""
    sub.kind = wrapper.value
    where = {"file": sub.file, "sha256": sub.sha256}
    opened = open_wrapped(data, wrapper, limits)
    sub.envelope = Envelope(sub.file, sub.sha256, wrapper, (), opened.mail)
    sub.findings.extend(problem.finding(**where) for problem in opened.problems)
    parts = []
    for found in opened.found:
        sniffed = sniff(found.data)
        place = " › ".join(found.trail)
        if not (
            sniffed.kind in _WORKBOOK_KINDS
            or (sniffed.kind is Kind.EMPTY and found.name.lower().endswith(_WORKBOOK_SUFFIXES))
        ):
            if sniffed.kind is Kind.EMPTY:
                sub.findings.append(finding("attachment-not-workbook", "empty", place=place, **where))
            else:
                kind_name = file_kind_name(sniffed.detail)
                sub.findings.append(
                    finding("attachment-not-workbook", place=place, kind_name=kind_name, **where)
                )
            continue
        envelope = Envelope(sub.file, sub.sha256, wrapper, found.trail, found.mail, found.name)
        arrived = sub.mtime
        if limits.arrival is Arrival.MAIL_DATE and found.mail is not None and found.mail.date is not None:
            arrived = found.mail.date.timestamp()
        part = Submission(
            envelope.location,
            hashlib.sha256(found.data).hexdigest(),
            len(found.data),
            arrived,
            envelope=envelope,
            extracted=found.data,
        )
        _judge(part, found.data, sniffed, plan, limits)
        parts.append(part)
    if not parts:
        sub.refused = True
        if wrapper is Wrapper.ZIP:
            sub.findings.append(finding("mail-no-workbook", "zip", **where))
        else:
            sub.findings.append(finding("mail-no-workbook", "mail", **where))
    sub.opened = tuple(p.file for p in parts)
    return [sub, *parts]


def _judge(sub: Submission, data: bytes, sniffed: Sniffed, plan: Plan, limits: Limits) -> None:
    """One workbook's verdict on `sub`; never raises for anything the file contains."""
    relative = sub.file
    try:
        _collect(sub, data, sniffed, plan, limits)
    except ReadError as exc:  # found late, e.g. when a sheet is read on demand
        sub.refused, sub.cells, sub.notes = True, EMPTY_TABLE, {}
        sub.findings.append(exc.message.finding(file=relative, sha256=sub.sha256, agency=sub.agency or ""))
    except MemoryError:
        sub.refused, sub.cells, sub.notes = True, EMPTY_TABLE, {}
        sub.findings.append(finding("file-too-large", "memory", file=relative, sha256=sub.sha256))
    except Exception as exc:
        sub.refused = True
        sub.findings.append(
            finding(
                "file-unreadable",
                "unexpected",
                file=relative,
                sha256=sub.sha256,
                agency=sub.agency or "",
                error=type(exc).__name__,
            )
        )


def _collect(sub: Submission, data: bytes, sniffed: Sniffed, plan: Plan, limits: Limits) -> None:
    spec = plan.spec
    where = {"file": sub.file, "sha256": sub.sha256}
    sub.kind = sniffed.kind.value
    if sniffed.kind is Kind.EMPTY:
        sub.refused = True
        sub.findings.append(finding("file-empty", **where))
        return
    if sniffed.kind is Kind.OTHER:
        sub.refused = True
        sub.findings.append(finding("not-a-workbook", kind_name=file_kind_name(sniffed.detail), **where))
        return
    if sniffed.kind is Kind.ENCRYPTED:
        sub.refused = True
        sub.findings.append(finding("file-encrypted", **where))
        return
    oversize = too_large(data, sniffed.members, limits)
    if oversize is not None:
        sub.refused = True
        sub.findings.append(oversize.finding(**where))
        return
    if sniffed.kind is Kind.CORRUPT:
        sub.refused = True
        sub.findings.append(finding("file-unreadable", "corrupt", **where))
        return
    try:
        raw = read_workbook(data, sniffed.kind, limits.max_cells, sniffed.package)
    except ReadError as exc:
        sub.refused = True
        sub.findings.append(exc.message.finding(**where))
        return
    sub.saved_at = raw.saved_at
    sheet, renamed = find_main_sheet(raw, spec)
    ident = identify(raw, sheet, spec)
    if len(set(ident.claims.values())) > 1:
        claims = "; ".join(
            part("identity-claim", source=IDENTITY_SOURCES[source], agency=agency)
            for source, agency in ident.claims.items()
        )
        sub.findings.append(finding("identity-conflict", claims=claims, **where))
    if ident.agency is None:
        sub.refused = True
        sub.findings.append(finding("identity-unknown", **where))
        return
    if ident.agency not in spec.agency_by_slug:
        sub.refused = True
        sub.findings.append(finding("unknown-agency", slug=ident.agency, **where))
        return
    sub.agency, sub.identity, sub.identified_by = ident.agency, ident.identity, ident.method
    where["agency"] = ident.agency
    agency_name = spec.agency_by_slug[ident.agency].short_name
    if ident.identity is not None and ident.identity.campaign_id != spec.campaign.id:
        sub.refused = True
        sub.findings.append(
            finding("other-campaign", campaign=ident.identity.campaign_id, expected=spec.campaign.id, **where)
        )
        return
    if ident.identity is not None and ident.identity.spec_hash != spec.spec_hash:
        sub.findings.append(
            finding(
                "spec-version-mismatch", version=ident.identity.spec_hash, current=spec.spec_hash, **where
            )
        )
    if sub.envelope is not None and sub.envelope.mail is not None and sub.envelope.mail.sender:
        _compare_sender(sub, sub.envelope.mail.sender, spec.agency_by_slug[ident.agency], where)
    if ident.identity is not None and ident.identity.verifies():
        sub.verified = True
    elif limits.accept(sub.file, sub.sha256) or (
        sub.envelope is not None and limits.accept(sub.envelope.name, sub.sha256)
    ):
        sub.verified = True
        sub.findings.append(finding("identity-accepted", **where))
    else:
        sub.findings.append(finding("identity-unverified", **where))
    if ident.method != "embedded":
        by_title = ident.method == "title"  # else by the rows' labels
        sub.findings.append(
            finding("identity-fallback", "title" if by_title else "labels", agency_name=agency_name, **where)
        )
    if sheet is None:
        sub.refused = True
        sub.findings.append(finding("sheet-missing", sheet_name=MAIN_SHEET, **where))
        return
    sub.sheet = sheet.name
    if renamed:
        sub.findings.append(
            finding("sheet-renamed", sheet=sheet.name, expected=MAIN_SHEET, sheet_name=sheet.name, **where)
        )
    agency = plan.agency(ident.agency)
    try:
        formulas, percents = raw.formula_state(sheet.name), raw.percent_format(sheet.name)
        result = extract(sheet, agency.layout, spec.key_set, formulas, where, percents)
    except ReadError as exc:
        sub.refused = True
        sub.findings.append(exc.message.finding(**where))
        return
    sub.cells, sub.notes = result.cells, result.notes
    sub.findings.extend(result.findings)
    laid = agency.positions_for(sub.cells.shape)
    sub.findings.extend(validate(agency.checks, laid, sub.cells, where, sheet.name))
    in_error = {(f.row_key, f.column) for f in sub.findings if f.severity is Severity.ERROR and f.column}
    rows = tuple(r.key for r in spec.rows_for(ident.agency))
    sub.findings.extend(judge(spec, rows, sub.cells, where, sheet.name, in_error))
    sub.findings = justify(sub.findings, sub.notes)


def _compare_sender(sub: Submission, sender: str, agency: Agency, where: dict[str, str]) -> None:
    """The e-mail's sender corroborates the workbook's own identity or is noted; it never
    replaces it (returns are often forwarded by a colleague or from a personal address)."""
    known = {a.lower() for a in re.split(r"[,;\s]+", agency.email) if "@" in a}
    if not known:
        return  # no address in agencies.yaml: nothing to compare with
    sub.sender_matches = sender in known
    if not sub.sender_matches:
        sub.findings.append(
            finding(
                "mail-sender-other",
                sender=sender,
                agency_name=agency.short_name,
                addresses=", ".join(sorted(known)),
                **where,
            )
        )


def collect_inbox(
    inbox: Path,
    plan: Plan,
    workers: int | None = None,
    limits: Limits = DEFAULT_LIMITS,
    isolate: bool = True,
    archive: Path | None = None,
    done: Callable[[Submission], None] | None = None,
    recalled: Recalled | None = None,
) -> list[Submission]:
    """One Submission per inbox entry, in file order. Each file is read in a worker process that
    is stopped if it runs over the time limit or dies of the memory bound, so no file can hang or
    crash the run; large inboxes use every core. With `archive`, the worker that judged a file
    stages its bytes there (`ledger.stage`; `ledger.publish` renames them into place). `done`
    sees each file's result as it comes. A file that is a byte-for-byte copy of an earlier one
    gets that file's verdict under its own name (`twins`), without being read again; so does a
    file whose bytes an earlier run judged, when `recalled` holds its verdict (`recall`)."""
    entries = inbox_entries(inbox)
    paths = [entry.path for entry in entries if not entry.skipped]

    def judge_all(some: list[Path]) -> dict[Path, list[Submission]]:
        if not some:  # (no worker is started for nothing)
            return {}
        if isolate:
            cores = workers or os.cpu_count() or 1
            judged = run_isolated(collect_entry, some, inbox, plan, limits, cores, done, archive)
            return dict(zip(some, judged, strict=True))
        found = {}
        for path in some:
            found[path] = collect_entry(path, inbox, plan, limits, archive)
            if done is not None:
                done(max(found[path], key=lambda sub: sub.errors))
        return found

    by_path = verdicts_for(paths, inbox, recalled, limits, archive, done) if recalled else {}
    try:
        paths = [path for path in paths if path not in by_path]  # (the ones no earlier run judged)
        twins = find_twins(paths, inbox, limits)  # copies of an earlier file: its verdict, under their name
        by_path.update(judge_all([path for path in paths if path not in twins]))
        alone = []  # copies that must be read all the same (see as_twin)
        for path, twin in twins.items():
            derived = as_twin(by_path[twin.first], twin, path, inbox, limits)
            if derived is None:
                alone.append(path)
                continue
            by_path[path] = [derived]
            if done is not None:
                done(derived)
        by_path.update(judge_all(alone))
    except BaseException:
        discard([sub for subs in by_path.values() for sub in subs])  # what was staged here
        raise
    return [
        sub
        for entry in entries
        for sub in ([skipped_entry(entry, inbox)] if entry.skipped else by_path[entry.path])
    ]


class EmptyInboxError(IndicatorKitError):
    """The inbox holds no workbook with a value in it: a wrong folder, or nothing returned yet.
    Refused before anything is written, so a good master is never replaced by an empty one."""


_SPREADSHEET_KINDS = {k.value for k in (Kind.XLSX, Kind.XLSM, Kind.XLS, Kind.ODS)}


def require_values(inbox: Path, submissions: list[Submission]) -> None:
    """Raise `EmptyInboxError`, saying what the inbox held, unless some file has a value."""
    if any(sub.answered for sub in submissions if not sub.refused):
        return
    if not submissions:
        seen = "thư mục trống (không có tệp nào)"
    else:
        blank = sum(1 for s in submissions if not s.refused and s.kind in _SPREADSHEET_KINDS)
        other = sum(1 for s in submissions if s.refused and s.kind == Kind.OTHER.value)
        mail = sum(1 for s in submissions if s.kind in {w.value for w in Wrapper} and not s.opened)
        opened = sum(1 for s in submissions if s.opened)
        unreadable = len(submissions) - blank - other - mail - opened
        parts = [
            f"{n} {what}"
            for n, what in (
                (blank, "bảng tính chưa có số liệu nào (biểu mẫu trống?)"),
                (other, "tệp không phải bảng tính"),
                (mail, "thư hoặc tệp nén không có biểu đính kèm"),
                (unreadable, "tệp không đọc được"),
            )
            if n
        ]
        more = len(submissions) - 5
        names = ", ".join(s.file for s in submissions[:5]) + (f" và {more} tệp khác" if more > 0 else "")
        seen = f"{len(submissions)} tệp — {'; '.join(parts)}: {names}"
    raise EmptyInboxError(
        f"Thư mục nhận {inbox} không có biểu số liệu nào đã điền: {seen}. "
        "Chưa ghi gì, bảng tổng hợp cũ được giữ nguyên. Hãy kiểm tra đã chọn đúng thư mục chứa "
        "các tệp Excel đơn vị gửi về chưa."
    )


def check_signers(submissions: list[Submission], limits: Limits, key_file: Path | None = None) -> None:
    """Stop (ForeignKeyError) when returns carry the fingerprint of another office key than the
    running command's: the workspace or key is the wrong one, and judging identities with it would
    call every honest return unverified. Files the officer accepted by name are not counted."""
    ours = secret.key_id()
    foreign: dict[str, list[str]] = {}
    for sub in submissions:
        identity = sub.identity
        if identity is None or not identity.key_id or identity.key_id == ours:
            continue
        if limits.accept(sub.file, sub.sha256):
            continue
        foreign.setdefault(identity.key_id, []).append(sub.file)
    if not foreign:
        return
    files = [f for names in foreign.values() for f in names]
    shown = ", ".join(files[:5]) + (f" và {len(files) - 5} tệp khác" if len(files) > 5 else "")
    where = f", tệp {key_file}" if key_file else ""
    raise secret.ForeignKeyError(
        f"{len(files)} biểu nộp về được ký bằng khóa khác (mã khóa {', '.join(sorted(foreign))}) với khóa "
        f"của thư mục làm việc này (mã khóa {ours}{where}): {shown}. Biểu mẫu của các đơn vị được tạo "
        "bằng một khóa khác, nên lệnh dừng trước khi xét mã nhận dạng và không ghi gì. "
        f"{secret.WAY_OUT} Nếu chỉ là tệp lạ đã được kiểm tra, chấp nhận bằng --accept <tệp>."
    )


def collect_archived(
    copies: list[tuple[Path, str, float]],
    plan: Plan,
    limits: Limits = DEFAULT_LIMITS,
    recalled: Recalled | None = None,
) -> list[Submission]:
    """Read archived copies (path, the name the file arrived under, its arrival as a timestamp)
    as the files they were, isolated like inbox files, each with a `kept-from-archive` note; a
    copy whose verdict `recalled` holds (judged while it was in the inbox) is not read again."""
    if not copies:
        return []
    paths, folder = [path for path, _, _ in copies], copies[0][0].parent
    found = verdicts_for(paths, folder, recalled, limits, None) if recalled else {}
    rest = [path for path in paths if path not in found]
    if rest:
        found.update(zip(rest, run_isolated(collect_entry, rest, folder, plan, limits, 1), strict=True))
    read = [found[path][0] for path in paths]  # the file itself (an e-mail's workbooks have their own)
    for sub, (path, name, arrived) in zip(read, copies, strict=True):
        sub.file, sub.mtime = name, arrived
        sub.findings[:] = [replace(f, file=name) for f in sub.findings]
        sub.findings.append(
            finding(
                "kept-from-archive",
                file=name,
                sha256=sub.sha256,
                agency=sub.agency or "",
                name=name,
                copy=path.name,
            )
        )
    return read
