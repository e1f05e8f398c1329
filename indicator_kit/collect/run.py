"""Collect a folder of returned files: one `Submission` per file, whatever the file holds."""

from __future__ import annotations

import hashlib
import os
import stat
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from indicator_kit.collect.extract import extract
from indicator_kit.collect.identify import find_main_sheet, identify
from indicator_kit.collect.limits import DEFAULT_LIMITS, Limits, too_large
from indicator_kit.collect.model import EMPTY_TABLE, Submission
from indicator_kit.collect.reader import KIND_NAMES, Kind, ReadError, read_workbook, sniff
from indicator_kit.collect.validate import validate
from indicator_kit.collect.workers import run_isolated
from indicator_kit.errors import IndicatorKitError
from indicator_kit.findings import finding
from indicator_kit.ledger import stage
from indicator_kit.plan import Plan
from indicator_kit.template.layout import MAIN_SHEET


@dataclass(frozen=True)
class InboxEntry:
    path: Path
    skipped: str = ""  # why it is not read (Vietnamese), for an entry that is not a regular file


def inbox_entries(inbox: Path) -> list[InboxEntry]:
    """Every entry under the inbox, in a stable order. Office lock files and hidden entries are
    left out (they are not returns); anything else that is not a regular file — a FIFO, a socket,
    a link that leads outside the inbox — is listed with the reason it is not read. A link to a
    regular file inside the inbox is read like the file."""
    found: list[InboxEntry] = []
    root = inbox.resolve()
    pending = [inbox]
    while pending:
        folder = pending.pop()
        with os.scandir(folder) as listing:
            for item in listing:
                if item.name.startswith((".", "~$")):
                    continue
                path = Path(item.path)
                if item.is_dir(follow_symlinks=False):
                    pending.append(path)
                elif item.is_file(follow_symlinks=False):
                    found.append(InboxEntry(path))
                else:
                    found.append(InboxEntry(path, _not_a_file(path, root)))
    return sorted(found, key=lambda entry: entry.path)


def _not_a_file(path: Path, root: Path) -> str:
    """ "" for a link to a regular file inside the inbox (read it); else why the entry is skipped."""
    try:
        mode = path.lstat().st_mode
    except OSError:
        return "Mục này không còn trong hộp thư."
    if stat.S_ISLNK(mode):
        target = path.resolve()
        if not target.exists():
            return f"Liên kết (symlink) trỏ tới {target}, nơi không còn tệp nào; không đọc."
        if not target.is_relative_to(root):
            return f"Liên kết (symlink) trỏ ra ngoài hộp thư ({target}); không đọc."
        if target.is_dir():
            return "Liên kết (symlink) tới một thư mục; không đọc (thư mục thật trong hộp thư được đọc)."
        if not target.is_file():
            return f"Liên kết (symlink) tới {target}, không phải một tệp thường; không đọc."
        return ""
    kinds = {stat.S_ISFIFO: "một đường ống (FIFO)", stat.S_ISSOCK: "một socket"}
    kind = next((name for test, name in kinds.items() if test(mode)), "một thiết bị hoặc mục đặc biệt")
    return f"Đây là {kind}, không phải tệp; không đọc."


def inbox_files(inbox: Path) -> Iterator[Path]:
    """The paths `collect_inbox` reads."""
    for entry in inbox_entries(inbox):
        if not entry.skipped:
            yield entry.path


def display_name(path: Path, inbox: Path) -> str:
    """The name shown and recorded: relative to the inbox, NFC (a name typed on a Mac arrives
    decomposed and would print differently from the same name typed elsewhere)."""
    return unicodedata.normalize("NFC", path.relative_to(inbox).as_posix())


OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)  # never wait on a FIFO


