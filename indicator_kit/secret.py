"""The office's local key that signs template identities (HMAC), so a hand-edited identity fails.

The key lives in the workspace's state folder (`.indicator-kit/secret.key`) or in the file named
by INDICATOR_KIT_KEY_FILE, and is never written into a template or the repository. Only `init`
and `generate` create it: a command run from the wrong folder must not quietly make a new key
and then find every return "unverified". Templates carry the key's fingerprint (`key_id`), so a
command can tell "signed with another key" from "forged" and stop before judging identities.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from indicator_kit.errors import IndicatorKitError

KEY_FILE_ENV = "INDICATOR_KIT_KEY_FILE"
KEY_FILE_NAME = "secret.key"

WAY_OUT = (
    "Hãy chạy lệnh trong đúng thư mục làm việc đã tạo biểu mẫu (cd vào thư mục đó, hoặc thêm "
    "--workspace <thư mục>), hoặc đặt biến môi trường INDICATOR_KIT_KEY_FILE chỉ đến tệp khóa đã dùng "
    "khi tạo biểu mẫu."
)


class MissingKeyError(IndicatorKitError):
    """There is no office key where the workspace (or INDICATOR_KIT_KEY_FILE) says it is."""


class ForeignKeyError(IndicatorKitError):
    """Returns were signed with another office key than the workspace's."""


_active: bytes | None = None  # the key of the running command (`using`)
_by_file: dict[Path, bytes] = {}  # INDICATOR_KIT_KEY_FILE read once per process


def load(path: Path, workspace: Path | None = None) -> bytes:
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        where = f" của thư mục làm việc {workspace}" if workspace else ""
        raise MissingKeyError(
            f"Không tìm thấy khóa ký biểu mẫu của Sở{where} (tệp {path}). Khóa chỉ được tạo bởi "
            "`indicator-kit init` hoặc `indicator-kit generate`, nên lệnh dừng ở đây thay vì coi mọi "
            f"biểu nộp về là không xác thực được. {WAY_OUT}"
        ) from None
    except (OSError, UnicodeError) as exc:
        raise MissingKeyError(f"Không đọc được tệp khóa {path}: {exc}. {WAY_OUT}") from None
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise MissingKeyError(
            f"Tệp khóa {path} bị hỏng (không phải khóa do indicator-kit tạo). {WAY_OUT}"
        ) from None


def create(path: Path) -> bool:
    """Create the key file unless it exists (the first of concurrent creators wins); True when
    this call created it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secrets.token_hex(32))
    return True


@contextmanager
def using(key: bytes) -> Iterator[None]:
    """Sign and verify with `key` inside the block (a command's run; forked workers inherit it)."""
    global _active
    before, _active = _active, key
    try:
        yield
    finally:
        _active = before


def adopt(key: bytes) -> None:
    """Sign and verify with `key` for the rest of this process (a collect worker)."""
    global _active
    _active = key


def office_key() -> bytes:
    """The key of the running command, else the one named by INDICATOR_KIT_KEY_FILE (read,
    never created here)."""
    if _active is not None:
        return _active
    named = os.environ.get(KEY_FILE_ENV)
    if not named:
        raise MissingKeyError(f"Chưa có khóa ký biểu mẫu của Sở. {WAY_OUT}")
    path = Path(named)
    if path not in _by_file:
        _by_file[path] = load(path)
    return _by_file[path]


def key_id(key: bytes | None = None) -> str:
    """A public fingerprint of the key, written into templates beside the signature."""
    # "k" first: an all-digit fingerprint would come back from LibreOffice as a number
    return "k" + hashlib.sha256(b"indicator-kit key id|" + (key or office_key())).hexdigest()[:8]


def sign(*parts: str, key: bytes | None = None) -> str:
    message = "|".join(parts).encode("utf-8")
    return hmac.new(key or office_key(), message, hashlib.sha256).hexdigest()[:24]
