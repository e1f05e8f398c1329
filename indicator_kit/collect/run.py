"""Collect a folder of returned files: one `Submission` per file, whatever the file holds."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from indicator_kit.collect.extract import extract
from indicator_kit.collect.identify import find_main_sheet, identify
from indicator_kit.collect.model import Submission
from indicator_kit.collect.reader import KIND_NAMES, Kind, ReadError, read_workbook, sniff
from indicator_kit.collect.validate import validate
from indicator_kit.findings import finding
from indicator_kit.spec.model import Spec
from indicator_kit.template.layout import MAIN_SHEET, build_layout

PER_WORKER_MINIMUM = 16  # below this many files per core, a process pool costs more than it saves


def inbox_files(inbox: Path) -> Iterator[Path]:
    """Every file under the inbox, in a stable order; Office lock files and hidden files skipped."""
    for path in sorted(inbox.rglob("*")):
        relative = path.relative_to(inbox)
        if any(part.startswith((".", "~$")) for part in relative.parts):
            continue
        if path.is_file() and not path.is_symlink():
            yield path


def collect_file(path: Path, inbox: Path, spec: Spec) -> Submission:
    data = path.read_bytes()
    relative = path.relative_to(inbox).as_posix()
    sub = Submission(relative, hashlib.sha256(data).hexdigest(), len(data), path.stat().st_mtime)
    try:
        _collect(sub, data, spec)
    except Exception as exc:
        sub.refused = True
        sub.findings.append(
            finding(
                "file-unreadable",
                f"Không đọc được tệp do lỗi không lường trước ({type(exc).__name__}).",
                file=relative,
                sha256=sub.sha256,
                agency=sub.agency or "",
            )
        )
    return sub


def _collect(sub: Submission, data: bytes, spec: Spec) -> None:
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
    if sniffed.kind is Kind.CORRUPT:
        sub.refused = True
        sub.findings.append(finding("file-unreadable", "Tệp bảng tính bị hỏng hoặc không đầy đủ.", **where))
        return
    try:
        raw = read_workbook(data, sniffed.kind)
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
        result = extract(sheet, layout, set(spec.row_by_key), raw.formulas.get(sheet.name, {}), where)
    except ReadError as exc:
        sub.refused = True
        sub.findings.append(finding(exc.code, exc.reason, **where))
        return
    sub.cells, sub.notes = result.cells, result.notes
    sub.findings.extend(result.findings)
    sub.findings.extend(validate(spec, spec.rows_for(ident.agency), sub.cells, where, sheet.name))


_WORKER_SPEC: Spec | None = None


def _init_worker(spec: Spec) -> None:
    global _WORKER_SPEC
    _WORKER_SPEC = spec


def _collect_in_worker(path: Path, inbox: Path) -> Submission:
    assert _WORKER_SPEC is not None
    return collect_file(path, inbox, _WORKER_SPEC)


def collect_inbox(inbox: Path, spec: Spec, workers: int | None = None) -> list[Submission]:
    """One Submission per file, in file order. Large inboxes are read on every core."""
    paths = list(inbox_files(inbox))
    workers = min(workers or os.cpu_count() or 1, len(paths) // PER_WORKER_MINIMUM or 1)
    if workers <= 1:
        return [collect_file(path, inbox, spec) for path in paths]
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(spec,)) as pool:
        return list(pool.map(_collect_in_worker, paths, [inbox] * len(paths), chunksize=8))
