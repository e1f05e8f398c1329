"""A run is a transaction: outputs published together or not at all, the ledger's record of each
run, the lock over every folder a run writes, and the work run beside the parent."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from indicator_kit import files, ledger, pipeline, processes
from indicator_kit.catalog.spec import Spec
from indicator_kit.cli import main
from indicator_kit.errors import ExitCode, FaultError, OutputLockedError
from indicator_kit.generate import generate, template_file_name
from indicator_kit.ledger import Outcome
from indicator_kit.plan import compile_plan
from indicator_kit.sample import consistent_values
from indicator_kit.simulate import fill_return
from indicator_kit.workspace import Workspace, init_workspace
from tests.test_merge import stamp

forks_only = pytest.mark.skipif(not processes.forks(), reason="fork is used on Linux only")


class DiskFull(FaultError):
    """A fault injected by these tests (module level, so it travels back from a child)."""


def fill(spec: Spec, root: Path, slug: str, name: str, day: str, changes: dict | None = None) -> Path:
    path = fill_return(
        spec,
        root / "t" / template_file_name(slug),
        root / "inbox" / name,
        consistent_values(spec),
        slug,
        changes,
    )
    stamp(path, day)
    return path


@pytest.fixture
def returns(spec: Spec, tmp_path: Path) -> Path:
    """Two returns, one with an error (so a feedback workbook is written)."""
    generate(compile_plan(spec), tmp_path / "t", ["so_y_te", "so_xay_dung"])
    fill(spec, tmp_path, "so_y_te", "so_y_te.xlsx", "2024-05-02T08:00:00")
    bad = {("kt.do_thi_hoa", "y2019"): "khoảng 40"}
    fill(spec, tmp_path, "so_xay_dung", "so_xay_dung.xlsx", "2024-05-02T09:00:00", bad)
    return tmp_path


def collect(root: Path, *extra: str) -> tuple[int, str]:
    args = ["collect", str(root / "inbox"), "--out", str(root / "ws" / "collect")]
    result = CliRunner().invoke(
        main, [*args, "--master-out", str(root / "ws" / "master"), *extra], catch_exceptions=False
    )
    return result.exit_code, result.output


def outputs(root: Path) -> dict[str, bytes]:
    """Every file the runs write but the state folder's (the ledger is compared by its rows)."""
    ws = root / "ws"
    return {p.relative_to(ws).as_posix(): p.read_bytes() for p in sorted(ws.rglob("*")) if p.is_file()}


def first_run_then_a_resubmission(
    spec: Spec, root: Path, state: Path
) -> tuple[dict[str, bytes], list[tuple[str, ...]]]:
    assert collect(root)[0] == ExitCode.FINDINGS
    before = outputs(root), ledger.entries(state)
    assert {"collect/findings.csv", "collect/feedback/so_xay_dung.xlsx", "master/PL2_tong_hop.xlsx"} <= set(
        before[0]
    )
    # so_xay_dung resends, with another error: every output of the next run differs from this one's
    other = {("kt.do_thi_hoa", "y2019"): "chưa có số"}
    fill(spec, root, "so_xay_dung", "so_xay_dung_lan2.xlsx", "2024-05-03T09:00:00", other)
    return before


def raising(error: BaseException) -> Callable[..., object]:
    def fail(*args: object, **kwargs: object) -> object:
        raise error

    return fail


def fail_replacing(name: str) -> Callable[[object, object], None]:
    """os.replace as on Windows when `name` is open in Excel (after the checks: a late lock)."""
    real = os.replace

    def replace(source: object, target: object) -> None:
        if str(target).endswith(name) and not str(source).endswith(".previous"):
            raise PermissionError(13, "The process cannot access the file")
        real(source, target)

    return replace


def fail_after_publishing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every output replaced, then the ledger's commit fails (a full disk at the last step)."""
    real = ledger.publish_run

    def publish_run(state, run_id, submissions, superseded, publish) -> None:
        def publish_then_fail() -> None:
            publish()
            raise sqlite3.OperationalError("database or disk is full")

        real(state, run_id, submissions, superseded, publish_then_fail)

    monkeypatch.setattr(ledger, "publish_run", publish_run)


