"""Files of the inbox that are byte for byte an earlier file: judged once.

The same return often arrives twice (an e-mail sent again, an attachment saved under two
names). Its bytes get one verdict, so the copy's verdict is the first file's, under its own name
and arrival: no worker reads it, and no second archive entry is staged for it. A copy is known
by its size, then its last 4 KiB (a zip's central directory, with the CRC of every part), then
the sha256 of all of it, so a file with no twin costs one `stat`.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, replace
from pathlib import Path

from indicator_kit.collect.inbox import OPEN_FLAGS, display_name, read_once
from indicator_kit.collect.limits import Limits
from indicator_kit.collect.model import Archived, ArchiveNote, Submission
from indicator_kit.files import read_at
from indicator_kit.ledger import KEPT

TAIL_BYTES = 4096

# Verdicts that depend on the moment or the machine, not on the bytes: a copy of such a file is
# read by itself.
# (file-unreadable: a corrupt file costs little to read again, and an exception of ours, which
# that code also reports, may have been the machine's)
CIRCUMSTANTIAL = frozenset(
    {"file-changed", "file-no-access", "file-too-slow", "file-too-large", "file-unreadable"}
)


@dataclass(frozen=True)
class Twin:
    first: Path  # the earlier file with the same bytes
    sha256: str  # of the bytes read here
    mtime: float  # of this file, when they were read


def find_twins(paths: list[Path], inbox: Path, limits: Limits) -> dict[Path, Twin]:
    """Every file whose bytes are those of an earlier file of `paths`, with its Twin."""
    by_size: dict[int, list[Path]] = {}
    for path in paths:
        try:
            size = os.stat(path).st_size
        except OSError:
            continue  # its own verdict will say why
        if 0 < size <= limits.max_file_bytes:
            by_size.setdefault(size, []).append(path)
    twins: dict[Path, Twin] = {}
    for same_size in by_size.values():
        if len(same_size) < 2:
            continue
        by_tail: dict[bytes, list[Path]] = {}
        for path in same_size:
            tail = _tail(path)
            if tail is not None:
                by_tail.setdefault(tail, []).append(path)
        for same_tail in by_tail.values():
            if len(same_tail) < 2:
                continue
            first_of: dict[str, Path] = {}
            for path in same_tail:
                read = read_once(path, display_name(path, inbox), limits)
                if isinstance(read, Submission):
                    continue  # changing or unreadable now: a worker reads it and says what is wrong
                digest = hashlib.sha256(read[0]).hexdigest()
                if digest in first_of:
                    twins[path] = Twin(first_of[digest], digest, read[1])
                else:
                    first_of[digest] = path
    return twins


def _tail(path: Path) -> bytes | None:
    """The file's last TAIL_BYTES; None if it cannot be read now."""
    try:
        fd = os.open(path, OPEN_FLAGS)
    except OSError:
        return None
    try:
        return read_at(fd, TAIL_BYTES, max(0, os.fstat(fd).st_size - TAIL_BYTES))
    except OSError:
        return None
    finally:
        os.close(fd)


def as_twin(
    first: list[Submission], twin: Twin, path: Path, inbox: Path, limits: Limits
) -> Submission | None:
    """The verdict of `path` from the verdict on the earlier file with its bytes; None when it
    must be read by itself: the earlier file was read with other bytes than the ones hashed here
    (rewritten meanwhile), holds workbooks of its own (an e-mail, a zip), got a verdict of the
    moment, or the officer accepted one of the two by name and not the other."""
    if len(first) != 1:
        return None
    sub = first[0]
    name = display_name(path, inbox)
    if (
        sub.sha256 != twin.sha256
        or not holds_for_its_bytes(sub)
        or limits.accept(name, twin.sha256) != limits.accept(sub.file, twin.sha256)
    ):
        return None
    kept = sub.archive.state in KEPT  # (staged by the first file's worker: present once published)
    return relabelled(sub, name, twin.mtime, ArchiveNote(Archived.PRESENT) if kept else sub.archive)


def holds_for_its_bytes(sub: Submission) -> bool:
    """Whether the verdict is that of any file with these bytes: a workbook's own (an e-mail's
    or a zip's workbooks carry their envelope) and not a verdict of the moment."""
    return bool(
        sub.sha256
        and sub.envelope is None
        and not sub.opened
        and not any(f.code in CIRCUMSTANTIAL for f in sub.findings)
    )


def relabelled(sub: Submission, name: str, mtime: float, archive: ArchiveNote) -> Submission:
    """The verdict on `sub`'s bytes as the verdict of the file `name` that arrived at `mtime`
    holding the same bytes (no reading of its own: no time or memory spent on it)."""
    return replace(
        sub,
        file=name,
        mtime=mtime,
        findings=[replace(f, file=name) for f in sub.findings],
        notes=dict(sub.notes),
        seconds=0.0,
        peak_kb=0,
        archive=archive,
    )
