"""Faults (issue #15): the archive holds the judged bytes, a fault is a Vietnamese message with
exit code 3, a damaged ledger is refused and rebuilt, the inbox changing under a run costs only
that file. Each reproduced failure of the issue has a test here that failed before the fix;
faults the operating system must produce for real (a full tmpfs, a user without rights, kill -9)
are in the fault-injection suite (tests/faults.py, make faults)."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import sqlite3
import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from indicator_kit import cli, ledger, pipeline
from indicator_kit.catalog.spec import Spec
from indicator_kit.collect import run as collect_run
from indicator_kit.errors import ExitCode
from indicator_kit.workspace import Workspace
from tests.test_evidence import returns


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(cli.main, [str(a) for a in args], catch_exceptions=False)


def collect(inbox: Path, out: Path) -> Result:
    """Outputs under `out`; the evidence in the test's workspace (conftest's `workspace`)."""
    return invoke("collect", inbox, "--out", out / "collect", "--master-out", out / "master")


def archive_matches_names(state: Path) -> dict[str, bytes]:
    """Every archive entry's bytes hash to its name; the entries by hash."""
    held = {}
    for entry in (state / "archive").iterdir():
        assert not entry.name.startswith("."), f"temporary file left: {entry.name}"
        data = entry.read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry.name.split(".")[0], entry.name
        held[entry.name.split(".")[0]] = data
    return held


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def codes(out: Path) -> dict[str, str]:
    records = json.loads((out / "collect" / "findings.json").read_text(encoding="utf-8"))
    return {r["file"]: r["code"] for r in records}


