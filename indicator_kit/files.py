"""Writing outputs safely: a temporary file in the same folder, then one atomic rename."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from indicator_kit.errors import OutputLockedError
from indicator_kit.faults import os_fault

TEMPORARY_SUFFIXES = (".tmp", ".partial")  # `write_atomic`'s and the archive's temporary files


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data` all at once; an interrupted run leaves the old file intact.
    A refusal of the system (no write right, full disk, a file where the folder should be) is a
    fault naming the path and, for a full disk, the size that did not fit."""
    tmp = ""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.replace(tmp, path)
        except PermissionError:
            if os.access(path.parent, os.W_OK):  # the folder is writable: the file is held open
                raise OutputLockedError(_locked_message(path)) from None
            raise
    except OSError as exc:
        raise os_fault(exc, path if exc.filename in (None, tmp) else exc.filename, len(data)) from None
    finally:
        if tmp and os.path.exists(tmp):
            os.unlink(tmp)


def remove_leftovers(folder: Path) -> list[Path]:
    """Remove the temporary files (hidden, ending .tmp or .partial) an interrupted run left in
    `folder`; the caller holds the lock, so none belongs to a run still going. Returns them."""
    try:
        names = os.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return []
    removed = []
    for name in names:
        if name.startswith(".") and name.endswith(TEMPORARY_SUFFIXES):
            try:
                os.unlink(folder / name)
            except FileNotFoundError:
                continue
            removed.append(folder / name)
    return removed


def ensure_replaceable(path: Path) -> None:
    """Raise OutputLockedError if an existing output cannot be written (open in Excel on Windows)."""
    if not path.exists():
        return
    try:
        with path.open("ab"):
            pass
    except PermissionError as exc:
        if os.access(path, os.W_OK) and os.access(path.parent, os.W_OK):  # held open (Excel on Windows)
            raise OutputLockedError(_locked_message(path)) from None
        raise os_fault(exc, path) from None
    except OSError as exc:
        raise os_fault(exc, path) from None


def _locked_message(path: Path) -> str:
    return (
        f"Không ghi được tệp {path}: tệp đang mở (thường là trong Excel). "
        "Hãy đóng tệp rồi chạy lại lệnh; tệp cũ vẫn được giữ nguyên."
    )


def write_json_atomic(path: Path, payload: Any) -> None:
    text = json.dumps(payload, ensure_ascii=False, indent=2, sort_keys=False) + "\n"
    write_atomic(path, text.encode("utf-8"))


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