STEPS: dict[str, tuple[Callable[[pytest.MonkeyPatch], None], ExitCode]] = {
    "reading": (
        lambda m: m.setattr(pipeline, "merge", raising(RuntimeError("bug in merge"))),
        ExitCode.CRASH,
    ),
    "rendering the master (child)": (
        lambda m: m.setattr(pipeline, "render_master", raising(DiskFull("Ổ đĩa đầy."))),
        ExitCode.FAULT,
    ),
    "rendering the findings": (
        lambda m: m.setattr(pipeline, "report_files", raising(DiskFull("Ổ đĩa đầy."))),
        ExitCode.FAULT,
    ),
    "staging a feedback workbook": (
        lambda m: m.setattr(
            files,
            "stage_file",
            lambda path, data, real=files.stage_file: (
                raising(DiskFull("Ổ đĩa đầy."))() if path.name == "so_xay_dung.xlsx" else real(path, data)
            ),
        ),
        ExitCode.FAULT,
    ),
    "archiving": (
        lambda m: m.setattr(ledger, "flush_to_disk", raising(DiskFull("Ổ đĩa đầy."))),
        ExitCode.FAULT,
    ),
    "publishing findings.json": (
        lambda m: m.setattr(files.os, "replace", fail_replacing("findings.json")),
        ExitCode.FAULT,
    ),
    "publishing the feedback": (
        lambda m: m.setattr(files.os, "replace", fail_replacing("so_xay_dung.xlsx")),
        ExitCode.FAULT,
    ),
    "publishing PL2_tong_hop.xlsx": (
        lambda m: m.setattr(files.os, "replace", fail_replacing("PL2_tong_hop.xlsx")),
        ExitCode.FAULT,
    ),
    "publishing master_long.csv (the last file)": (
        lambda m: m.setattr(files.os, "replace", fail_replacing("master_long.csv")),
        ExitCode.FAULT,
    ),
    "committing the ledger": (fail_after_publishing, ExitCode.FAULT),  # a full disk: ledger.sqlite_fault
}


@pytest.mark.parametrize("step", list(STEPS))
def test_a_failure_at_any_step_leaves_the_previous_outputs(
    spec: Spec, returns: Path, workspace: Workspace, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    before, rows = first_run_then_a_resubmission(spec, returns, workspace.state_dir)
    inject, code = STEPS[step]
    with monkeypatch.context() as m:
        m.setattr("tempfile.tempdir", str(returns))  # the crash report
        inject(m)
        exit_code, output = collect(returns)
    assert exit_code == code, output
    assert "Traceback" not in output
    # the message says what did not happen
    assert "chưa hoàn tất" in output and "bảng tổng hợp" in output and "sổ theo dõi" in output
    assert str(returns / "ws" / "collect") in output
    # previous outputs intact and complete: the same files, byte for byte, nothing left beside them
    assert outputs(returns) == before
    assert ledger.entries(workspace.state_dir) == rows
    first, failed = ledger.runs(workspace.state_dir)
    assert first.outcome is Outcome.PUBLISHED and first.command == "collect"
    assert failed.outcome is Outcome.FAILED and failed.ended and failed.detail
    # and the next run, without the fault, publishes everything (the first file still has its error)
    assert collect(returns)[0] == ExitCode.FINDINGS
    assert ledger.runs(workspace.state_dir)[-1].outcome is Outcome.PUBLISHED
    assert "so_xay_dung_lan2.xlsx" in (returns / "ws" / "master" / "master_long.csv").read_text("utf-8-sig")


def test_an_output_this_run_no_longer_makes_goes_with_it(
    spec: Spec, returns: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """so_xay_dung corrects its return: its feedback workbook goes when the next run is
    published — and stays if that run fails, even after the removal (put back with the rest)."""
    assert collect(returns)[0] == ExitCode.FINDINGS
    feedback = returns / "ws" / "collect" / "feedback" / "so_xay_dung.xlsx"
    kept = feedback.read_bytes()
    fill(spec, returns, "so_xay_dung", "so_xay_dung_lan2.xlsx", "2024-05-03T09:00:00")
    with monkeypatch.context() as m:
        m.setattr("tempfile.tempdir", str(returns))  # the crash report
        fail_after_publishing(m)
        assert collect(returns)[0] == ExitCode.FAULT
    assert feedback.read_bytes() == kept
    assert collect(returns)[0] == ExitCode.FINDINGS  # (the first file still has its error)
    assert not feedback.exists() and not list(feedback.parent.iterdir())


KILLED_RUN = textwrap.dedent(
    """
    import os, signal, sys
    from indicator_kit import cli, ledger

    real, moment = ledger.publish_run, sys.argv[1]

    def killed(state, run_id, submissions, superseded, publish):
        def publish_then_die():
            publish()
            if moment == "after-publishing":
                os.kill(os.getpid(), signal.SIGKILL)

        real(state, run_id, submissions, superseded, publish_then_die)

    ledger.publish_run = killed
    if moment == "while-archiving":
        ledger.flush_to_disk = lambda *args: os.kill(os.getpid(), signal.SIGKILL)
    sys.argv = ["indicator-kit", *sys.argv[2:]]
    cli.run()
    """
)


@pytest.mark.parametrize("moment", ["while-archiving", "after-publishing"])
def test_a_killed_run_is_visible_and_undone(
    spec: Spec, returns: Path, workspace: Workspace, moment: str
) -> None:
    """kill -9 before the outputs are replaced, or after every output was replaced but before
    the ledger committed: the run stays "started" in the ledger, and the next run puts the
    previous outputs back before it starts (so nothing from the killed run is ever left)."""
    before, rows = first_run_then_a_resubmission(spec, returns, workspace.state_dir)
    ws, state = returns / "ws", workspace.state_dir
    argv = [
        "collect",
        str(returns / "inbox"),
        "--out",
        str(ws / "collect"),
        "--master-out",
        str(ws / "master"),
    ]
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_RUN, moment, *argv], capture_output=True, text=True, timeout=300
    )
    assert killed.returncode == -9, killed.stderr
    assert ledger.entries(state) == rows
    assert ledger.runs(state)[-1].outcome is Outcome.STARTED and ledger.runs(state)[-1].ended is None
    if moment == "after-publishing":
        assert (state / pipeline.JOURNAL).exists()  # the new outputs are there, unrecorded, for now
        assert outputs(returns) != before
    # The next run first puts back what the killed run replaced. Here it is itself stopped by a
    # fault before publishing, so what it leaves is exactly what the killed run found.
    with pytest.MonkeyPatch.context() as m:
        m.setattr(pipeline, "report_files", raising(DiskFull("Ổ đĩa đầy.")))
        assert collect(returns)[0] == ExitCode.FAULT
    # (temporary files a killed run staged are not outputs; removing them is #15 item 6)
    assert {k: v for k, v in outputs(returns).items() if not k.endswith(".tmp")} == before
    assert ledger.entries(state) == rows
    killed_run = ledger.runs(state)[-2]
    if moment == "after-publishing":
        assert killed_run.outcome is Outcome.FAILED and "put back" in killed_run.detail
    else:  # nothing to put back: the run stays visible as never ended
        assert killed_run.outcome is Outcome.STARTED and killed_run.ended is None
    assert collect(returns)[0] == ExitCode.FINDINGS
    assert ledger.runs(state)[-1].outcome is Outcome.PUBLISHED


