from __future__ import annotations

import pytest
from click.testing import CliRunner

from indicator_kit.catalog.spec import Spec
from indicator_kit.cli import main
from indicator_kit.errors import ExitCode
from tests.conftest import ALL_SLUGS, SPEC_DIR


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, [*args], catch_exceptions=False)
    return result.exit_code, result.output


def test_spec_check_summary(spec: Spec) -> None:
    code, out = run("spec", "check", "--spec-dir", str(SPEC_DIR))
    assert code == 0
    assert "Số dòng: 219" in out and "nhập liệu: 170" in out
    assert f"mã phiên bản {spec.spec_hash}" in out
    for agency in spec.agencies:
        assert agency.slug in out
    notes = sum(1 for r in spec.rows if r.source_note)
    assert f"Điều chỉnh so với bản in ({notes})" in out


@pytest.mark.parametrize("slug", ALL_SLUGS)
def test_spec_show_lists_exactly_the_agency_rows(spec: Spec, slug: str) -> None:
    code, out = run("spec", "show", "--agency", slug, "--spec-dir", str(SPEC_DIR))
    assert code == 0
    bullets = [line for line in out.splitlines() if "•" in line]
    rows = spec.rows_for(slug)
    assert len(bullets) == len(rows)
    for line, row in zip(bullets, rows, strict=True):
        assert row.label in line and f"[{row.unit}]" in line
        assert ("chủ trì" in line) and (("phối hợp" in line) == (row.lead != slug))


def test_what_a_reader_of_the_letter_expects() -> None:
    _, health = run("spec", "show", "--agency", "so_y_te", "--spec-dir", str(SPEC_DIR))
    assert "Số bác sĩ/vạn dân" in health and "Tỷ lệ tham gia BHYT" in health
    assert "phối hợp (chủ trì: Bảo hiểm xã hội thành phố)" in health
    _, interior = run("spec", "show", "--agency", "so_noi_vu", "--spec-dir", str(SPEC_DIR))
    assert "PAR INDEX" in interior and "PAPI" in interior and "PCI" not in interior


def test_unknown_agency_is_usage_error() -> None:
    code, out = run("spec", "show", "--agency", "so_khong_co", "--spec-dir", str(SPEC_DIR))
    assert code == 2 and "Không có đơn vị 'so_khong_co'" in out


def test_a_crash_is_not_findings(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """An unexpected exception exits with the crash code, never 1 (= findings present), prints no
    traceback, and keeps the traceback in a crash report for the developers."""
    import indicator_kit.cli as cli

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(cli, "load_spec", broken)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    result = CliRunner().invoke(main, ["spec", "check", "--spec-dir", str(SPEC_DIR)], catch_exceptions=False)
    assert result.exit_code == ExitCode.CRASH != ExitCode.FINDINGS
    assert "Traceback" not in result.output and "lỗi nội bộ (RuntimeError)" in result.output
    (report,) = tmp_path.glob("indicator-kit-crash-*.txt")
    assert "simulated bug" in report.read_text(encoding="utf-8")
