"""The Windows path on Linux: collect with the `spawn` start method (what Windows uses) gives the
same findings and master as `fork`, in a workspace whose path has spaces and Vietnamese letters."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from indicator_kit import processes, secret
from indicator_kit.cli import main
from tests.conftest import ROOT

OUTPUTS = (
    "collect/findings.json",
    "collect/findings.csv",
    "master/master_long.csv",
    "master/PL2_tong_hop.xlsx",
)


def ik(*args: str | Path) -> str:
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    return result.output


@pytest.fixture(scope="module")
def mixed_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with its own key (no INDICATOR_KIT_KEY_FILE: a spawned worker can only know the
    key from its parent) and the demo's mixed inbox: text numbers, a totals error, a unit changed,
    a resubmission, a late return, .xls/.ods when LibreOffice is there — plus a subfolder with a
    Vietnamese name, a file that is not a workbook and an empty file."""
    with pytest.MonkeyPatch.context() as env:
        env.delenv(secret.KEY_FILE_ENV)
        ws = tmp_path_factory.mktemp("spawn") / "Sở KH&ĐT" / "Thu thập PL2 đợt 1"
        ik("init", ws)
        ik("--workspace", ws, "generate")
        ik("--workspace", ws, "simulate", "--values", ROOT / "examples" / "sample_values.csv")
    later = ws / "hop_thu" / "thư đến ngày 4"
    later.mkdir()
    shutil.copy(ws / "hop_thu" / "PL2_so_y_te.xlsx", later / "Bản sao của Sở Y tế.xlsx")
    (ws / "hop_thu" / "ghi chú của đơn vị.pdf").write_bytes(b"%PDF-1.7\n")
    (ws / "hop_thu" / "tệp rỗng.xlsx").write_bytes(b"")
    return ws


def run_collect(source: Path, copy: Path, method: str, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    """collect in a copy of the workspace (its own ledger) with workers started by `method`."""
    shutil.copytree(source, copy)
    monkeypatch.delenv(secret.KEY_FILE_ENV)
    monkeypatch.setattr(processes, "START_METHOD", method)  # workers and the step beside alike
    monkeypatch.chdir(copy / "hop_thu")
    output = ik("collect")
    monkeypatch.undo()
    return copy, output.replace(str(copy.resolve()), "<ws>")


def test_spawn_gives_what_fork_gives(mixed_workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base = mixed_workspace.parent
    forked, fork_output = run_collect(mixed_workspace, base / "chạy fork", "fork", monkeypatch)
    spawned, spawn_output = run_collect(mixed_workspace, base / "chạy spawn", "spawn", monkeypatch)
    assert spawn_output == fork_output
    assert "[ĐẠT]" in fork_output and "[CẦN SỬA]" in fork_output and "[KHÔNG ĐỌC]" in fork_output
    assert "thư đến ngày 4/Bản sao của Sở Y tế.xlsx" in fork_output
    assert "identity-unverified" not in (forked / "ket_qua" / "collect" / "findings.json").read_text("utf-8")
    for name in OUTPUTS:
        assert (spawned / "ket_qua" / name).read_bytes() == (forked / "ket_qua" / name).read_bytes(), name
