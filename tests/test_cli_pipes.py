"""`indicator-kit status | head -1`: when the reader of the output goes away, the command ends
quietly — no traceback, no crash report, no fault message — with its own exit code (128 +
SIGPIPE), never 1, which a script would read as "findings". Run through real OS pipes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from indicator_kit.catalog import load_spec
from indicator_kit.cli import main
from indicator_kit.errors import ExitCode
from indicator_kit.generate import template_file_name
from indicator_kit.sample import consistent_values
from indicator_kit.simulate import fill_return
from indicator_kit.workspace import Workspace


def run_into_a_closed_pipe(argv: list[str], cwd: Path, tmp_path: Path, both: bool = False) -> str:
    """Run `python -m indicator_kit argv` with stdout (and, with `both`, stderr) a pipe nobody
    reads any more, as `| head -1` leaves it; returns what the command wrote on stderr."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader has gone before the first write: every write meets EPIPE
    env = {**os.environ, "TMPDIR": str(tmp_path)}  # where a crash report would be written
    try:
        result = subprocess.run(
            [sys.executable, "-m", "indicator_kit", *argv],
            cwd=cwd,
            env=env,
            stdout=write_end,
            stderr=write_end if both else subprocess.PIPE,
            timeout=300,
            check=False,
        )
    finally:
        os.close(write_end)
    stderr = (result.stderr or b"").decode("utf-8")
    assert result.returncode == ExitCode.OUTPUT_CLOSED == 141, (argv, result.returncode, stderr)
    assert not list(tmp_path.glob("indicator-kit-crash-*")), "a closed pipe is not a crash"
    return stderr


@pytest.fixture
def with_a_return(workspace: Workspace) -> Workspace:
    """The workspace with one agency's return, filled as the agency would."""
    result = CliRunner().invoke(main, ["generate", "--agency", "so_y_te"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    spec = load_spec(workspace.spec_dir)
    template = workspace.templates_dir / template_file_name("so_y_te")
    fill_return(spec, template, workspace.inbox / template.name, consistent_values(spec), "so_y_te")
    return workspace


@pytest.mark.parametrize(
    "argv",
    [
        ["status"],
        ["collect"],
        ["collect", "--format", "json"],
        ["merge"],
        ["spec", "check"],
        ["ledger", "check"],
        ["--help"],
        ["mail", "reminders", "--help"],
        ["--version"],
    ],
)
def test_a_closed_stdout_ends_quietly(argv: list[str], with_a_return: Workspace, tmp_path: Path) -> None:
    stderr = run_into_a_closed_pipe(argv, with_a_return.root, tmp_path)
    assert stderr == "", stderr  # no "Lỗi", no traceback, no "Exception ignored" at exit


def test_the_command_still_does_its_work(with_a_return: Workspace, tmp_path: Path) -> None:
    """Only the printing stops: what collect writes is written, before anything is printed."""
    run_into_a_closed_pipe(["collect"], with_a_return.root, tmp_path)
    assert (with_a_return.collect_dir / "findings.json").is_file()
    assert (with_a_return.master_dir / "master_long.csv").is_file()


@pytest.mark.parametrize("argv", [["nope"], ["status", "--as-of", "3/5"], ["spec", "check"]])
def test_a_closed_stderr_too(argv: list[str], workspace: Workspace, tmp_path: Path) -> None:
    """`indicator-kit … 2>&1 | head -1`: a usage error or a run's messages meet the closed pipe
    on stderr as well."""
    run_into_a_closed_pipe(argv, workspace.root, tmp_path, both=True)
