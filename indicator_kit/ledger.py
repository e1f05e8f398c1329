"""Evidence that outlives the inbox: a content-addressed archive and a submission ledger (SQLite).

Every file read is copied to `archive/<sha256>.<ext>` and recorded once with the time it first
arrived, so the inbox can be cleaned without losing anything and lateness is judged from the first
arrival. Each run is recorded too (id, start, end, outcome): its rows are committed in the same
transaction as its end, after its outputs were published, so a run that failed or was killed is
visible and has left no rows behind.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from indicator_kit.collect.model import Submission

LEDGER = "ledger.sqlite"
ARCHIVE = "archive"


def _connect(state_dir: Path) -> sqlite3.Connection:
    state_dir.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(state_dir / LEDGER)
    db.execute(
        "CREATE TABLE IF NOT EXISTS submissions (sha256 TEXT PRIMARY KEY, file_name TEXT NOT NULL, "
        "first_seen TEXT NOT NULL, arrived TEXT NOT NULL, agency TEXT, verdict TEXT, superseded_by TEXT)"
    )
    db.execute(
        "CREATE TABLE IF NOT EXISTS runs (id INTEGER PRIMARY KEY, command TEXT NOT NULL, "
        "started TEXT NOT NULL, ended TEXT, outcome TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '')"
    )
    return db


def _arrived(sub: Submission) -> str:
    """A file's arrival when the ledger first sees it: its time in the inbox."""
    return datetime.fromtimestamp(sub.mtime, UTC).isoformat(timespec="seconds")


def arrivals(state_dir: Path, submissions: list[Submission]) -> dict[str, datetime]:
    """Each file's first arrival by sha256: from the ledger, or now for a file it has not seen.
    What `publish_run` will store, known before it writes (so the writing can overlap other work)."""
    known: dict[str, str] = {}
    if (state_dir / LEDGER).exists():  # read only: a command that records nothing creates nothing
        with _connect(state_dir) as db:
            known = dict(db.execute("SELECT sha256, arrived FROM submissions").fetchall())
    for sub in submissions:
        if sub.sha256 and sub.sha256 not in known:
            known[sub.sha256] = _arrived(sub)
    return {sha: datetime.fromisoformat(arrived) for sha, arrived in known.items()}


def archive(state_dir: Path, inbox: Path, submissions: list[Submission]) -> None:
    """Copy every read file into the archive (content-addressed: an entry is never rewritten, so
    copies made by a run that then fails are harmless; the next run records them)."""
    for sub in submissions:
        if not sub.sha256:
            continue
        target = archive_path(state_dir, sub.sha256, sub.file)
        if not target.exists():
            _archive(target, (inbox / sub.file).read_bytes())


def _record_rows(db: sqlite3.Connection, submissions: list[Submission], now: str) -> None:
    """Every read file, once (a file keeps the arrival it was first recorded with)."""
    for sub in submissions:
        if not sub.sha256:
            continue
        db.execute(
            "INSERT OR IGNORE INTO submissions (sha256, file_name, first_seen, arrived) VALUES (?, ?, ?, ?)",
            (sub.sha256, sub.file, now, _arrived(sub)),
        )
        db.execute(
            "UPDATE submissions SET agency = ?, verdict = ? WHERE sha256 = ?",
            (sub.agency or "", sub.verdict, sub.sha256),
        )


def archive_path(state_dir: Path, sha256: str, file_name: str) -> Path:
    return state_dir / ARCHIVE / f"{sha256}{Path(file_name).suffix.lower() or '.bin'}"


def _archive(target: Path, data: bytes) -> None:
    """Write into the archive under a temporary name, then rename: a reader never sees half a
    file. No fsync per file: the original is still in the inbox while the run lasts. (Plain os
    calls: this runs for every new file, and the folder is made only when it is missing.)"""
    partial = os.path.join(target.parent, f".{target.name}.{os.getpid()}.partial")  # workers may race
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(partial, flags, 0o644)
    except FileNotFoundError:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(partial, flags, 0o644)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(partial, target)


