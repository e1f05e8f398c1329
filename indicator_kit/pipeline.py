"""The commands that read returns, as library calls: collect, merge, status and reminders.

Each is one run, and a run is a transaction:
1. it holds the lock of every folder it writes (state, outputs, master), or stops at once;
2. it records its start in the ledger, reads every return and merges them (`read_returns`);
3. it renders its outputs and stages them beside their targets — the master workbook in a child
   process beside the parent, while the parent archives the files and renders the rest;
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
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TypeVar

from filelock import FileLock, Timeout

from indicator_kit import ledger, processes, secret
from indicator_kit.catalog.model import Spec
from indicator_kit.collect.limits import Limits
from indicator_kit.collect.model import Submission
from indicator_kit.collect.report import all_findings, report_files
from indicator_kit.collect.run import collect_inbox
from indicator_kit.errors import FaultError
from indicator_kit.files import Staging, read_journal, recover
from indicator_kit.findings import Finding
from indicator_kit.merge.core import Master, merge
from indicator_kit.merge.outputs import MASTER_CSV, MASTER_XLSX, render_master

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


@dataclass(frozen=True)
class Returns:
    """Every returned file read, and the master merged from them."""

    submissions: list[Submission]
    master: Master

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


def read_returns(spec: Spec, inbox: Path, options: ReturnsOptions) -> Returns:
    """Read the inbox and merge, lateness judged from the ledger's first arrivals. Returns signed
    with another office key stop the run before any identity is judged (secret.check_signers)."""
    limits = Limits(accepted=options.accepted)
    submissions = collect_inbox(inbox, spec, limits=limits)
    secret.check_signers(submissions, limits, options.key_file)
    arrivals = ledger.arrivals(options.state_dir, submissions)
    return Returns(submissions, merge(spec, submissions, arrivals=arrivals))


def collect_campaign(
    spec: Spec, inbox: Path, options: ReturnsOptions, out_dir: Path, master_out: Path
) -> CollectResult:
    """Findings, feedback workbooks and the master of every return in `inbox`."""

    def stage(returns: Returns, staging: Staging) -> CollectResult:
        feedback = []
        for path, data in report_files(out_dir, spec, returns.submissions).items():
            staging.add(path, data)
            if path.parent == out_dir / "feedback":
                feedback.append(path)
        _remove_stale(staging, spec, out_dir / "feedback", ".xlsx")
        return CollectResult(returns, out_dir, feedback, _master_paths(master_out))

    what = [
        f"danh sách lỗi và biểu phản hồi (thư mục {out_dir})",
        f"bảng tổng hợp ({master_out / MASTER_XLSX}, {MASTER_CSV})",
    ]
    return _run("collect", spec, inbox, options, [out_dir, master_out], what, stage, master_out)


def merge_campaign(spec: Spec, inbox: Path, options: ReturnsOptions, master_out: Path) -> MergeResult:
    """The master of every return in `inbox`."""
    what = [f"bảng tổng hợp ({master_out / MASTER_XLSX}, {MASTER_CSV})"]
    return _run(
        "merge",
        spec,
        inbox,
        options,
        [master_out],
        what,
        lambda returns, _: MergeResult(returns, _master_paths(master_out)),
        master_out,
    )


def campaign_status(
    spec: Spec, inbox: Path, options: ReturnsOptions, html_path: Path, as_of: date
) -> StatusResult:
    """Who has returned, who is late, who must resend; the status page."""
    from indicator_kit.merge.status import status_html  # jinja2: only the commands that need it

    def stage(returns: Returns, staging: Staging) -> StatusResult:
        staging.add(html_path, status_html(spec, returns.master, as_of))
        return StatusResult(returns, html_path)

    what = [f"trang tình hình nộp ({html_path})"]
    return _run("status", spec, inbox, options, [html_path.parent], what, stage)


def remind_campaign(
    spec: Spec, spec_dir: Path, inbox: Path, options: ReturnsOptions, as_of: date, out_dir: Path
) -> RemindersResult:
    """Reminder drafts for agencies that have not returned and requests to fix for those whose
    return has errors, judged exactly as collect and status judge them."""
    from indicator_kit.mail.outbox import reminder_files  # email, jinja2: only this command

    def stage(returns: Returns, staging: Staging) -> RemindersResult:
        written = []
        for name, data in reminder_files(spec, spec_dir, returns.master, as_of).items():
            staging.add(out_dir / name, data)
            written.append(out_dir / name)
        _remove_stale(staging, spec, out_dir, ".eml")  # (or `mail send` would send them)
        return RemindersResult(returns, written)

    what = [f"thư nhắc nộp và đề nghị sửa (thư mục {out_dir})"]
    return _run("mail reminders", spec, inbox, options, [out_dir], what, stage)


def _run(
    command: str,
    spec: Spec,
    inbox: Path,
    options: ReturnsOptions,
    folders: list[Path],
    what: list[str],
    stage: Callable[[Returns, Staging], T],
    master_out: Path | None = None,
) -> T:
    """One run as a transaction (the module's docstring). `stage` renders and stages the
    command's own outputs and returns its result; the master, when the command writes one, is
    rendered beside it. `what` names the outputs for the message of a run that did not publish."""
    state = options.state_dir
    journal = state / JOURNAL
    interrupted = read_journal(journal)
    # the folders of a killed run's outputs are put back under their locks too
    written = [state, *folders]
    also = {p.parent for p, _ in interrupted.targets} if interrupted else set()
    also = {f for f in also if not any(f.resolve().is_relative_to(w.resolve()) for w in written)}
    with exclusive([*written, *also]):
        _recover(state, journal)
        run_id = ledger.begin_run(state, command)
        staging = Staging(journal, str(run_id))
        try:
            returns = read_returns(spec, inbox, options)
            master_staged = _stage_master_beside(spec, returns, master_out) if master_out else None
            try:
                result = stage(returns, staging)
                ledger.archive(state, inbox, returns.submissions)
            except BaseException:
                if master_staged is not None:  # the child is always waited for
                    with contextlib.suppress(Exception):
                        staging.adopt(master_staged())
                raise
            if master_staged is not None:
                staging.adopt(master_staged())
            superseded = _superseded(returns.master)
            ledger.publish_run(state, run_id, returns.submissions, superseded, staging.publish)
        except BaseException as exc:
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


def _remove_stale(staging: Staging, spec: Spec, folder: Path, suffix: str) -> None:
    """An agency's file (`<slug><suffix>`) that an earlier run left in `folder` and this run does
    not make again goes when this run is published: feedback for a return that is now fine, a
    reminder to an agency that has since returned."""
    for agency in spec.agencies:
        path = folder / f"{agency.slug}{suffix}"
        if path not in staging.staged and path.is_file():
            staging.remove(path)


def _superseded(master: Master) -> list[tuple[str, str]]:
    return [(old.sha256, s.current.sha256) for s in master.statuses if s.current for old in s.older]


def _stage_master_beside(spec: Spec, returns: Returns, master_out: Path) -> Callable[[], dict[Path, str]]:
    """Render and stage the master in a child beside the parent (the longest step, on one core)."""

    def work() -> dict[Path, str]:
        staging = Staging(master_out / JOURNAL)  # only stages (the parent publishes): no journal
        try:
            for name, data in render_master(spec, returns.master, returns.findings).items():
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
