"""Writing outputs safely: a temporary file in the same folder, then one atomic rename."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from indicator_kit.errors import OutputLockedError
from indicator_kit.faults import os_fault

TEMPORARY_SUFFIXES = (".tmp", ".partial")  # `write_atomic`'s and the archive's temporary files


def read_at(fd: int, size: int, offset: int) -> bytes:
    """Up to `size` bytes of the open file from `offset` on. `os.pread` exists on POSIX only:
    on Windows (the office's machines) the file position is moved and read from instead."""
    if hasattr(os, "pread"):
        return os.pread(fd, size, offset)
    os.lseek(fd, offset, os.SEEK_SET)
    chunks, left = [], size
    while left > 0:
        chunk = os.read(fd, left)
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data` all at once; an interrupted run leaves the old file intact.
    A refusal of the system (no write right, full disk, a file where the folder should be) is a
    fault naming the path and, for a full disk, the size that did not fit."""
    tmp = stage_file(path, data)
    try:
        _replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def stage_file(path: Path, data: bytes) -> str:
    """`data` written and fsynced under a temporary name beside `path` (same folder, so the
    rename that publishes it is atomic); returns the temporary file's path. A refusal of the
    system is a fault naming the path (and, for a full disk, the size that did not fit)."""
    tmp = ""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        if tmp and os.path.exists(tmp):
            os.unlink(tmp)
        raise os_fault(exc, path if exc.filename in (None, tmp) else exc.filename, len(data)) from None
    except BaseException:
        if tmp and os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return tmp


def _replace(source: str, path: Path) -> None:
    try:
        try:
            os.replace(source, path)
        except PermissionError:
            if os.access(path.parent, os.W_OK):  # the folder is writable: the file is held open
                raise OutputLockedError(_locked_message(path)) from None
            raise
    except OSError as exc:
        raise os_fault(exc, path if exc.filename in (None, source) else exc.filename) from None


class Staging:
    """The outputs of one run, staged beside their targets and published together: after
    `publish` either every target holds its new bytes or, on any failure, every target holds
    what it held before. An earlier file is kept under a second name until `finish`, and a
    journal lists the targets while they are being replaced, so that a run killed in the middle
    is undone by `recover` at the start of the next one."""

    def __init__(self, journal: Path, tag: str = "") -> None:
        self.journal, self.tag = journal, tag  # the tag names the run in the journal
        self.staged: dict[Path, str] = {}  # target → its staged temporary file
        self.removed: list[Path] = []  # earlier outputs this run no longer makes
        self._published: dict[Path, bool] = {}  # target replaced → whether it had an earlier file
        self._journal_written = False

    def add(self, path: Path, data: bytes) -> None:
        self.staged[path] = stage_file(path, data)

    def remove(self, path: Path) -> None:
        """Remove `path` when the rest is published (an output of an earlier run that this one
        does not make, e.g. the feedback of an agency whose return is now fine)."""
        self.removed.append(path)

    def adopt(self, staged: dict[Path, str]) -> None:
        """Files staged by another process (the master, rendered in a child)."""
        self.staged.update(staged)

    def publish(self) -> None:
        for path in self.staged:  # a file open in Excel stops the run before anything is replaced
            ensure_replaceable(path)
        targets = [[str(path), path.exists()] for path in self.staged]
        plan = {"tag": self.tag, "targets": targets + [[str(path), True] for path in self.removed]}
        try:
            self._journal_written = True  # (set first: a half-written journal is removed too)
            write_json_atomic(self.journal, plan)
            for path, tmp in list(self.staged.items()):
                existed = _keep_previous(path)
                try:
                    _replace(tmp, path)
                except BaseException:
                    if existed:
                        os.unlink(previous_name(path))
                    raise
                self._published[path] = existed
                del self.staged[path]
            for path in self.removed:
                _keep_previous(path)
                os.unlink(path)
                self._published[path] = True
            self.removed.clear()
        except BaseException:
            self.roll_back()
            raise

    def roll_back(self) -> None:
        """Every replaced target back to its earlier bytes; staged files removed."""
        for path, existed in reversed(list(self._published.items())):
            if existed:
                os.replace(previous_name(path), path)
            else:
                os.unlink(path)
        self._published.clear()
        self.removed.clear()
        self.discard()
        self._close_journal()

    def discard(self) -> None:
        """Remove the staged files not yet published."""
        for tmp in self.staged.values():
            if os.path.exists(tmp):
                os.unlink(tmp)
        self.staged.clear()

    def finish(self) -> None:
        """The run is recorded: the earlier files are no longer needed."""
        for path, existed in self._published.items():
            if existed:
                os.unlink(previous_name(path))
        self._published.clear()
        self._close_journal()

    def _close_journal(self) -> None:
        if self._journal_written:
            self.journal.unlink(missing_ok=True)
            self._journal_written = False


def previous_name(path: Path) -> Path:
    return path.parent / f".{path.name}.previous"


def _keep_previous(path: Path) -> bool:
    """A second name for the file at `path`, if there is one, so that replacing it can be undone;
    a hard link costs nothing, a copy is made where links are not supported."""
    if not path.exists():
        return False
    keep = previous_name(path)
    if keep.exists():  # left by a run killed before it had written its journal
        keep.unlink()
    try:
        os.link(path, keep)
    except OSError:
        shutil.copy2(path, keep)
    return True


@dataclass(frozen=True)
class Journal:
    """A publication that never finished: its run's tag, its targets and whether each had an
    earlier file."""

    tag: str
    targets: list[tuple[Path, bool]]


def read_journal(journal: Path) -> Journal | None:
    if not journal.exists():
        return None
    plan = json.loads(journal.read_text("utf-8"))
    return Journal(plan["tag"], [(Path(path), bool(existed)) for path, existed in plan["targets"]])


def recover(journal: Path, committed: bool) -> None:
    """Finish what a killed run left: if it was recorded (`committed`), only its earlier files go;
    if not, every target it had replaced gets its earlier bytes back."""
    found = read_journal(journal)
    for path, existed in found.targets if found else []:
        keep = previous_name(path)
        if committed:
            if keep.exists():
                keep.unlink()
        elif keep.exists():
            os.replace(keep, path)
        elif not existed and path.exists():
            path.unlink()
    journal.unlink(missing_ok=True)


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
