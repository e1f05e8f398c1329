"""The inbox folder as a list of entries: what collect reads, and what it lists without reading."""

from __future__ import annotations

import os
import stat
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from indicator_kit.collect.limits import MB, Limits
from indicator_kit.collect.model import Submission
from indicator_kit.findings import Message, finding

OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)  # never wait on a FIFO


@dataclass(frozen=True)
class InboxEntry:
    path: Path
    skipped: Message | None = None  # why it is not read, for an entry that is not a regular file


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


def _not_a_file(path: Path, root: Path) -> Message | None:
    """None for a link to a regular file inside the inbox (read it); else why the entry is skipped."""
    try:
        mode = path.lstat().st_mode
    except OSError:
        return Message("inbox-entry-skipped", "gone")
    if stat.S_ISLNK(mode):
        target = path.resolve()
        if not target.exists():
            return Message("inbox-entry-skipped", "link-dangling", {"target": str(target)})
        if not target.is_relative_to(root):
            return Message("inbox-entry-skipped", "link-outside", {"target": str(target)})
        if target.is_dir():
            return Message("inbox-entry-skipped", "link-folder")
        if not target.is_file():
            return Message("inbox-entry-skipped", "link-special", {"target": str(target)})
        return None
    if stat.S_ISFIFO(mode):
        return Message("inbox-entry-skipped", "fifo")
    if stat.S_ISSOCK(mode):
        return Message("inbox-entry-skipped", "socket")
    return Message("inbox-entry-skipped", "special")


def inbox_files(inbox: Path) -> Iterator[Path]:
    """The paths `collect_inbox` reads."""
    for entry in inbox_entries(inbox):
        if not entry.skipped:
            yield entry.path


def display_name(path: Path, inbox: Path) -> str:
    """The name shown and recorded: relative to the inbox, NFC (a name typed on a Mac arrives
    decomposed and would print differently from the same name typed elsewhere)."""
    return unicodedata.normalize("NFC", path.relative_to(inbox).as_posix())


def read_once(path: Path, relative: str, limits: Limits) -> tuple[bytes, float] | Submission:
    """The file's bytes and modification time, read once; or its verdict when it cannot be read
    whole and unchanged (vanished, rewritten meanwhile, no read right, over the size limit)."""
    try:
        fd = os.open(path, OPEN_FLAGS)
    except FileNotFoundError:
        return _changed(relative, "deleted")
    except PermissionError:
        return _no_access(relative)
    except OSError as exc:
        return _unreadable(relative, exc)
    with os.fdopen(fd, "rb") as handle:
        before = os.fstat(fd)
        if not stat.S_ISREG(before.st_mode):
            return _changed(relative, "replaced")
        if before.st_size > limits.max_file_bytes:  # not even read into memory
            sub = Submission(relative, "", before.st_size, before.st_mtime, refused=True)
            sub.findings.append(
                finding(
                    "file-too-large",
                    "file",
                    file=relative,
                    size_mb=before.st_size / MB,
                    limit_mb=limits.max_file_bytes / MB,
                )
            )
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
        return _changed(relative, "deleted-after-reading")
    except OSError:
        now = after
    if len(data) != before.st_size or _version(before) != _version(after) or _version(after) != _version(now):
        return _changed(relative, "rewritten")
    return data, before.st_mtime


def _version(info: os.stat_result) -> tuple[int, int, int, int]:
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)


def _changed(relative: str, how: str) -> Submission:
    sub = Submission(relative, "", 0, 0.0, refused=True)
    sub.findings.append(finding("file-changed", how, file=relative))
    return sub


def _no_access(relative: str) -> Submission:
    sub = Submission(relative, "", 0, 0.0, refused=True)
    sub.findings.append(finding("file-no-access", "permission", file=relative))
    return sub


def _unreadable(relative: str, exc: OSError) -> Submission:
    sub = Submission(relative, "", 0, 0.0, refused=True)
    reason = os.strerror(exc.errno) if exc.errno else type(exc).__name__
    sub.findings.append(finding("file-no-access", "os-error", file=relative, reason=reason))
    return sub
