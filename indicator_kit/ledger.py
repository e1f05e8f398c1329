"""Evidence that outlives the inbox: a content-addressed archive and a submission ledger (SQLite).

Every file read is copied to `archive/<sha256>.<ext>` and recorded once with the time it first
arrived, so the inbox can be cleaned without losing anything and lateness is judged from the first
arrival. Each run is recorded too (id, start, end, outcome): its rows are committed in the same
transaction as its end, after its outputs were published, so a run that failed or was killed is
visible and has left no rows behind.
"""

from __future__ import annotations

import ctypes
import errno
import functools
import hashlib
import os
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from indicator_kit.collect.inbox import display_name, inbox_files
from indicator_kit.collect.model import Archived, ArchiveNote, Submission
from indicator_kit.errors import FaultError
from indicator_kit.faults import IOFault, os_fault
from indicator_kit.files import read_at, remove_leftovers, write_atomic

LEDGER = "ledger.sqlite"
ARCHIVE = "archive"
SUBMISSIONS_TABLE = (
    "CREATE TABLE IF NOT EXISTS submissions (sha256 TEXT PRIMARY KEY, file_name TEXT NOT NULL, "
    "first_seen TEXT NOT NULL, arrived TEXT NOT NULL, agency TEXT, verdict TEXT, superseded_by TEXT)"
)
RUNS_TABLE = (
    "CREATE TABLE IF NOT EXISTS runs (id INTEGER PRIMARY KEY, command TEXT NOT NULL, "
    "started TEXT NOT NULL, ended TEXT, outcome TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '')"
)


class LedgerDamagedError(FaultError):
    """The ledger cannot be trusted; it is kept as it is and nothing is written over it."""

    @classmethod
    def about(cls, path: Path, detail: str) -> LedgerDamagedError:
        state = path.parent
        return cls(
            f"Sổ ghi nhận {path} bị hỏng ({detail}). Lệnh dừng lại và không ghi gì lên sổ; tệp được "
            f"giữ nguyên. Cách khôi phục: chép lại bản sao lưu gần nhất của tệp này, hoặc chạy "
            f'"indicator-kit ledger rebuild --state-dir {state}" để dựng lại sổ từ kho lưu trữ '
            f"{state / ARCHIVE} (tệp hỏng được cất lại bên cạnh, ngày nộp đầu tiên còn biết được "
            "giữ nguyên), rồi chạy lại lệnh."
        )


def sqlite_fault(exc: sqlite3.Error, ledger: Path) -> FaultError:
    """The `FaultError` for SQLite refusing the ledger: full disk, no write right, or damage."""
    text = str(exc).lower()
    if "full" in text:
        return os_fault(OSError(errno.ENOSPC, "disk full"), ledger)
    if "readonly" in text or "read-only" in text or "unable to open" in text:
        return os_fault(OSError(errno.EACCES, "denied"), ledger)
    if "disk i/o" in text:
        return IOFault(
            f"Không ghi/đọc được sổ ghi nhận {ledger} (lỗi đọc ghi ổ đĩa). Hãy kiểm tra ổ đĩa rồi chạy lại."
        )
    return LedgerDamagedError.about(ledger, str(exc))


def _archive_holds_entries(state_dir: Path) -> bool:
    try:
        return any(not name.startswith(".") for name in os.listdir(state_dir / ARCHIVE))
    except OSError:
        return False


def _ensure_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise os_fault(exc, folder) from None


def _connect(state_dir: Path, create: bool = True) -> sqlite3.Connection:
    """The ledger, verified; with `create`, made (with its table) when there is none yet."""
    if create:
        _ensure_folder(state_dir)
    path = state_dir / LEDGER
    try:
        blank = path.stat().st_size == 0
    except FileNotFoundError:
        blank = True
    except OSError as exc:
        raise os_fault(exc, path) from None
    if blank and _archive_holds_entries(state_dir):
        raise LedgerDamagedError.about(
            path, "tệp trống hoặc không còn, trong khi kho lưu trữ vẫn giữ các tệp đã nộp"
        )
    try:
        db = sqlite3.connect(path)
        _verify(db, path, blank, state_dir)
        if create:
            db.execute(SUBMISSIONS_TABLE)
            db.execute(RUNS_TABLE)
            present = {row[1] for row in db.execute("PRAGMA table_info(submissions)")}
            for column in MAIL_COLUMNS:  # added later: older ledgers gain them empty
                if column not in present:
                    db.execute(f"ALTER TABLE submissions ADD COLUMN {column} TEXT")
    except sqlite3.Error as exc:
        raise sqlite_fault(exc, path) from None
    return db