def to(master: Path) -> list[str]:
    return ["--master-out", str(master)]


def test_a_second_run_writing_the_same_master_is_refused(
    spec: Spec, returns: Path, workspace: Workspace
) -> None:
    """Two runs in different workspaces (so different state folders) with different --out and the
    same --master-out: while the first runs, the second stops at once, naming the folder, and
    writes nothing."""
    master = returns / "shared-master"
    other = init_workspace(returns / "other").workspace
    second = [
        sys.executable,
        "-m",
        "indicator_kit.cli",
        "--workspace",
        str(other.root),
        "collect",
        str(returns / "inbox"),
        "--out",
        str(returns / "b" / "collect"),
        "--master-out",
        str(master),
    ]
    seen: list[subprocess.CompletedProcess[str]] = []
    real = pipeline.read_returns

    def read_then_start_another(*args: object) -> pipeline.Returns:
        seen.append(subprocess.run(second, capture_output=True, text=True, timeout=300))
        return real(*args)  # type: ignore[arg-type]

    runner = CliRunner()
    with pytest.MonkeyPatch.context() as m:
        m.setattr(pipeline, "read_returns", read_then_start_another)
        first = runner.invoke(
            main,
            ["collect", str(returns / "inbox"), "--out", str(returns / "a" / "collect"), *to(master)],
            catch_exceptions=False,
        )
    assert first.exit_code == ExitCode.FINDINGS, first.output
    (refused,) = seen
    assert refused.returncode == ExitCode.FAULT, refused.stderr
    assert "Đang có một lần chạy khác ghi vào thư mục" in refused.stderr and str(master) in refused.stderr
    assert "Traceback" not in refused.stderr
    assert not (returns / "b").exists() and not (other.state_dir / ledger.LEDGER).exists()
    assert [r.command for r in ledger.runs(workspace.state_dir)] == ["collect"]