def collect_file(
    path: Path, inbox: Path, plan: Plan, limits: Limits = DEFAULT_LIMITS, archive: Path | None = None
) -> Submission:
    """One file's verdict; never raises for anything the file contains or for the file vanishing.
    The file is read once: the same bytes are hashed, judged and (with `archive`) archived."""
    relative = display_name(path, inbox)
    try:
        fd = os.open(path, OPEN_FLAGS)
    except FileNotFoundError:
        return _changed(relative, "Tệp đã bị xóa hoặc đổi tên khỏi hộp thư trong khi chạy.")
    except PermissionError:
        return _no_access(relative)
    except OSError as exc:
        return _unreadable(relative, exc)
    with os.fdopen(fd, "rb") as handle:
        before = os.fstat(fd)
        if not stat.S_ISREG(before.st_mode):
            return _changed(relative, "Tệp đã được thay bằng một mục không phải tệp trong khi chạy.")
        if before.st_size > limits.max_file_bytes:  # not even read into memory
            sub = Submission(relative, "", before.st_size, before.st_mtime, refused=True)
            message = (
                f"Tệp quá lớn ({before.st_size / 2**20:.0f} MB, giới hạn "
                f"{limits.max_file_bytes / 2**20:.0f} MB)."
            )
            sub.findings.append(finding("file-too-large", message, file=relative))
            return sub
        try:
            data = handle.read(before.st_size + 1)  # one byte more: a file still growing shows
        except PermissionError:
            return _no_access(relative)
        except OSError as exc:
            return _unreadable(relative, exc)
        after = os.fstat(fd)
    try:
        now = os.stat(path)
    except FileNotFoundError:
        return _changed(relative, "Tệp đã bị xóa khỏi hộp thư ngay sau khi đọc.")
    except OSError:
        now = after
    if len(data) != before.st_size or _version(before) != _version(after) or _version(after) != _version(now):
        return _changed(relative, "Tệp được ghi lại (thay đổi) trong khi đọc.")
    sub = Submission(relative, hashlib.sha256(data).hexdigest(), len(data), before.st_mtime)
    _judge(sub, data, plan, limits)
    if archive is not None:
        sub.archive = stage(archive, sub.sha256, sub.file, data, sub.mtime)
    return sub


def _version(info: os.stat_result) -> tuple[int, int, int, int]:
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)


def _changed(relative: str, what: str) -> Submission:
    sub = Submission(relative, "", 0, 0.0, refused=True)
    message = f"{what} Tệp thay đổi trong khi đọc — chạy lại."
    sub.findings.append(finding("file-changed", message, file=relative))
    return sub


def _no_access(relative: str) -> Submission:
    sub = Submission(relative, "", 0, 0.0, refused=True)
    message = "Không có quyền đọc tệp (người dùng đang chạy lệnh thiếu quyền đọc); tệp có thể vẫn tốt."
    sub.findings.append(finding("file-no-access", message, file=relative))
    return sub


def _unreadable(relative: str, exc: OSError) -> Submission:
    sub = Submission(relative, "", 0, 0.0, refused=True)
    reason = os.strerror(exc.errno) if exc.errno else type(exc).__name__
    message = f"Hệ điều hành không đọc được tệp ({reason}); tệp có thể vẫn tốt."
    sub.findings.append(finding("file-no-access", message, file=relative))
    return sub


def skipped_entry(entry: InboxEntry, inbox: Path) -> Submission:
    relative = display_name(entry.path, inbox)
    sub = Submission(relative, "", 0, 0.0, refused=True)
    sub.findings.append(finding("inbox-entry-skipped", entry.skipped, file=relative))
    return sub


def _judge(sub: Submission, data: bytes, plan: Plan, limits: Limits) -> None:
    relative = sub.file
    try:
        _collect(sub, data, plan, limits)
    except ReadError as exc:  # found late, e.g. when a sheet is read on demand
        sub.refused, sub.cells, sub.notes = True, EMPTY_TABLE, {}
        sub.findings.append(
            finding(exc.code, exc.reason, file=relative, sha256=sub.sha256, agency=sub.agency or "")
        )
    except MemoryError:
        sub.refused, sub.cells, sub.notes = True, EMPTY_TABLE, {}
        sub.findings.append(
            finding(
                "file-too-large",
                "Đọc tệp cần quá nhiều bộ nhớ nên đã dừng.",
                file=relative,
                sha256=sub.sha256,
            )
        )
    except Exception as exc:
        sub.refused = True
        message = f"Không đọc được tệp do lỗi không lường trước ({type(exc).__name__})."
        sub.findings.append(
            finding("file-unreadable", message, file=relative, sha256=sub.sha256, agency=sub.agency or "")
        )


