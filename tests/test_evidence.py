"""Nothing lost: archive, ledger, first arrival, one run at a time, duplicates and blank returns."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from click.testing import CliRunner
from filelock import FileLock

from indicator_kit import ledger
from indicator_kit.catalog.spec import Spec
from indicator_kit.cli import main
from indicator_kit.errors import ExitCode
from indicator_kit.generate import generate, template_file_name
from indicator_kit.merge.outputs import load_master
from indicator_kit.pipeline import LOCK
from indicator_kit.plan import compile_plan
from indicator_kit.sample import consistent_values
from indicator_kit.simulate import fill_return
from indicator_kit.workspace import Workspace
from tests.test_merge import stamp


def returns(spec: Spec, tmp: Path) -> Path:
    generate(compile_plan(spec), tmp / "t", ["so_y_te", "so_noi_vu"])
    values = consistent_values(spec)
    for slug, day in (("so_y_te", "2024-05-02T08:00:00"), ("so_noi_vu", "2024-05-03T08:00:00")):
        path = fill_return(
            spec, tmp / "t" / template_file_name(slug), tmp / "inbox" / f"{slug}.xlsx", values, slug
        )
        stamp(path, day)
    return tmp / "inbox"


def collect(inbox: Path, out: Path) -> tuple[int, str]:
    result = CliRunner().invoke(
        main,
        ["collect", str(inbox), "--out", str(out / "collect"), "--master-out", str(out / "master")],
        catch_exceptions=False,
    )
    return result.exit_code, result.output


def test_archive_and_ledger_survive_a_cleaned_inbox(spec: Spec, tmp_path: Path, workspace: Workspace) -> None:
    inbox, state = returns(spec, tmp_path), workspace.state_dir  # the workspace keeps the evidence
    collect(inbox, tmp_path / "out")
    archived = sorted(p.name for p in (state / "archive").iterdir())
    assert len(archived) == 2 and all(len(name) == 64 + len(".xlsx") for name in archived)
    for path in inbox.iterdir():
        assert (
            state / "archive" / f"{__import__('hashlib').sha256(path.read_bytes()).hexdigest()}.xlsx"
        ).exists()
    shutil.rmtree(inbox)
    inbox.mkdir()
    collect(inbox, tmp_path / "out")
    rows = ledger.entries(state)
    assert sorted(r[1] for r in rows) == ["so_noi_vu.xlsx", "so_y_te.xlsx"]
    assert {r[4] for r in rows} == {"so_y_te", "so_noi_vu"} and {r[5] for r in rows} == {"read"}


def test_lateness_from_first_arrival(spec: Spec, tmp_path: Path) -> None:
    inbox, state = returns(spec, tmp_path), tmp_path / "state"
    collect(inbox, state)
    stamp(inbox / "so_y_te.xlsx", "2024-05-09T08:00:00")  # re-saved from the mail client later
    result = CliRunner().invoke(
        main,
        ["status", str(inbox), "--as-of", "2024-05-10", "--html", str(state / "status.html")],
        catch_exceptions=False,
    )
    line = next(x for x in result.output.splitlines() if x.startswith("Sở Y tế"))
    assert "đúng hạn" in line  # judged from when the file first arrived, not its new time


def test_second_run_is_refused_while_one_is_running(spec: Spec, tmp_path: Path, workspace: Workspace) -> None:
    inbox, out = returns(spec, tmp_path), tmp_path / "out"
    with FileLock(str(workspace.state_dir / LOCK)):
        code, output = collect(inbox, out)
    assert code == ExitCode.FAULT and "Đang có một lần chạy khác" in output
    assert not (out / "master").exists()
    assert collect(inbox, out)[0] == 0


def test_duplicates_count_once_and_blank_returns_supersede_nothing(
    spec: Spec, tmp_path: Path, workspace: Workspace
) -> None:
    inbox, state = returns(spec, tmp_path), tmp_path / "state"
    shutil.copy(inbox / "so_y_te.xlsx", inbox / "Bản sao của so_y_te.xlsx")
    stamp(inbox / "Bản sao của so_y_te.xlsx", "2024-05-04T08:00:00")
    shutil.copy(tmp_path / "t" / template_file_name("so_noi_vu"), inbox / "noi_vu_moi.xlsx")
    stamp(inbox / "noi_vu_moi.xlsx", "2024-05-04T09:00:00")
    code, _ = collect(inbox, state)
    assert code == 0  # duplicates and blank returns are notes, not errors
    frame = load_master(state / "master" / "master_long.csv")
    assert set(frame[frame.agency == "so_y_te"].source_file) == {"so_y_te.xlsx"}
    assert set(frame[frame.agency == "so_noi_vu"].source_file) == {"so_noi_vu.xlsx"}
    import json

    codes = {f["code"]: f["file"] for f in json.loads((state / "collect" / "findings.json").read_text())}
    # merge-time notes are findings like the others
    assert codes["duplicate-file"] == "Bản sao của so_y_te.xlsx"
    import openpyxl

    errors = openpyxl.load_workbook(state / "master" / "PL2_tong_hop.xlsx")["Lỗi"]
    header = [c.value for c in errors[1]]
    code, file = header.index("Mã lỗi"), header.index("Tệp")
    noted = {(r[code].value, r[file].value) for r in errors.iter_rows(min_row=2)}
    # the master's "Lỗi" sheet lists what is still to act on: the blank return, not the copy
    # (counted once, as its original; findings.xlsx says what became of it)
    assert ("return-empty", "noi_vu_moi.xlsx") in noted
    assert not {file for _, file in noted} & {"Bản sao của so_y_te.xlsx"}
    assert os.path.exists(workspace.state_dir / "ledger.sqlite")
