"""Writing outputs safely: a temporary file in the same folder, then one atomic rename."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from indicator_kit.errors import OutputLockedError


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data` all at once; an interrupted run leaves the old file intact."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.replace(tmp, path)
        except PermissionError:
            raise OutputLockedError(_locked_message(path)) from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def ensure_replaceable(path: Path) -> None:
    """Raise OutputLockedError if an existing output cannot be written (open in Excel on Windows)."""
    if not path.exists():
        return
    try:
        with path.open("ab"):
            pass
    except PermissionError:
        raise OutputLockedError(_locked_message(path)) from None


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