def entries(state_dir: Path) -> list[tuple[str, ...]]:
    with _connect(state_dir) as db:
        return db.execute(
            "SELECT sha256, file_name, first_seen, arrived, agency, verdict, superseded_by "
            "FROM submissions ORDER BY arrived, file_name"
        ).fetchall()


class Outcome(StrEnum):
    STARTED = "started"  # and never ended: the run was killed, or is still running
    PUBLISHED = "published"
    FAILED = "failed"


@dataclass(frozen=True)
class Run:
    id: int
    command: str
    started: str
    ended: str | None
    outcome: Outcome
    detail: str


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def begin_run(state_dir: Path, command: str) -> int:
    """Record the start of a run (committed at once, so a run that never ends stays visible)."""
    with _connect(state_dir) as db:
        cursor = db.execute(
            "INSERT INTO runs (command, started, outcome) VALUES (?, ?, ?)",
            (command, _now(), Outcome.STARTED),
        )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def publish_run(
    state_dir: Path,
    run_id: int,
    submissions: list[Submission],
    superseded: list[tuple[str, str]],
    publish: Callable[[], None],
) -> None:
    """The run's rows, its superseded files and its end in one transaction, committed only after
    `publish` (which makes the run's outputs visible) has succeeded; rolled back if it fails."""
    db = _connect(state_dir)
    try:
        with db:
            now = _now()
            _record_rows(db, submissions, now)
            db.executemany(
                "UPDATE submissions SET superseded_by = ? WHERE sha256 = ?",
                [(new, old) for old, new in superseded],
            )
            db.execute(
                "UPDATE runs SET ended = ?, outcome = ? WHERE id = ?", (now, Outcome.PUBLISHED, run_id)
            )
            publish()
    finally:
        db.close()


def fail_run(state_dir: Path, run_id: int, detail: str) -> None:
    with _connect(state_dir) as db:
        db.execute(
            "UPDATE runs SET ended = ?, outcome = ?, detail = ? WHERE id = ?",
            (_now(), Outcome.FAILED, detail, run_id),
        )


def outcome(state_dir: Path, run_id: int) -> Outcome | None:
    with _connect(state_dir) as db:
        row = db.execute("SELECT outcome FROM runs WHERE id = ?", (run_id,)).fetchone()
    return Outcome(row[0]) if row else None


def runs(state_dir: Path) -> list[Run]:
    with _connect(state_dir) as db:
        rows = db.execute(
            "SELECT id, command, started, ended, outcome, detail FROM runs ORDER BY id"
        ).fetchall()
    return [Run(*row[:4], Outcome(row[4]), row[5]) for row in rows]


@dataclass(frozen=True)
class Vanished:
    """A file the ledger holds for an agency that is no longer in the inbox."""

    sha256: str
    file_name: str
    agency: str
    arrived: datetime
    archived: Path | None  # None when the archive copy is missing too


def vanished(state_dir: Path, submissions: list[Submission]) -> list[Vanished]:
    """Files recorded for an agency, not replaced by a later one, whose bytes and name are both
    gone from this run's inbox: without them the run would silently drop the agency's values."""
    present_sha = {s.sha256 for s in submissions}
    present_name = {s.file for s in submissions}
    if not (state_dir / LEDGER).exists():
        return []
    with _connect(state_dir) as db:
        rows = db.execute(
            "SELECT sha256, file_name, agency, arrived FROM submissions WHERE agency != '' "
            "AND verdict != 'refused' AND superseded_by IS NULL ORDER BY arrived, file_name"
        ).fetchall()
    found = []
    for sha, name, agency, arrived in rows:
        if sha in present_sha or name in present_name:
            continue
        copy = archive_path(state_dir, sha, name)
        found.append(
            Vanished(sha, name, agency, datetime.fromisoformat(arrived), copy if copy.is_file() else None)
        )
    return found
