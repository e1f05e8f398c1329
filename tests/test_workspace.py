"""The campaign workspace: init, finding it again, one output root, and the office key rule."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from indicator_kit import ledger, secret
from indicator_kit.catalog.loader import load_spec
from indicator_kit.cli import main
from indicator_kit.errors import ExitCode
from indicator_kit.generate import template_file_name
from indicator_kit.pipeline import LOCK
from indicator_kit.sample import consistent_values
from indicator_kit.simulate import fill_return
from indicator_kit.workspace import MARKER, WORKSPACE_ENV, Workspace
from tests.conftest import ROOT, SPEC_DIR

SLUGS = ("so_y_te", "so_noi_vu")


def ik(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def files_under(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.fixture
def own_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """The workspace's own key, as on the officer's PC (not the test session's shared key)."""
    monkeypatch.delenv(secret.KEY_FILE_ENV)


def new_workspace(folder: Path) -> Path:
    result = ik("init", folder)
    assert result.exit_code == 0, result.output
    return folder


def fill_inbox(ws: Path) -> Path:
    """Templates made by `generate` in `ws`, filled as two agencies would, in its hop_thu/."""
    assert ik("--workspace", ws, "generate", *[a for s in SLUGS for a in ("--agency", s)]).exit_code == 0
    spec, values = load_spec(SPEC_DIR), consistent_values(load_spec(SPEC_DIR))
    for slug in SLUGS:
        template = ws / "ket_qua" / "templates" / template_file_name(slug)
        fill_return(spec, template, ws / "hop_thu" / f"{slug}.xlsx", values, slug)
    return ws / "hop_thu"


def test_init_writes_the_workspace(tmp_path: Path, own_key: None) -> None:
    ws = new_workspace(tmp_path / "Thu thập PL2")
    assert sorted(p.name for p in ws.iterdir()) == [
        ".indicator-kit",
        "HUONG_DAN.md",
        "hop_thu",
        MARKER,
        "ket_qua",
        "workbook_specs",
    ]
    # the editable specs are the repository's workbook_specs/, file for file
    shipped = {k: v for k, v in files_under(ROOT / "workbook_specs").items() if "__" not in k}
    assert files_under(ws / "workbook_specs") == shipped
    assert len(bytes.fromhex((ws / ".indicator-kit" / "secret.key").read_text())) == 32
    guide = (ws / "HUONG_DAN.md").read_text(encoding="utf-8")
    for step in (
        "agencies.yaml",
        "indicator-kit generate",
        "indicator-kit mail drafts",
        "indicator-kit collect",
    ):
        assert step in guide
    assert not list((ws / "hop_thu").iterdir()) and not list((ws / "ket_qua").iterdir())


def test_init_refuses_to_overwrite(tmp_path: Path, own_key: None) -> None:
    ws = new_workspace(tmp_path / "ws")
    (ws / "workbook_specs" / "agencies.yaml").write_text("# sửa tay\n", encoding="utf-8")
    before = files_under(ws)
    again = ik("init", ws)
    assert again.exit_code == ExitCode.USAGE and "đã là thư mục làm việc" in again.output
    assert files_under(ws) == before
    other = tmp_path / "other"
    (other / "hop_thu").mkdir(parents=True)
    (other / "hop_thu" / "a.xlsx").write_bytes(b"x")
    refused = ik("init", other)
    assert (
        refused.exit_code == ExitCode.USAGE
        and "hop_thu" in refused.output
        and "không ghi đè" in refused.output
    )
    assert sorted(p.name for p in other.iterdir()) == ["hop_thu"]


def test_commands_find_the_workspace_from_a_subfolder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, own_key: None
) -> None:
    ws = new_workspace(tmp_path / "ws")
    (ws / "hop_thu" / "đợt 1").mkdir()
    monkeypatch.chdir(ws / "hop_thu" / "đợt 1")
    result = ik("spec", "check")
    assert result.exit_code == 0 and f"Danh mục hợp lệ: {ws.resolve() / 'workbook_specs'}" in result.output