def _verify(db: sqlite3.Connection, path: Path, blank: bool, state_dir: Path) -> None:
    """Refuse a damaged ledger instead of quietly starting a new one beside the archive: SQLite
    would treat a zeroed or truncated file as empty, or fail later in the middle of a run."""
    if blank:
        return
    problems = [row[0] for row in db.execute("PRAGMA quick_check").fetchall()]
    if problems != ["ok"]:
        raise LedgerDamagedError.about(path, "; ".join(problems[:3]))
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "submissions" not in tables and _archive_holds_entries(state_dir):
        raise LedgerDamagedError.about(path, "không có bảng các tệp đã nộp")


@contextmanager
def _ledger(state_dir: Path) -> Iterator[sqlite3.Connection]:
    """One transaction on the ledger; SQLite's refusals (full disk, no write right, damage)
    become faults that name the ledger."""
    db = _connect(state_dir)
    try:
        with db:
            yield db
    except sqlite3.Error as exc:
        raise sqlite_fault(exc, state_dir / LEDGER) from None
    finally:
        db.close()


def prepare(state_dir: Path) -> list[Path]:
    """At the start of a run, under the lock: refuse a damaged ledger before anything is read
    (without writing anything yet), and remove the temporary files an interrupted run left in
    the archive. Returns them."""
    if (state_dir / LEDGER).exists() or _archive_holds_entries(state_dir):
        _connect(state_dir, create=False).close()  # an archive without its ledger is refused
    return remove_leftovers(state_dir / ARCHIVE)


def discard(submissions: list[Submission]) -> None:
    """Remove what the workers staged for a run that stops before publishing it."""
    for sub in submissions:
        if sub.archive.partial:
            with suppress(OSError):
                os.unlink(sub.archive.partial)
            sub.archive = replace(sub.archive, partial="")


# For a workbook taken out of an e-mail or zip: the received file (archived under its own hash)
# and the message that carried the workbook: its sender's address, subject and Date header.
MAIL_COLUMNS = ("message_sha256", "message_file", "sender", "subject", "mail_date")


def _mail_fields(sub: Submission) -> tuple[str, str, str, str, str]:
    envelope = sub.envelope
    if envelope is None:
        return ("", "", "", "", "")
    mail = envelope.mail
    return (
        envelope.sha256,
        envelope.file,
        mail.sender if mail else "",
        mail.subject if mail else "",
        mail.date.isoformat() if mail and mail.date else "",
    )


def _arrived(sub: Submission) -> str:
    """A file's arrival when the ledger first sees it: its time in the inbox."""
    return datetime.fromtimestamp(sub.mtime, UTC).isoformat(timespec="seconds")


def arrivals(state_dir: Path, submissions: list[Submission]) -> dict[str, datetime]:
    """Each file's first arrival by sha256: from the ledger, or now for a file it has not seen.
    What `publish_run` will store, known before it writes (so the writing can overlap other work)."""
    known: dict[str, str] = {}
    if (state_dir / LEDGER).exists():  # read only: a command that records nothing creates nothing
        with _ledger(state_dir) as db:
            known = dict(db.execute("SELECT sha256, arrived FROM submissions").fetchall())
    for sub in _earliest_first(submissions):
        if sub.sha256 and sub.sha256 not in known:
            known[sub.sha256] = _arrived(sub)
    return {sha: datetime.fromisoformat(arrived) for sha, arrived in known.items()}


def _earliest_first(submissions: list[Submission]) -> list[Submission]:
    """Copies of the same bytes arrived when the oldest copy did, whatever their names' order
    (a copy saved again today must not move the first arrival, nor depend on which run saw it)."""
    return sorted(submissions, key=lambda sub: sub.mtime)


KEPT = (Archived.PRESENT, Archived.STAGED, Archived.REPAIRED)


def record(state_dir: Path, submissions: list[Submission]) -> None:
    """Publish the archive entries the workers staged, then record every archived file (a file
    keeps the arrival it was first recorded with). A row is written only once its bytes are in
    the archive, durably: the ledger never names bytes the archive does not hold. (A run records
    its rows with its end instead: `publish_run`.)"""
    publish(state_dir, submissions)
    with _ledger(state_dir) as db:
        _record_rows(db, submissions, _now())


