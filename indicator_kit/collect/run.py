"""Collect a folder of returned files: one `Submission` per file, whatever the file holds."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

from indicator_kit.catalog.model import Spec
from indicator_kit.collect.extract import extract
from indicator_kit.collect.identify import find_main_sheet, identify
from indicator_kit.collect.limits import DEFAULT_LIMITS, Limits, too_large
from indicator_kit.collect.model import EMPTY_TABLE, Submission
from indicator_kit.collect.reader import KIND_NAMES, Kind, ReadError, read_workbook, sniff
from indicator_kit.collect.validate import validate
from indicator_kit.collect.workers import run_isolated
from indicator_kit.errors import IndicatorKitError
from indicator_kit.findings import finding
from indicator_kit.template.layout import MAIN_SHEET, build_layout


def inbox_files(inbox: Path) -> Iterator[Path]:
    """Every file under the inbox, in a stable order; Office lock files and hidden files skipped."""
    for path in sorted(inbox.rglob("*")):
        relative = path.relative_to(inbox)
        if any(part.startswith((".", "~$")) for part in relative.parts):
            continue
        if path.is_file() and not path.is_symlink():
            yield path


def collect_file(path: Path, inbox: Path, spec: Spec, limits: Limits = DEFAULT_LIMITS) -> Submission:
    """One file's verdict; never raises for anything the file contains."""
    relative = path.relative_to(inbox).as_posix()
    stat = path.stat()
    if stat.st_size > limits.max_file_bytes:  # not even read into memory
        sub = Submission(relative, "", stat.st_size, stat.st_mtime, refused=True)
        message = (
            f"Tệp quá lớn ({stat.st_size / 2**20:.0f} MB, giới hạn {limits.max_file_bytes / 2**20:.0f} MB)."
        )
        sub.findings.append(finding("file-too-large", message, file=relative))
        return sub
    data = path.read_bytes()
    sub = Submission(relative, hashlib.sha256(data).hexdigest(), len(data), stat.st_mtime)
    try:
        _collect(sub, data, spec, limits)
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
    return sub


def _collect(sub: Submission, data: bytes, spec: Spec, limits: Limits = DEFAULT_LIMITS) -> None:
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
    layout = build_layout(spec, ident.agency)
    try:
        result = extract(sheet, layout, spec.key_set, raw.formula_state(sheet.name), where)
    except ReadError as exc:
        sub.refused = True
        sub.findings.append(finding(exc.code, exc.reason, **where))
        return
    sub.cells, sub.notes = result.cells, result.notes
    sub.findings.extend(result.findings)
    sub.findings.extend(validate(spec, spec.rows_for(ident.agency), sub.cells, where, sheet.name))


def collect_inbox(
    inbox: Path,
    spec: Spec,
    workers: int | None = None,
    limits: Limits = DEFAULT_LIMITS,
    isolate: bool = True,
    done: Callable[[Submission], None] | None = None,
) -> list[Submission]:
    """One Submission per file, in file order. Each file is read in a worker process that is
    stopped if it runs over the time limit or dies of the memory bound, so no file can hang or
    crash the run; large inboxes use every core. `done` sees each result as it comes."""
    paths = list(inbox_files(inbox))
    if not isolate:
        results = []
        for path in paths:
            results.append(collect_file(path, inbox, spec, limits))
            if done is not None:
                done(results[-1])
        return results
    return run_isolated(collect_file, paths, inbox, spec, limits, workers or os.cpu_count() or 1, done)


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
    copies: list[tuple[Path, str, float]], spec: Spec, limits: Limits = DEFAULT_LIMITS
) -> list[Submission]:
    """Read archived copies (path, the name the file arrived under, its arrival as a timestamp)
    as the files they were, isolated like inbox files, each with a `kept-from-archive` note."""
    if not copies:
        return []
    read = run_isolated(collect_file, [path for path, _, _ in copies], copies[0][0].parent, spec, limits, 1)
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