def test_outside_a_workspace_the_way_out_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for argv in (["generate"], ["spec", "check"], ["collect"], ["status"], ["mail", "drafts"]):
        result = ik(*argv)
        assert result.exit_code == ExitCode.USAGE, (argv, result.output)
        assert (
            "indicator-kit init" in result.output
            and "--workspace" in result.output
            and "cd " in result.output
        )
        assert ".yaml" not in result.output.replace(MARKER, "")  # never a list of missing spec files
        assert "Traceback" not in result.output
    assert sorted(tmp_path.iterdir()) == []  # and nothing written here


def test_workspace_named_by_option_or_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, own_key: None
) -> None:
    ws = new_workspace(tmp_path / "Dữ liệu PL2")
    monkeypatch.chdir(tmp_path)
    assert ik("--workspace", ws, "spec", "check").exit_code == 0
    monkeypatch.setenv(WORKSPACE_ENV, str(ws))
    assert ik("generate", "--agency", "so_y_te").exit_code == 0
    assert (ws / "ket_qua" / "templates" / "PL2_so_y_te.xlsx").exists()
    wrong = ik("--workspace", tmp_path, "status")
    assert wrong.exit_code == ExitCode.USAGE and "không phải thư mục làm việc" in wrong.output


def test_every_output_lies_under_the_outputs_folder_or_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, own_key: None
) -> None:
    ws = new_workspace(tmp_path / "ws")
    fill_inbox(ws)
    monkeypatch.chdir(ws / "hop_thu")
    assert ik("collect").exit_code == 0
    assert ik("status", "--as-of", "2024-05-03").exit_code in (0, 1)
    assert ik("mail", "drafts", "--agency", "so_y_te").exit_code == 0
    assert ik("generate").exit_code == 0  # reminders attach the template again for every missing agency
    assert ik("mail", "reminders", "--as-of", "2024-05-03").exit_code == 0
    top = sorted(p.name for p in ws.iterdir())
    assert top == [".indicator-kit", "HUONG_DAN.md", "hop_thu", MARKER, "ket_qua", "workbook_specs"]
    assert sorted(p.name for p in (ws / "hop_thu").iterdir()) == ["so_noi_vu.xlsx", "so_y_te.xlsx"]
    outputs = sorted(p.name for p in (ws / "ket_qua").iterdir() if p.name != LOCK)  # (the run locks)
    assert outputs == ["collect", "mail", "master", "status.html", "templates"]
    assert (ws / "ket_qua" / "master" / "master_long.csv").exists()
    assert (ws / ".indicator-kit" / "ledger.sqlite").exists()
    # --out DIR: everything collect writes, the master included, goes there
    out = tmp_path / "kết quả riêng"
    before = files_under(ws / "ket_qua")
    assert ik("collect", "--out", out).exit_code == 0
    assert {"findings.csv", "findings.json", "PL2_tong_hop.xlsx", "master_long.csv"} <= {
        p.name for p in out.iterdir()
    }
    assert files_under(ws / "ket_qua") == before


def test_only_init_and_generate_make_the_key(tmp_path: Path, own_key: None) -> None:
    ws = new_workspace(tmp_path / "ws")
    inbox = fill_inbox(ws)
    key_file = ws / ".indicator-kit" / "secret.key"
    key_file.unlink()  # e.g. the state folder was not copied with the workspace
    before = files_under(ws)
    for argv in (["collect"], ["merge"], ["status"], ["mail", "reminders"]):
        result = ik("--workspace", ws, *argv)
        assert result.exit_code == ExitCode.USAGE, (argv, result.output)
        assert "Không tìm thấy khóa" in result.output and str(key_file) in result.output
        assert "--workspace" in result.output and "INDICATOR_KIT_KEY_FILE" in result.output
        assert "identity-unverified" not in result.output
    assert not key_file.exists() and files_under(ws) == before  # nothing made, nothing judged
    made = ik("--workspace", ws, "generate", "--agency", "so_y_te")
    assert made.exit_code == 0 and f"Đã tạo khóa ký biểu mẫu mới của Sở: {key_file}" in made.output
    assert key_file.exists()
    assert "Đã tạo khóa" not in ik("--workspace", ws, "generate", "--agency", "so_y_te").output
    assert inbox.exists()