def _record_rows(db: sqlite3.Connection, submissions: list[Submission], now: str) -> None:
    """Every archived file, once (a file keeps the arrival it was first recorded with)."""
    kept = [sub for sub in _earliest_first(submissions) if sub.sha256 and sub.archive.state in KEPT]
    db.executemany(
        "INSERT OR IGNORE INTO submissions (sha256, file_name, first_seen, arrived) VALUES (?, ?, ?, ?)",
        [(sub.sha256, sub.file, now, _arrived(sub)) for sub in kept],
    )
    db.executemany(
        "UPDATE submissions SET agency = ?, verdict = ? WHERE sha256 = ?",
        [(sub.agency or "", sub.verdict, sub.sha256) for sub in kept],
    )
    db.executemany(  # the first message a workbook came in stays its evidence
        "UPDATE submissions SET message_sha256 = ?, message_file = ?, sender = ?, subject = ?, "
        "mail_date = ? WHERE sha256 = ? AND message_sha256 IS NULL",
        [(*_mail_fields(sub), sub.sha256) for sub in kept if sub.envelope is not None],
    )


def archive_dir(state_dir: Path) -> Path:
    return state_dir / ARCHIVE


def entry_name(sha256: str, file_name: str) -> str:
    return f"{sha256}{Path(file_name).suffix.lower() or '.bin'}"


def archive_path(state_dir: Path, sha256: str, file_name: str) -> Path:
    return state_dir / ARCHIVE / entry_name(sha256, file_name)