def _collect(sub: Submission, data: bytes, plan: Plan, limits: Limits = DEFAULT_LIMITS) -> None:
    spec = plan.spec
    where = {"file": sub.file, "sha256": sub.sha256}
    sniffed = sniff(data)
    sub.kind = sniffed.kind.value
    if sniffed.kind is Kind.EMPTY:
        sub.refused = True
        sub.findings.append(finding("file-empty", "Tệp rỗng.", **where))
        return
    if sniffed.kind is Kind.OTHER:
        sub.refused = True
        name = KIND_NAMES.get(sniffed.detail, KIND_NAMES["unknown"])
        sub.findings.append(finding("not-a-workbook", f"Đây là {name}, không phải bảng tính.", **where))
        return
    if sniffed.kind is Kind.ENCRYPTED:
        sub.refused = True
        sub.findings.append(finding("file-encrypted", "Tệp được đặt mật khẩu.", **where))
        return
    reason = too_large(data, sniffed.members, limits)
    if reason is not None:
        sub.refused = True
        sub.findings.append(finding("file-too-large", reason, **where))
        return
    if sniffed.kind is Kind.CORRUPT:
        sub.refused = True
        sub.findings.append(finding("file-unreadable", "Tệp bảng tính bị hỏng hoặc không đầy đủ.", **where))
        return
    try:
        raw = read_workbook(data, sniffed.kind, limits.max_cells, sniffed.package)
    except ReadError as exc:
        sub.refused = True
        sub.findings.append(finding(exc.code, exc.reason, **where))
        return
    sub.saved_at = raw.saved_at
    sheet, renamed = find_main_sheet(raw, spec)
    ident = identify(raw, sheet, spec)
    if len(set(ident.claims.values())) > 1:
        claims = "; ".join(f"{source}: {agency}" for source, agency in ident.claims.items())
        sub.findings.append(
            finding("identity-conflict", f"Mã nhận dạng trong tệp không thống nhất ({claims}).", **where)
        )
    if ident.agency is None:
        sub.refused = True
        sub.findings.append(finding("identity-unknown", "Không xác định được tệp của đơn vị nào.", **where))
        return
    if ident.agency not in spec.agency_by_slug:
        sub.refused = True
        sub.findings.append(
            finding(
                "unknown-agency",
                f'Tệp ghi mã đơn vị "{ident.agency}" không có trong danh sách đơn vị.',
                **where,
            )
        )
        return
    sub.agency, sub.identity, sub.identified_by = ident.agency, ident.identity, ident.method
    where["agency"] = ident.agency
    agency_name = spec.agency_by_slug[ident.agency].short_name
    if ident.identity is not None and ident.identity.campaign_id != spec.campaign.id:
        sub.refused = True
        sub.findings.append(
            finding(
                "other-campaign",
                f'Tệp thuộc đợt "{ident.identity.campaign_id}", không phải đợt "{spec.campaign.id}".',
                **where,
            )
        )
        return
    if ident.identity is not None and ident.identity.spec_hash != spec.spec_hash:
        sub.findings.append(
            finding(
                "spec-version-mismatch",
                f"Biểu mẫu được tạo từ danh mục phiên bản "
                f"{ident.identity.spec_hash}, hiện tại là {spec.spec_hash}.",
                **where,
            )
        )
    if ident.identity is not None and ident.identity.verifies():
        sub.verified = True
    elif limits.accept(sub.file, sub.sha256):
        sub.verified = True
        sub.findings.append(
            finding(
                "identity-accepted",
                "Cán bộ tổng hợp đã chấp nhận tệp dù mã nhận dạng không xác thực được.",
                **where,
            )
        )
    else:
        sub.findings.append(
            finding(
                "identity-unverified",
                "Mã nhận dạng của tệp không xác thực được (không có "
                "hoặc sai chữ ký); số liệu chưa được đưa vào bảng tổng hợp.",
                **where,
            )
        )
    if ident.method != "embedded":
        how = 'tiêu đề "Đơn vị báo cáo"' if ident.method == "title" else "tên các chỉ tiêu"
        sub.findings.append(
            finding(
                "identity-fallback",
                f"Tệp không còn mã nhận dạng; nhận là của {agency_name} theo {how}.",
                **where,
            )
        )
    if sheet is None:
        sub.refused = True
        sub.findings.append(finding("sheet-missing", f'Không có sheet "{MAIN_SHEET}".', **where))
        return
    sub.sheet = sheet.name
    if renamed:
        sub.findings.append(
            finding(
                "sheet-renamed",
                f'Sheet "{MAIN_SHEET}" bị đổi tên thành "{sheet.name}".',
                sheet=sheet.name,
                **where,
            )
        )
    agency = plan.agency(ident.agency)
    try:
        result = extract(sheet, agency.layout, spec.key_set, raw.formula_state(sheet.name), where)
    except ReadError as exc:
        sub.refused = True
        sub.findings.append(finding(exc.code, exc.reason, **where))
        return
    sub.cells, sub.notes = result.cells, result.notes
    sub.findings.extend(result.findings)
    sub.findings.extend(validate(agency, sub.cells, where, sheet.name))