def test_returns_signed_with_another_key_stop_the_run(tmp_path: Path, own_key: None) -> None:
    first = new_workspace(tmp_path / "máy cũ")
    inbox = fill_inbox(first)
    second = new_workspace(tmp_path / "máy mới")
    result = ik("--workspace", second, "collect", inbox)
    assert result.exit_code == ExitCode.USAGE, result.output
    assert "được ký bằng khóa khác" in result.output and "so_y_te.xlsx" in result.output
    assert "INDICATOR_KIT_KEY_FILE" in result.output and "--workspace" in result.output
    assert not list((second / "ket_qua").iterdir())  # stopped before writing anything
    state = second / ".indicator-kit"  # but for the record of the run that did not happen
    assert not ledger.entries(state) and [r.outcome for r in ledger.runs(state)] == [ledger.Outcome.FAILED]
    status = ik("--workspace", second, "status", inbox)
    assert status.exit_code == ExitCode.USAGE and "khóa khác" in status.output
    # the way out: the key the templates were made with
    os.environ[secret.KEY_FILE_ENV] = str(first / ".indicator-kit" / "secret.key")
    try:
        fixed = ik("--workspace", second, "collect", inbox)
    finally:
        del os.environ[secret.KEY_FILE_ENV]
    assert fixed.exit_code == 0, fixed.output
    assert "identity-unverified" not in (second / "ket_qua" / "collect" / "findings.csv").read_text(
        "utf-8-sig"
    )


def test_python_dash_m_runs_the_command(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "indicator_kit", "--workspace", tmp_path, "status"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == ExitCode.USAGE and "không phải thư mục làm việc" in result.stderr
    version = subprocess.run(
        [sys.executable, "-m", "indicator_kit", "--version"], capture_output=True, text=True, check=True
    )
    assert version.stdout.startswith("indicator-kit, phiên bản")


def test_a_missing_inbox_is_named(workspace: Workspace) -> None:
    workspace.inbox.rmdir()
    result = ik("collect")
    assert result.exit_code == ExitCode.USAGE and f"Không có thư mục nhận {workspace.inbox}" in result.output


def test_init_where_nothing_can_be_written_is_a_fault_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "một tệp").write_text("x", encoding="utf-8")
    result = ik("init", tmp_path / "một tệp" / "ws")
    assert result.exit_code == ExitCode.FAULT and "Không tạo được thư mục làm việc" in result.output
    assert "Traceback" not in result.output and sorted(p.name for p in tmp_path.iterdir()) == ["một tệp"]


def test_init_uses_the_key_named_by_the_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shared = tmp_path / "khóa chung" / "secret.key"
    monkeypatch.setenv(secret.KEY_FILE_ENV, str(shared))
    first = ik("init", tmp_path / "máy 1")
    assert first.exit_code == 0 and "khóa ký biểu mẫu của Sở (mới tạo)" in first.output and shared.exists()
    key = shared.read_bytes()
    second = ik("init", tmp_path / "máy 2")
    assert second.exit_code == 0 and f"dùng khóa có sẵn {shared}" in second.output
    assert shared.read_bytes() == key and not (tmp_path / "máy 2" / ".indicator-kit" / "secret.key").exists()


def test_an_accept_that_matches_no_file_is_said(tmp_path: Path, own_key: None) -> None:
    """`--accept` with a mistyped name would leave the file unverified without a word."""
    ws = new_workspace(tmp_path / "ws")
    fill_inbox(ws)
    result = ik("--workspace", ws, "collect", "--accept", "so_y_te.xlsx", "--accept", "so_yte.xlsx")
    assert result.exit_code in (0, 1), result.output
    assert "--accept so_yte.xlsx không khớp tệp nào" in result.output
    assert "--accept so_y_te.xlsx" not in result.output  # a name that matched is not warned about