def test_a_file_rewritten_after_it_was_judged_is_archived_as_judged(
    spec: Spec, tmp_path: Path, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox, state, out = returns(spec, tmp_path), workspace.state_dir, tmp_path / "out"
    judged = (inbox / "so_y_te.xlsx").read_bytes()
    real_merge = pipeline.merge

    def merge_while_the_agency_saves_again(*args: object, **kwargs: object) -> object:
        (inbox / "so_y_te.xlsx").write_bytes((inbox / "so_noi_vu.xlsx").read_bytes() + b"\0")
        return real_merge(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "merge", merge_while_the_agency_saves_again)
    assert collect(inbox, out).exit_code == ExitCode.OK
    held = archive_matches_names(state)
    assert held[sha(judged)] == judged
    assert {row[0] for row in ledger.entries(state)} == set(held)


def test_an_archive_entry_whose_bytes_do_not_match_its_name_is_repaired(
    spec: Spec, tmp_path: Path, workspace: Workspace
) -> None:
    inbox, state, out = returns(spec, tmp_path), workspace.state_dir, tmp_path / "out"
    collect(inbox, out)
    good = (inbox / "so_y_te.xlsx").read_bytes()
    entry = ledger.archive_path(state, sha(good), "so_y_te.xlsx")
    entry.write_bytes(good[:100])
    result = collect(inbox, out)
    assert "không khớp mã băm" in result.output and "so_y_te.xlsx" in result.output
    assert entry.read_bytes() == good
    archive_matches_names(state)


def test_a_file_removed_after_it_was_read_is_still_recorded(
    spec: Spec, tmp_path: Path, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox, state, out = returns(spec, tmp_path), workspace.state_dir, tmp_path / "out"
    real_merge = pipeline.merge

    def merge_while_the_inbox_is_cleaned(*args: object, **kwargs: object) -> object:
        (inbox / "so_noi_vu.xlsx").unlink()
        return real_merge(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "merge", merge_while_the_inbox_is_cleaned)
    result = collect(inbox, out)
    assert result.exit_code == ExitCode.OK, result.output
    assert sorted(row[1] for row in ledger.entries(state)) == ["so_noi_vu.xlsx", "so_y_te.xlsx"]
    assert len(archive_matches_names(state)) == 2


def test_a_file_removed_before_it_was_read_gets_its_own_verdict_and_the_run_goes_on(
    spec: Spec, tmp_path: Path, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox, state, out = returns(spec, tmp_path), workspace.state_dir, tmp_path / "out"
    real_collect_entry = collect_run.collect_entry

    def removed_first(path: Path, *args: object, **kwargs: object) -> object:
        if path.name == "so_noi_vu.xlsx":
            path.unlink()
        return real_collect_entry(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(collect_run, "collect_entry", removed_first)  # the forked workers inherit it
    result = collect(inbox, out)
    assert result.exit_code == ExitCode.FINDINGS, result.output
    line = next(x for x in result.output.splitlines() if "so_noi_vu.xlsx" in x)
    assert "thay đổi trong khi đọc — chạy lại" in line
    assert codes(out)["so_noi_vu.xlsx"] == "file-changed"
    assert [row[1] for row in ledger.entries(state)] == ["so_y_te.xlsx"]
    assert (out / "master" / "PL2_tong_hop.xlsx").exists()


@pytest.mark.parametrize("damage", ["empty", "zeroed", "truncated", "garbage"])
def test_a_damaged_ledger_is_refused_kept_and_rebuilt_with_its_arrivals(
    spec: Spec, tmp_path: Path, workspace: Workspace, damage: str
) -> None:
    inbox, state, out = returns(spec, tmp_path), workspace.state_dir, tmp_path / "out"
    collect(inbox, out)
    arrived = {row[0]: row[3] for row in ledger.entries(state)}
    master = (out / "master" / "master_long.csv").read_bytes()
    path = state / "ledger.sqlite"
    size = path.stat().st_size
    broken = {
        "empty": b"",
        "zeroed": bytes(size),
        "truncated": path.read_bytes()[: size // 3],
        "garbage": os.urandom(size),
    }[damage]
    path.write_bytes(broken)
    result = collect(inbox, out)
    assert result.exit_code == ExitCode.FAULT, result.output
    assert "Sổ ghi nhận" in result.output and "ledger rebuild" in result.output
    assert path.read_bytes() == broken  # kept as it was, nothing written over it
    assert (out / "master" / "master_long.csv").read_bytes() == master
    rebuilt = invoke("ledger", "rebuild", "--state-dir", state)
    assert rebuilt.exit_code == ExitCode.OK, rebuilt.output
    assert next(state.glob("ledger.sqlite.replaced-*")).read_bytes() == broken
    assert {row[0]: row[3] for row in ledger.entries(state)} == arrived  # first arrivals kept
    assert invoke("ledger", "check", "--state-dir", state).exit_code == ExitCode.OK
    assert collect(inbox, out).exit_code == ExitCode.OK


def test_rebuild_keeps_the_arrivals_of_the_old_ledger_rows_it_can_read(
    spec: Spec, tmp_path: Path, workspace: Workspace
) -> None:
    inbox, state, out = returns(spec, tmp_path), workspace.state_dir, tmp_path / "out"
    collect(inbox, out)
    with sqlite3.connect(state / "ledger.sqlite") as db:  # an arrival only the ledger knows
        db.execute(
            "UPDATE submissions SET arrived = '2024-04-30T07:00:00+00:00' WHERE file_name = 'so_y_te.xlsx'"
        )
    db.close()
    invoke("ledger", "rebuild", "--state-dir", state)
    rows = {row[1]: row[3] for row in ledger.entries(state)}
    assert rows["so_y_te.xlsx"] == "2024-04-30T07:00:00+00:00"


def test_ledger_check_lists_missing_damaged_and_orphaned_entries(
    spec: Spec, tmp_path: Path, workspace: Workspace
) -> None:
    inbox, state, out = returns(spec, tmp_path), workspace.state_dir, tmp_path / "out"
    collect(inbox, out)
    assert invoke("ledger", "check", "--state-dir", state).exit_code == ExitCode.OK
    y_te = ledger.archive_path(state, sha((inbox / "so_y_te.xlsx").read_bytes()), "x.xlsx")
    noi_vu = ledger.archive_path(state, sha((inbox / "so_noi_vu.xlsx").read_bytes()), "x.xlsx")
    y_te.unlink()
    noi_vu.write_bytes(b"other bytes")
    stray = b"a file no row names"
    ledger.archive_path(state, sha(stray), "x.pdf").write_bytes(stray)
    result = invoke("ledger", "check", "--state-dir", state)
    assert result.exit_code == ExitCode.FINDINGS
    assert "[THIẾU BẢN LƯU] so_y_te.xlsx" in result.output
    assert f"[HỎNG] archive/{noi_vu.name}" in result.output
    assert f"[CHƯA GHI SỔ] archive/{sha(stray)}.pdf" in result.output
    collect(inbox, out)  # the inbox still has both: the missing entry is written, the damaged one repaired
    result = invoke("ledger", "check", "--state-dir", state)
    assert "thiếu bản lưu 0, hỏng 0, chưa ghi sổ 1" in result.output


def test_leftover_temporary_files_are_removed_at_the_next_run(
    spec: Spec, tmp_path: Path, workspace: Workspace
) -> None:
    inbox, state, out = returns(spec, tmp_path), workspace.state_dir, tmp_path / "out"
    collect(inbox, out)
    leftovers = [
        state / "archive" / f".{'0' * 64}.xlsx.4242.partial",
        out / "master" / ".PL2_tong_hop.xlsx.abc123.tmp",
        out / "collect" / ".findings.csv.xyz.tmp",
    ]
    for path in leftovers:
        path.write_bytes(b"half")
    result = collect(inbox, out)
    assert not any(path.exists() for path in leftovers)
    assert sum("tệp tạm còn lại" in line for line in result.output.splitlines()) == 3


def test_a_state_path_that_is_a_file_is_a_fault_naming_it(
    spec: Spec, tmp_path: Path, workspace: Workspace
) -> None:
    inbox, state = returns(spec, tmp_path), workspace.state_dir
    shutil.rmtree(state)
    state.write_text("not a folder")
    result = collect(inbox, tmp_path / "out")
    assert result.exit_code == ExitCode.FAULT, result.output
    assert f"{state} là một tệp, nhưng ở đó cần một thư mục" in result.output


def test_an_unreadable_inbox_file_is_not_called_too_large(
    spec: Spec, tmp_path: Path, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """EACCES injected (as root, chmod 000 would not stop the read; the suite runs it as nobody)."""
    inbox, out = returns(spec, tmp_path), tmp_path / "out"
    target = str(inbox / "so_noi_vu.xlsx")
    real_os_open, real_open = os.open, open

    def refused(path: object, *args: object, **kwargs: object) -> object:
        if os.fspath(path) == target:  # type: ignore[call-overload]
            raise PermissionError(errno.EACCES, "Permission denied", target)
        return real_os_open(path, *args, **kwargs)  # type: ignore[arg-type]

    def refused_open(path: object, *args: object, **kwargs: object) -> object:
        if isinstance(path, (str, Path)) and os.fspath(path) == target:
            raise PermissionError(errno.EACCES, "Permission denied", target)
        return real_open(path, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(os, "open", refused)
    monkeypatch.setattr("builtins.open", refused_open)
    monkeypatch.setattr("io.open", refused_open)
    result = collect(inbox, out)
    monkeypatch.undo()
    assert codes(out)["so_noi_vu.xlsx"] == "file-no-access"
    line = next(x for x in result.output.splitlines() if "so_noi_vu.xlsx" in x)
    assert "quyền đọc" in line and "bộ nhớ" not in line and "quá lớn" not in line


def test_a_full_disk_is_a_fault_saying_how_much_space_was_needed(
    spec: Spec, tmp_path: Path, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ENOSPC injected where a full disk reports it on an output (the suite fills a real tmpfs)."""
    inbox, out = returns(spec, tmp_path), tmp_path / "out"

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    result = collect(inbox, out)
    assert result.exit_code == ExitCode.FAULT, result.output
    assert "đã đầy (cần ghi thêm" in result.output and "Traceback" not in result.output


def test_inbox_entries_that_are_not_files_get_a_line_each(
    spec: Spec, tmp_path: Path, workspace: Workspace
) -> None:
    inbox, out = returns(spec, tmp_path), tmp_path / "out"
    outside = tmp_path / "elsewhere.xlsx"
    outside.write_bytes((inbox / "so_y_te.xlsx").read_bytes())
    os.mkfifo(inbox / "pipe.xlsx")
    (inbox / "outside.xlsx").symlink_to(outside)
    (inbox / "broken.xlsx").symlink_to(tmp_path / "gone.xlsx")
    (inbox / "sub").mkdir()
    (inbox / "folder-link").symlink_to(inbox / "sub", target_is_directory=True)
    (inbox / "inside.xlsx").symlink_to(inbox / "so_noi_vu.xlsx")
    result = collect(inbox, out)
    lines = {x.split(" — ")[0].split("] ")[-1].strip(): x for x in result.output.splitlines() if " — " in x}
    assert "FIFO" in lines["pipe.xlsx"]
    assert "ra ngoài hộp thư" in lines["outside.xlsx"]
    assert "không còn tệp nào" in lines["broken.xlsx"]
    assert "thư mục" in lines["folder-link"]
    assert lines["inside.xlsx"].startswith("[ĐẠT]")  # a link to a file inside the inbox is read
    skipped = {f for f, code in codes(out).items() if code == "inbox-entry-skipped"}
    assert skipped == {"pipe.xlsx", "outside.xlsx", "broken.xlsx", "folder-link"}


def test_file_names_are_shown_nfc(spec: Spec, tmp_path: Path, workspace: Workspace) -> None:
    inbox, state, out = returns(spec, tmp_path), workspace.state_dir, tmp_path / "out"
    nfd = unicodedata.normalize("NFD", "Sở Y tế.xlsx")
    (inbox / "so_y_te.xlsx").rename(inbox / nfd)
    result = collect(inbox, out)
    assert "Sở Y tế.xlsx" in result.output and nfd not in result.output
    assert "Sở Y tế.xlsx" in {row[1] for row in ledger.entries(state)}
