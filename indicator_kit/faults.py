"""What the machine refused, in words the officer can act on.

An `OSError` or `sqlite3.Error` reaching the edge of a command is the environment failing, not a
bug: it becomes a `FaultError` (exit code 3) whose Vietnamese message names the folder or file,
what was refused (which right is missing, how much space was needed) and what to do. Library code
that knows more (the size it tried to write) translates the error itself; the CLI translates the
rest with the same functions.
"""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

from indicator_kit.errors import FaultError

MB = 2**20


class PermissionFault(FaultError):
    """The user running the command lacks a right on a folder or file."""


class DiskFullFault(FaultError):
    """The disk (or the user's quota) has no room for what had to be written."""


class StatePathFault(FaultError):
    """A path that must be a folder is a file (or the other way round)."""


class IOFault(FaultError):
    """Any other refusal of the operating system (I/O error, read-only disk, too many files)."""


def _size(n: int) -> str:
    return f"{n / MB:.1f} MB" if n >= MB / 10 else f"{max(1, round(n / 1024))} KB"


def _free_space(path: Path) -> int | None:
    for candidate in (path, *path.parents):
        try:
            return shutil.disk_usage(candidate).free
        except OSError:
            continue
    return None


def _nearest_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return path


def _missing_right(path: Path) -> str:
    """Which right a refused write or read lacks, as a person would say it."""
    existing = _nearest_existing(path)
    if existing.is_dir():
        if not os.access(existing, os.W_OK):
            return f"không có quyền ghi vào thư mục {existing}"
        if not os.access(existing, os.X_OK):
            return f"không có quyền truy cập thư mục {existing}"
        return f"không có quyền ghi hoặc đọc trong thư mục {existing}"
    if not os.access(existing, os.R_OK):
        return f"không có quyền đọc tệp {existing}"
    if not os.access(existing, os.W_OK):
        return f"không có quyền ghi tệp {existing}"
    return f"hệ điều hành từ chối truy cập {existing}"


def os_fault(exc: OSError, path: Path | str | None = None, needed: int | None = None) -> FaultError:
    """The `FaultError` for an operating-system refusal while touching `path` (default: the path
    the error names); `needed` is how many bytes were being written, when known."""
    where = Path(path if path is not None else (exc.filename or "."))
    code = exc.errno
    if code in (errno.EACCES, errno.EPERM):
        return PermissionFault(
            f"Không có quyền: {_missing_right(where)} (người dùng đang chạy lệnh). "
            "Hãy cấp quyền cho thư mục/tệp đó hoặc chọn thư mục khác, rồi chạy lại; "
            "kết quả cũ được giữ nguyên."
        )
    if code in (errno.ENOSPC, errno.EDQUOT):
        free = _free_space(where)
        need = f"cần ghi thêm {_size(needed)}" if needed else "không ghi thêm được"
        left = f", còn trống {_size(free)}" if free is not None else ""
        return DiskFullFault(
            f"Ổ đĩa chứa {where} đã đầy ({need}{left}). Hãy giải phóng dung lượng rồi chạy lại; "
            "kết quả cũ được giữ nguyên."
        )
    if code in (errno.ENOTDIR, errno.EEXIST, errno.EISDIR):
        blocker = next((p for p in (where, *where.parents) if p.exists() and not p.is_dir()), where)
        if code == errno.EISDIR:
            return StatePathFault(
                f"{where} là một thư mục, nhưng ở đó cần một tệp. Hãy đổi tên thư mục đó hoặc chọn "
                "đường dẫn khác, rồi chạy lại."
            )
        return StatePathFault(
            f"{blocker} là một tệp, nhưng ở đó cần một thư mục. Hãy đổi tên hoặc chuyển tệp đó đi "
            "(hoặc chọn thư mục khác), rồi chạy lại."
        )
    if code == errno.EROFS:
        return PermissionFault(
            f"Ổ đĩa chứa {where} chỉ cho phép đọc. Hãy chọn thư mục trên ổ đĩa ghi được, rồi chạy lại."
        )
    reason = os.strerror(code) if code else str(exc)
    return IOFault(
        f"Hệ điều hành báo lỗi khi ghi/đọc {where}: {reason} (mã {code}). Hãy kiểm tra ổ đĩa rồi chạy lại; "
        "kết quả cũ được giữ nguyên."
    )