def test_the_lock_covers_every_folder(tmp_path: Path) -> None:
    state, out, master = tmp_path / "s", tmp_path / "elsewhere" / "out", tmp_path / "m"
    with pipeline.exclusive([state, out, master, master / "."]):  # the same folder named twice: once
        for folder in (state, out, master):
            with pytest.raises(pipeline.BusyError, match=str(folder)), pipeline.exclusive([folder]):
                pass
    with pipeline.exclusive([out]):
        pass  # released


# --- mail reminders read returns like every other command ---------------------------------


@pytest.fixture
def unverified(spec: Spec, tmp_path: Path) -> Path:
    """so_y_te's return with its identity edited by hand: it does not verify."""
    from tests.test_collect import retag

    generate(compile_plan(spec), tmp_path / "t")  # (reminders attach the template again)
    genuine = fill(spec, tmp_path, "so_y_te", "goc.xlsx", "2024-05-02T08:00:00")
    stamp(
        retag(genuine, tmp_path / "inbox" / "so_y_te.xlsx", spec.spec_hash, "000000000000"),
        "2024-05-02T08:00:00",
    )
    genuine.unlink()
    return tmp_path


def reminders(root: Path, *extra: str) -> tuple[int, str]:
    inbox, out, templates = (str(root / name) for name in ("inbox", "r", "t"))
    argv = ["mail", "reminders", inbox, "--as-of", "2024-05-07", "--out", out, "--templates", templates]
    result = CliRunner().invoke(main, [*argv, *extra], catch_exceptions=False)
    return result.exit_code, result.output


def subject(path: Path) -> str:
    from email import message_from_bytes
    from email.policy import default

    return str(message_from_bytes(path.read_bytes(), policy=default)["Subject"])


def test_reminders_honour_accept(unverified: Path, workspace: Workspace) -> None:
    code, output = reminders(unverified)
    assert code == 0, output
    # its data is not counted until the officer accepts it: the agency is asked to resend
    assert subject(unverified / "r" / "so_y_te.eml").startswith("[Đề nghị sửa]")
    code, output = reminders(unverified, "--accept", "so_y_te.xlsx")
    assert code == 0, output
    # accepted, complete, no errors: no letter, and the earlier run's one is gone (`mail send`
    # would send it)
    assert not (unverified / "r" / "so_y_te.eml").exists()
    assert (unverified / "r" / "so_tai_chinh.eml").exists()
    assert [(r.command, r.outcome) for r in ledger.runs(workspace.state_dir)] == [
        ("mail reminders", Outcome.PUBLISHED)
    ] * 2


def test_reminders_honour_the_lock(unverified: Path) -> None:
    from filelock import FileLock

    (unverified / "r").mkdir()
    with FileLock(str(unverified / "r" / pipeline.LOCK)):
        code, output = reminders(unverified)
    assert code == ExitCode.FAULT and "Đang có một lần chạy khác" in output
    assert not list((unverified / "r").glob("*.eml"))


# --- one step beside the parent -----------------------------------------------------------


@forks_only
def test_result_comes_back_from_the_child() -> None:
    parent = os.getpid()
    finish = processes.beside(lambda: (os.getpid(), [Path("a.xlsx")]))
    child, paths = finish()
    assert child != parent and paths == [Path("a.xlsx")]


@forks_only
def test_errors_are_raised_in_the_parent() -> None:
    def locked() -> None:
        raise OutputLockedError("Tệp PL2_tong_hop.xlsx đang mở trong Excel.")

    with pytest.raises(OutputLockedError, match="đang mở"):
        processes.beside(locked)()

    class Unpicklable(Exception):  # a local class cannot be pickled back
        pass

    def odd() -> None:
        raise Unpicklable("hỏng")

    with pytest.raises(processes.ChildStoppedError, match="hỏng"):
        processes.beside(odd)()


@forks_only
def test_a_child_that_dies_is_reported() -> None:
    with pytest.raises(processes.ChildStoppedError, match="dừng đột ngột"):
        processes.beside(lambda: os._exit(3))()


@forks_only
def test_the_child_leaves_the_locks_with_the_parent(tmp_path: Path) -> None:
    other_run = [
        sys.executable,
        "-c",
        "import sys; from pathlib import Path; from indicator_kit import pipeline\n"
        "with pipeline.exclusive([Path(sys.argv[1])]): pass",
        str(tmp_path),
    ]
    with pipeline.exclusive([tmp_path]):
        assert processes.beside(lambda: 42)() == 42
        busy = subprocess.run(other_run, capture_output=True, text=True)
        assert busy.returncode != 0 and "BusyError" in busy.stderr  # still held by this process
    assert subprocess.run(other_run, capture_output=True).returncode == 0
