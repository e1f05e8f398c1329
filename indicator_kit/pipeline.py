"""The commands that read returns, as library calls: collect, merge, status and reminders.

Each is one run, and a run is a transaction:
1. it holds the lock of every folder it writes (state, outputs, master), or stops at once; it
   refuses a damaged ledger and removes what an interrupted run left (temporary files, a half
   publication);
2. it records its start in the ledger, reads every return — each worker stages the bytes it
   judged in the archive — and merges them (`read_returns`);
3. it publishes those archive entries before any output is published (no evidence, no
   outputs), and renders its outputs and stages them beside their targets — the master
   workbook in a child process beside the parent, while the parent publishes the evidence and
   renders the rest;
4. only when every step has succeeded are the outputs published together, and the ledger's rows
   and the run's end committed in one transaction after them. On any failure every output keeps
   its earlier bytes, the ledger its earlier rows, the run is recorded as failed, and the error
   carries a note saying what did not happen.

The CLI parses options, calls one function here and prints its result.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TypeVar

from filelock import FileLock, Timeout

from indicator_kit import ledger, processes
from indicator_kit.catalog.spec import Spec
from indicator_kit.collect import recall
from indicator_kit.collect.limits import Arrival, Limits
from indicator_kit.collect.model import Archived, Submission
from indicator_kit.collect.recall import Recalled
from indicator_kit.collect.report import FINDINGS_XLSX, all_findings, findings_workbook, report_files
from indicator_kit.collect.run import check_signers, collect_archived, collect_inbox
from indicator_kit.collect.run import require_values as refuse_empty
from indicator_kit.errors import FaultError
from indicator_kit.files import Staging, read_journal, recover, remove_leftovers
from indicator_kit.findings import Finding
from indicator_kit.merge.core import Master, merge
from indicator_kit.merge.outputs import MASTER_CSV, MASTER_XLSX, render_master
from indicator_kit.plan import Plan
from indicator_kit.verdict import Verdicts, arrived_by, judge

T = TypeVar("T")

LOCK = ".indicator-kit.lock"
JOURNAL = ".publishing.json"  # in the state folder, while a run replaces its outputs


class BusyError(FaultError):
    """Another run is writing one of the folders this run writes."""


@dataclass(frozen=True)
class ReturnsOptions:
    """What every command that reads returns is given, the same for all of them."""

    state_dir: Path  # the archive, the ledger
    accepted: frozenset[str] = frozenset()  # files accepted although their identity does not verify
    key_file: Path | None = None  # the office key's file, named when returns carry another key
    as_of: date | None = None  # count only the files arrived by the end of this day (default: all)
    on_file: Callable[[Submission], None] | None = None  # each file's result as it is read (progress)
    arrival: Arrival = Arrival.INBOX  # a new file's first arrival: in the inbox, or its e-mail's Date


@dataclass(frozen=True)
class Returns:
    """One reading of the returns: the files judged (those arrived by `as_of`), the master merged
    from them, every agency's verdict, what the ledger knew that nothing holds any more, every
    file read (what the ledger records) and the temporary files of an interrupted run removed."""

    submissions: list[Submission]
    master: Master
    verdicts: Verdicts
    lost: list[ledger.Vanished]
    read: list[Submission]
    leftovers: list[Path] = field(default_factory=list)
    recalled: Recalled | None = None  # the verdicts of earlier runs this reading could take
    from_inbox: int = 0  # `read` begins with the inbox's files; the rest came from the archive

    @property
    def repaired(self) -> list[Submission]:
        """Files whose archive entry did not hold their bytes, written again from what was read."""
        return [s for s in self.read if s.archive.state is Archived.REPAIRED]

    @property
    def findings(self) -> list[Finding]:
        """Every finding of the run: the files' own, then the merge's (cross-agency)."""
        return all_findings(self.submissions) + self.master.findings

    @property
    def errors(self) -> int:
        return sum(s.errors for s in self.submissions)


@dataclass(frozen=True)
class MasterPaths:
    xlsx: Path
    csv: Path


@dataclass(frozen=True)
class CollectResult:
    returns: Returns
    findings_dir: Path
    feedback: list[Path]
    master: MasterPaths


@dataclass(frozen=True)
class MergeResult:
    returns: Returns
    master: MasterPaths


@dataclass(frozen=True)
class StatusResult:
    returns: Returns
    html: Path


@dataclass(frozen=True)
class RemindersResult:
    returns: Returns
    written: list[Path]
    removed: list[Path]  # letters of an earlier run no longer needed


def read_returns(
    plan: Plan,
    inbox: Path,
    options: ReturnsOptions,
    require_values: bool = False,
    leftovers: list[Path] | None = None,
) -> Returns:
    """Read the inbox (and, from the archive, files the ledger holds that have left it), keep what
    had arrived by `as_of`, merge, and judge every agency once; lateness from the ledger's first
    arrivals. Each file is read once, in a worker, which also stages the bytes it judged in the
    archive; `_run` publishes those entries before any output (a worker that could not stage its
    file stops the run here, and what the others staged is removed). Returns signed with another
    office key stop the run before any identity is judged (check_signers); `require_values`
    refuses an inbox with no filled-in workbook. `leftovers`: what the run removed before
    reading, for the result."""
    spec, state = plan.spec, options.state_dir
    limits = _limits(options)
    recalled = recall.load(state, recall.fingerprint(spec, limits))
    archive = ledger.archive_dir(state)
    read = collect_inbox(inbox, plan, limits=limits, archive=archive, done=options.on_file, recalled=recalled)
    from_inbox = len(read)
    try:
        check_signers(read, limits, options.key_file)
        if require_values:
            refuse_empty(inbox, read)
        ledger.check_staged(read)  # a worker could not stage its file's bytes: stop here
        gone = ledger.vanished(state, read)
        kept = [(g.archived, g.file_name, g.arrived.timestamp()) for g in gone if g.archived]
        read += collect_archived(kept, plan, limits, recalled)
        arrivals = ledger.arrivals(state, read)
        day = options.as_of or date.today()
        judged, later = arrived_by(read, arrivals, day) if options.as_of else (read, [])
        master = merge(plan, judged, arrivals=arrivals)
        verdicts = judge(spec, master, judged, day, arrivals, later)
    except BaseException:
        ledger.discard(read)  # stopped before anything is kept
        raise
    lost = [g for g in gone if g.archived is None]
    return Returns(judged, master, verdicts, lost, read, leftovers or [], recalled, from_inbox)


def _limits(options: ReturnsOptions) -> Limits:
    return Limits(accepted=options.accepted, arrival=options.arrival)


def _remember(returns: Returns, options: ReturnsOptions) -> bytes | None:
    """The store of this run's verdicts for the next run (`collect.recall`): those of the inbox's
    files, and those the store already held of the files kept from the archive (a copy read from
    the archive carries a note of its own, and was judged under the archive entry's name)."""
    if returns.recalled is None:
        return None
    inbox, archived = returns.read[: returns.from_inbox], returns.read[returns.from_inbox :]
    return recall.prepared(returns.recalled, inbox, _limits(options), carried=archived)


def collect_campaign(
    plan: Plan, inbox: Path, options: ReturnsOptions, out_dir: Path, master_out: Path
) -> CollectResult:
    """Findings, feedback workbooks and the master of every return in `inbox`."""
    spec = plan.spec

    def stage(returns: Returns, staging: Staging) -> CollectResult:
        feedback = []
        rendered = report_files(out_dir, plan, returns.submissions, returns.verdicts, returns.master.findings)
        for path, data in rendered.items():
            staging.add(path, data)
            if path.parent == out_dir / "feedback":
                feedback.append(path)
        _remove_stale_feedback(staging, spec, out_dir / "feedback")
        return CollectResult(returns, out_dir, feedback, _master_paths(master_out))

    what = [
        f"danh sách lỗi và biểu phản hồi (thư mục {out_dir})",
        f"bảng tổng hợp ({master_out / MASTER_XLSX}, {MASTER_CSV})",
    ]
    return _run(
        "collect",
        plan,
        inbox,
        options,
        [out_dir, master_out],
        what,
        stage,
        master_out,
        require_values=True,
        findings_out=out_dir,
        tidy=[out_dir / "feedback"],
    )


def merge_campaign(plan: Plan, inbox: Path, options: ReturnsOptions, master_out: Path) -> MergeResult:
    """The master of every return in `inbox`."""
    what = [f"bảng tổng hợp ({master_out / MASTER_XLSX}, {MASTER_CSV})"]
    return _run(
        "merge",
        plan,
        inbox,
        options,
        [master_out],
        what,
        lambda returns, _: MergeResult(returns, _master_paths(master_out)),
        master_out,
        require_values=True,
    )


def campaign_status(plan: Plan, inbox: Path, options: ReturnsOptions, html_path: Path) -> StatusResult:
    """Who has returned, who is late, who must resend (as of `options.as_of`); the status page."""
    from indicator_kit.merge.status import status_html  # jinja2: only the commands that need it

    spec = plan.spec

    def stage(returns: Returns, staging: Staging) -> StatusResult:
        staging.add(html_path, status_html(spec, returns.verdicts, len(returns.master.disagreements)))
        return StatusResult(returns, html_path)

    what = [f"trang tình hình nộp ({html_path})"]
    return _run("status", plan, inbox, options, [html_path.parent], what, stage)


def remind_campaign(
    plan: Plan,
    spec_dir: Path,
    inbox: Path,
    options: ReturnsOptions,
    out_dir: Path,
    templates: Path,
    reply_by: date | None = None,
) -> RemindersResult:
    """A reminder for each agency with nothing received and a correction request for each that
    must fix or resend, judged exactly as collect and status judge them; the letters of an earlier
    run that are no longer needed go (or `mail send` would send them)."""
    from indicator_kit.mail.outbox import reminder_files, stale_reminders  # email, jinja2

    def stage(returns: Returns, staging: Staging) -> RemindersResult:
        letters = reminder_files(plan, spec_dir, returns.verdicts, templates, reply_by)
        for name, data in letters.items():
            staging.add(out_dir / name, data)
        stale = stale_reminders(out_dir, set(letters))
        for path in stale:
            staging.remove(path)
        return RemindersResult(returns, [out_dir / name for name in letters], stale)

    what = [f"thư nhắc nộp và đề nghị sửa (thư mục {out_dir})"]
    return _run("mail reminders", plan, inbox, options, [out_dir], what, stage)


def _run(
    command: str,
    plan: Plan,
    inbox: Path,
    options: ReturnsOptions,
    folders: list[Path],
    what: list[str],
    stage: Callable[[Returns, Staging], T],
    master_out: Path | None = None,
    require_values: bool = False,
    findings_out: Path | None = None,
    tidy: Iterable[Path] = (),
) -> T:
    """One run as a transaction (the module's docstring). `stage` renders and stages the
    command's own outputs and returns its result; the master, when the command writes one, is
    rendered beside it, and findings.xlsx into `findings_out` after `stage`. `what` names the outputs
    for the message of a run that did not publish; `tidy`: folders inside `folders` whose
    temporary files of an interrupted run are removed too."""
    state = options.state_dir
    journal = state / JOURNAL
    interrupted = read_journal(journal)
    # the folders of a killed run's outputs are put back under their locks too
    written = [state, *folders]
    also = {p.parent for p, _ in interrupted.targets} if interrupted else set()
    also = {f for f in also if not any(f.resolve().is_relative_to(w.resolve()) for w in written)}
    with exclusive([*written, *also]):
        leftovers = ledger.prepare(state)  # a damaged ledger is refused before anything is done
        _recover(state, journal)
        leftovers += [path for folder in [state, *folders, *tidy] for path in remove_leftovers(folder)]
        run_id = ledger.begin_run(state, command)
        staging = Staging(journal, str(run_id))
        returns: Returns | None = None
        store: bytes | None = None  # the verdicts kept for the next run, written once this one commits
        try:
            returns = read_returns(plan, inbox, options, require_values, leftovers)
            master_staged = _stage_master_beside(plan.spec, returns, master_out) if master_out else None
            try:
                ledger.publish(state, returns.read)  # no evidence, no outputs (beside the child)
                result = stage(returns, staging)
                if findings_out is not None:  # the other workbook for people, on this core
                    staging.add(
                        findings_out / FINDINGS_XLSX,
                        findings_workbook(plan.spec, returns.findings, returns.verdicts),
                    )
                store = _remember(returns, options)  # (while the master's child still works)
            except BaseException:
                if master_staged is not None:  # the child is always waited for
                    with contextlib.suppress(Exception):
                        staging.adopt(master_staged())
                raise
            if master_staged is not None:
                staging.adopt(master_staged())
            superseded = _superseded(returns.master)
            ledger.publish_run(state, run_id, returns.read, superseded, staging.publish)
            if store is not None:
                recall.save(state, store)
        except BaseException as exc:
            if returns is not None:
                ledger.discard(returns.read)  # what was staged and not published (none once it was)
            staging.roll_back()
            with contextlib.suppress(sqlite3.Error, OSError):  # the run then stays "started": still visible
                ledger.fail_run(state, run_id, f"{type(exc).__name__}: {exc}")
            exc.add_note(_not_published(what, state))
            raise
        staging.finish()
    return result


def _recover(state: Path, journal: Path) -> None:
    """Undo the publication of a run killed while it replaced its outputs (or, if it was
    recorded, only tidy up after it), before this run starts."""
    interrupted = read_journal(journal)
    if interrupted is None:
        return
    run_id = int(interrupted.tag)
    committed = ledger.outcome(state, run_id) is ledger.Outcome.PUBLISHED
    recover(journal, committed)
    if not committed:
        ledger.fail_run(state, run_id, "stopped while publishing; its outputs were put back")


def _not_published(what: list[str], state: Path) -> str:
    kept = "; ".join([*what, f"sổ theo dõi ({state / ledger.LEDGER})"])
    return (
        f"Lần chạy này chưa hoàn tất nên không có kết quả nào của nó được ghi: {kept} — "
        "vẫn giữ nguyên như sau lần chạy trước."
    )


def _remove_stale_feedback(staging: Staging, spec: Spec, folder: Path) -> None:
    """An agency's feedback workbook that an earlier run left and this run does not make again
    (its return is fine now) goes when this run is published."""
    for agency in spec.agencies:
        path = folder / f"{agency.slug}.xlsx"
        if path not in staging.staged and path.is_file():
            staging.remove(path)


def _superseded(master: Master) -> list[tuple[str, str]]:
    return [(old.sha256, s.current.sha256) for s in master.statuses if s.current for old in s.older]


def _stage_master_beside(spec: Spec, returns: Returns, master_out: Path) -> Callable[[], dict[Path, str]]:
    """Render and stage the master in a child beside the parent, the longest step, on the other
    core, while the parent renders the command's own outputs (and findings.xlsx)."""

    def work() -> dict[Path, str]:
        staging = Staging(master_out / JOURNAL)  # only stages (the parent publishes): no journal
        try:
            for name, data in render_master(spec, returns.master, returns.findings, returns.verdicts).items():
                staging.add(master_out / name, data)
        except BaseException:
            staging.discard()
            raise
        return staging.staged

    return processes.beside(work)


def _master_paths(master_out: Path) -> MasterPaths:
    return MasterPaths(master_out / MASTER_XLSX, master_out / MASTER_CSV)


@contextmanager
def exclusive(folders: Iterable[Path]) -> Iterator[None]:
    """Hold the lock of each folder (a lock file inside it), or stop at once: two runs never
    write the same folder, wherever the folders are and however they were named. Folders that
    exist are locked first, so that a busy one stops the run before any folder is created; the
    folders made only to hold a lock are removed again when the run stops without writing there."""
    distinct = {folder.resolve(): folder for folder in folders}
    order = sorted(distinct, key=lambda folder: (not folder.is_dir(), folder))
    created: list[Path] = []
    with contextlib.ExitStack() as held:
        try:
            for resolved in order:
                created += [p for p in (resolved, *resolved.parents) if not p.exists()]
                resolved.mkdir(parents=True, exist_ok=True)
                lock = FileLock(str(resolved / LOCK))
                try:
                    lock.acquire(timeout=0)
                except Timeout:
                    raise BusyError(
                        f"Đang có một lần chạy khác ghi vào thư mục {distinct[resolved]}. "
                        "Hãy đợi lần chạy đó xong rồi chạy lại."
                    ) from None
                held.callback(lock.release)
            yield
        except BaseException:
            _remove_unused(created)  # while the locks are held: nobody else can be using them
            raise


def _remove_unused(created: list[Path]) -> None:
    for folder in sorted(set(created), key=lambda f: len(f.parts), reverse=True):
        with contextlib.suppress(OSError):  # not empty: something was written there after all
            if [p.name for p in folder.iterdir()] in ([LOCK], []):
                (folder / LOCK).unlink(missing_ok=True)
                folder.rmdir()
