"""The inbox folder as a list of entries: what collect reads, and what it lists without reading."""

from __future__ import annotations

import os
import stat
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from indicator_kit.findings import Message


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