def collect_inbox(
    inbox: Path,
    plan: Plan,
    workers: int | None = None,
    limits: Limits = DEFAULT_LIMITS,
    isolate: bool = True,
    archive: Path | None = None,
    done: Callable[[Submission], None] | None = None,
) -> list[Submission]:
    """One Submission per inbox entry, in file order. Each file is read in a worker process that
    is stopped if it runs over the time limit or dies of the memory bound, so no file can hang or
    crash the run; large inboxes use every core. With `archive`, the worker that judged a file
    stages its bytes there (`ledger.stage`; `ledger.publish` renames them into place). `done`
    sees each file's result as it comes."""
    entries = inbox_entries(inbox)
    paths = [entry.path for entry in entries if not entry.skipped]
    if not isolate:
        read = []
        for path in paths:
            read.append(collect_file(path, inbox, plan, limits, archive))
            if done is not None:
                done(read[-1])
    else:
        read = run_isolated(paths, inbox, plan, limits, workers or os.cpu_count() or 1, done, archive)
    if len(paths) == len(entries):
        return read
    by_path = dict(zip(paths, read, strict=True))
    return [skipped_entry(e, inbox) if e.skipped else by_path[e.path] for e in entries]


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
        unreadable = len(submissions) - blank - other
        parts = [
            f"{n} {what}"
            for n, what in (
                (blank, "bảng tính chưa có số liệu nào (biểu mẫu trống?)"),
                (other, "tệp không phải bảng tính"),
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


def collect_archived(
    copies: list[tuple[Path, str, float]], plan: Plan, limits: Limits = DEFAULT_LIMITS
) -> list[Submission]:
    """Read archived copies (path, the name the file arrived under, its arrival as a timestamp)
    as the files they were, isolated like inbox files, each with a `kept-from-archive` note."""
    if not copies:
        return []
    read = run_isolated([path for path, _, _ in copies], copies[0][0].parent, plan, limits, 1)
    for sub, (path, name, arrived) in zip(read, copies, strict=True):
        sub.file, sub.mtime = name, arrived
        sub.findings[:] = [replace(f, file=name) for f in sub.findings]
        sub.findings.append(
            finding(
                "kept-from-archive",
                f"Tệp {name} không còn trong thư mục nhận; dùng bản đã lưu khi nhận ({path.name}).",
                file=name,
                sha256=sub.sha256,
                agency=sub.agency or "",
            )
        )
    return read