def stage(archive: Path, sha256: str, file_name: str, data: bytes, arrived: float) -> ArchiveNote:
    """In the worker that judged `data`: make sure the archive will hold exactly these bytes.

    An entry already equal to them is left alone (a rerun reads it back: the cheapest proof that
    the name still matches the bytes). Otherwise the bytes go to a temporary file beside the
    entry, are read back and compared, and the parent renames the file into place after one
    flush to disk for the whole run (`publish`): one fsync per file would cost more than reading
    it. The bytes themselves never cross to the parent. An entry's modification time is the
    file's first arrival, so `rebuild` can recover it."""
    target = os.path.join(archive, entry_name(sha256, file_name))
    flags = os.O_RDWR | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)
    partial = ""
    try:
        try:
            with open(target, "rb") as existing:
                size = os.fstat(existing.fileno()).st_size
                if size == len(data) and existing.read() == data:
                    return ArchiveNote(Archived.PRESENT)
                arrived = os.fstat(existing.fileno()).st_mtime  # the repaired entry keeps its arrival
            state = Archived.REPAIRED
        except FileNotFoundError:
            state = Archived.STAGED
        partial = os.path.join(archive, f".{entry_name(sha256, file_name)}.{os.getpid()}.partial")
        try:
            fd = os.open(partial, flags, 0o644)
        except FileNotFoundError:
            os.makedirs(archive, exist_ok=True)
            fd = os.open(partial, flags, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            if read_at(fd, len(data) + 1, 0) != data:
                raise OSError(errno.EIO, "archive copy reads back different bytes", partial)
        finally:
            os.close(fd)
        os.utime(partial, (arrived, arrived))
        return ArchiveNote(state, partial=partial)
    except OSError as exc:
        if partial:
            with suppress(OSError):
                os.unlink(partial)
        return ArchiveNote(Archived.FAILED, errno=exc.errno or errno.EIO, path=exc.filename or target)


def publish(state_dir: Path, submissions: list[Submission]) -> None:
    """Rename the staged archive entries into place once they are on disk; raise a fault (and
    remove the staged files) if a worker could not write one. Call it as soon as the files are
    read: an entry is named by its hash, so publishing early harms nothing, and a run that cannot
    keep its evidence stops before it writes any output. `record` calls it too (then a no-op)."""
    check_staged(submissions)
    staged = {sub.archive.partial: sub for sub in submissions if sub.archive.partial}
    if not staged:
        return
    # The ledger exists before the archive grows, so that an archive without a ledger can only
    # mean a lost ledger (refused by `prepare`), never a first run that stopped halfway.
    _connect(state_dir).close()
    folder = state_dir / ARCHIVE
    try:
        flush_to_disk(folder, list(staged))
        for partial, sub in staged.items():
            os.replace(partial, folder / entry_name(sub.sha256, sub.file))
        flush_to_disk(folder, [])
    except OSError as exc:
        raise os_fault(exc, folder, sum(sub.size for sub in staged.values())) from None
    for sub in submissions:
        if sub.archive.partial:
            sub.archive = replace(sub.archive, partial="")  # published: a second call has nothing to do


def check_staged(submissions: list[Submission]) -> None:
    """Raise the fault (full disk, no write right…) a worker met while staging an entry, after
    removing what the others staged: a run that cannot keep its evidence writes nothing."""
    failed = [sub for sub in submissions if sub.archive.state is Archived.FAILED]
    if failed:
        needed = sum(sub.size for sub in submissions if sub.archive.partial or sub in failed)
        discard(submissions)
        note = failed[0].archive
        folder = Path(note.path).parent  # the archive: the entry's own name would tell nobody anything
        raise os_fault(OSError(note.errno, os.strerror(note.errno), note.path), folder, needed)


def flush_to_disk(folder: Path, files: list[str]) -> None:
    """Make `files` (and the folder's entries) durable. On Linux one syncfs(2) flushes the whole
    file system at once — milliseconds for a run's worth of files, where fsync per file costs
    ~7 ms each; elsewhere each file is fsynced."""
    if sys.platform.startswith("linux"):
        fd = os.open(folder, os.O_RDONLY)
        try:
            if _libc().syncfs(fd) == 0:
                return
        finally:
            os.close(fd)
    for name in files:
        fd = os.open(name, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@functools.cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def entries(state_dir: Path) -> list[tuple[str, ...]]:
    with _ledger(state_dir) as db:
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
    with _ledger(state_dir) as db:
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
    with _ledger(state_dir) as db:
        now = _now()
        _record_rows(db, submissions, now)
        db.executemany(
            "UPDATE submissions SET superseded_by = ? WHERE sha256 = ?",
            [(new, old) for old, new in superseded],
        )
        db.execute("UPDATE runs SET ended = ?, outcome = ? WHERE id = ?", (now, Outcome.PUBLISHED, run_id))
        publish()


def fail_run(state_dir: Path, run_id: int, detail: str) -> None:
    with _ledger(state_dir) as db:
        db.execute(
            "UPDATE runs SET ended = ?, outcome = ?, detail = ? WHERE id = ?",
            (_now(), Outcome.FAILED, detail, run_id),
        )


def outcome(state_dir: Path, run_id: int) -> Outcome | None:
    with _ledger(state_dir) as db:
        row = db.execute("SELECT outcome FROM runs WHERE id = ?", (run_id,)).fetchone()
    return Outcome(row[0]) if row else None


def runs(state_dir: Path) -> list[Run]:
    with _ledger(state_dir) as db:
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
    with _ledger(state_dir) as db:
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


@dataclass
class LedgerCheck:
    """`ledger check`: does every row have its bytes, and does every entry hash to its name?"""

    rows: int = 0
    entries: int = 0
    missing: list[tuple[str, str]] = field(default_factory=list)  # rows (sha256, file) with no bytes
    damaged: list[str] = field(default_factory=list)  # entries whose bytes do not hash to their name
    orphans: list[str] = field(default_factory=list)  # entries no row names
    leftovers: list[str] = field(default_factory=list)  # temporary files of an interrupted run

    @property
    def clean(self) -> bool:
        return not (self.missing or self.damaged or self.orphans)


def _archive_entries(state_dir: Path) -> tuple[dict[str, Path], list[str]]:
    """Archive entries by the sha256 their name claims, and the temporary files beside them."""
    folder = state_dir / ARCHIVE
    entries: dict[str, Path] = {}
    leftovers: list[str] = []
    try:
        names = sorted(os.listdir(folder))
    except FileNotFoundError:
        return entries, leftovers
    except OSError as exc:
        raise os_fault(exc, folder) from None
    for name in names:
        if name.startswith("."):
            leftovers.append(name)
        else:
            entries[name.split(".", 1)[0]] = folder / name
    return entries, leftovers


def _hash_file(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError as exc:
        raise os_fault(exc, path) from None


def check(state_dir: Path) -> LedgerCheck:
    """Verify ledger ↔ archive; raises LedgerDamagedError when the ledger itself is unreadable."""
    with _ledger(state_dir) as db:
        rows = db.execute("SELECT sha256, file_name FROM submissions ORDER BY arrived, file_name").fetchall()
    entries, leftovers = _archive_entries(state_dir)
    result = LedgerCheck(rows=len(rows), entries=len(entries), leftovers=leftovers)
    named = set()
    for sha256, file_name in rows:
        named.add(sha256)
        if sha256 not in entries:
            result.missing.append((sha256, file_name))
    for sha256, path in entries.items():
        if _hash_file(path) != sha256:
            result.damaged.append(path.name)
        if sha256 not in named:
            result.orphans.append(path.name)
    return result


@dataclass
class Rebuilt:
    """`ledger rebuild`: what the new ledger holds and where its dates came from."""

    rows: int = 0
    from_old_ledger: int = 0  # rows (and their first arrival) salvaged from the damaged ledger
    from_archive: int = 0  # rows whose first arrival is the archive entry's time
    named_from_inbox: int = 0  # entries whose file name was found by hashing the inbox
    repaired: list[str] = field(default_factory=list)  # damaged entries rewritten from the inbox
    damaged: list[str] = field(default_factory=list)  # damaged entries with no good copy; left alone
    lost: list[tuple[str, str]] = field(default_factory=list)  # old rows whose bytes are nowhere
    kept_aside: Path | None = None  # where the old ledger went


COLUMNS = ("sha256", "file_name", "first_seen", "arrived", "agency", "verdict", "superseded_by")


def _salvage(path: Path) -> dict[str, tuple[str | None, ...]]:
    """Whatever rows of a damaged ledger can still be read (each one keeps its first arrival)."""
    rows: dict[str, tuple[str | None, ...]] = {}
    try:
        if path.stat().st_size == 0:
            return rows
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except (OSError, sqlite3.Error):
        return rows
    try:
        for row in db.execute(f"SELECT {', '.join(COLUMNS)} FROM submissions"):
            if isinstance(row[0], str) and row[2] and row[3]:
                rows[row[0]] = tuple(row)
    except sqlite3.Error:
        pass  # the readable part is kept
    finally:
        db.close()
    return rows


def rebuild(state_dir: Path, inbox: Path | None = None) -> Rebuilt:
    """A new ledger from the archive: every entry whose bytes match its name gets a row; its first
    arrival comes from the old ledger where that row can still be read, else from the entry's time
    (set to the first arrival when it was archived). With `inbox`, file names are recovered and
    damaged entries repaired from files with the same hash. The old ledger is kept aside, never
    deleted; the new one replaces it in one rename."""
    path = state_dir / LEDGER
    old = _salvage(path)
    entries, _ = _archive_entries(state_dir)
    in_inbox = _inbox_by_hash(inbox) if inbox is not None else {}
    result = Rebuilt()
    rows = []
    for sha256, entry in sorted(entries.items()):
        if _hash_file(entry) != sha256:
            if sha256 not in in_inbox:
                result.damaged.append(entry.name)
                continue
            data = in_inbox[sha256][1].read_bytes()
            if hashlib.sha256(data).hexdigest() != sha256:
                result.damaged.append(entry.name)
                continue
            write_atomic(entry, data)
            result.repaired.append(entry.name)
        if sha256 in old:
            rows.append(old[sha256])
            result.from_old_ledger += 1
            continue
        moment = datetime.fromtimestamp(entry.stat().st_mtime, UTC).isoformat(timespec="seconds")
        name = in_inbox[sha256][0] if sha256 in in_inbox else entry.name
        result.named_from_inbox += sha256 in in_inbox
        rows.append((sha256, name, moment, moment, None, None, None))
        result.from_archive += 1
    result.lost = sorted((sha, str(row[1])) for sha, row in old.items() if sha not in entries)
    result.rows = len(rows)
    fresh = state_dir / f".{LEDGER}.{os.getpid()}.tmp"
    try:
        with suppress(FileNotFoundError):
            fresh.unlink()
        db = sqlite3.connect(fresh)
        with db:
            db.execute(SUBMISSIONS_TABLE)
            db.executemany(f"INSERT INTO submissions VALUES ({', '.join('?' * len(COLUMNS))})", rows)
        db.close()
        flush_to_disk(state_dir, [str(fresh)])
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        if path.exists():
            result.kept_aside = state_dir / f"{LEDGER}.replaced-{stamp}"
            os.replace(path, result.kept_aside)
        for suffix in ("-journal", "-wal", "-shm"):  # never let SQLite replay the old journal on the new file
            side = state_dir / f"{LEDGER}{suffix}"
            if side.exists():
                os.replace(side, state_dir / f"{LEDGER}.replaced-{stamp}{suffix}")
        os.replace(fresh, path)
    except sqlite3.Error as exc:
        raise sqlite_fault(exc, fresh) from None
    except OSError as exc:
        raise os_fault(exc, state_dir) from None
    finally:
        with suppress(OSError):
            fresh.unlink()
    return result


def _inbox_by_hash(inbox: Path) -> dict[str, tuple[str, Path]]:
    found: dict[str, tuple[str, Path]] = {}
    for file in inbox_files(inbox):
        with suppress(OSError), file.open("rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
            found.setdefault(digest, (display_name(file, inbox), file))
    return found
