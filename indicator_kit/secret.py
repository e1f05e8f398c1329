"""The office's local key that signs template identities (HMAC), so a hand-edited identity fails.

The key lives in the office's own configuration — `.indicator-kit/secret.key` in the working
folder (git-ignored) or the file named by INDICATOR_KIT_KEY_FILE — created on first use and never
written into a template or the repository.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

DEFAULT_KEY_FILE = Path(".indicator-kit") / "secret.key"


def key_file() -> Path:
    return Path(os.environ.get("INDICATOR_KIT_KEY_FILE") or DEFAULT_KEY_FILE)


_KEYS: dict[Path, bytes] = {}  # read once per process: collect verifies every file


def office_key() -> bytes:
    """The key, created atomically on first use (the first of concurrent creators wins)."""
    path = key_file()
    if path not in _KEYS:
        _KEYS[path] = _read_or_create(path)
    return _KEYS[path]


def _read_or_create(path: Path) -> bytes:
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secrets.token_hex(32))
    return bytes.fromhex(path.read_text(encoding="ascii").strip())


def sign(*parts: str, key: bytes | None = None) -> str:
    message = "|".join(parts).encode("utf-8")
    return hmac.new(key or office_key(), message, hashlib.sha256).hexdigest()[:24]
