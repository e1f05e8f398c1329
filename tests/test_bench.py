"""The benchmark's inputs are what docs/BENCHMARKS.md says: returns saved by our renderer, by
openpyxl and by LibreOffice, and collect reports an error on exactly the files the bench put a
mistake into (nothing else warned about). Nothing here is timed."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest
from click.testing import CliRunner

from indicator_kit.cli import main
from indicator_kit.workspace import init_workspace

ROOT = Path(__file__).resolve().parents[1]


def load_bench() -> ModuleType:
    """benchmarks/bench.py, a script rather than a module of the package."""
    if "bench" not in sys.modules:
        found = importlib.util.spec_from_file_location("bench", ROOT / "benchmarks" / "bench.py")
        assert found is not None and found.loader is not None
        module = importlib.util.module_from_spec(found)
        sys.modules["bench"] = module  # its data classes look their module up while being made
        found.loader.exec_module(module)
    return sys.modules["bench"]


def collect_and_judge(bench: ModuleType, tmp_path: Path, n: int, saved: Path | None) -> object:
    inbox, manifest = tmp_path / "inbox", tmp_path / "expected.json"
    bench.measure(bench.SYNTHESISE, str(inbox), str(n), str(manifest), *([str(saved)] if saved else []))
    state = init_workspace(tmp_path / "ws").workspace
    out, master = str(state.collect_dir), str(state.master_dir)
    result = CliRunner().invoke(
        main,
        ["--workspace", str(state.root), "collect", str(inbox), "--out", out, "--master-out", master],
        catch_exceptions=False,
    )
    assert result.exit_code == 1, result.output  # the mistakes are findings
    return bench.judge_findings(manifest, inbox, state.collect_dir)


def test_every_mistake_is_flagged_and_nothing_else(tmp_path: Path) -> None:
    bench = load_bench()
    inputs = collect_and_judge(bench, tmp_path, 60, None)
    assert inputs.saved_by == {"xlsxwriter": 54, "openpyxl": 6}  # no LibreOffice files given
    # i = 0, 10, 29, 39, 48, 58: a value that is not a number; a doubled part of a sum at i = 8 and 26
    assert inputs.intended == 8
    assert inputs.flagged == 8
    assert inputs.false_alarms == []


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_saves_rotate_and_keep_their_mistakes(tmp_path: Path) -> None:
    bench = load_bench()
    saved = bench.libreoffice_returns(tmp_path / "work", seeds=2)  # r00000 has a value error
    assert {p.name for p in saved.iterdir() if p.suffix != ".json"} == {
        f"r0000{i}_{slug}.{fmt}"
        for fmt in ("ods", "xls", "xlsx")
        for i, slug in enumerate(("cuc_thong_ke", "so_ke_hoach_dau_tu"))
    }
    inputs = collect_and_judge(bench, tmp_path, 40, saved)
    assert inputs.saved_by == {
        "xlsxwriter": 30,
        "openpyxl": 4,
        "libreoffice-xlsx": 2,
        "libreoffice-xls": 2,
        "libreoffice-ods": 2,
    }
    assert inputs.distinct_libreoffice == 6
    # the value errors at i = 0, 10, 29, 39 and the doubled part at i = 8 and 26, and the three
    # LibreOffice saves of r00000 (block 0); those of r00001 (block 1) are clean
    assert inputs.intended == 9
    assert inputs.flagged == 9
    assert inputs.false_alarms == []
