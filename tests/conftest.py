from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import replace
from pathlib import Path

import pytest

from indicator_kit import secret
from indicator_kit.catalog.loader import load_spec
from indicator_kit.catalog.reference import EMPTY_REFERENCE
from indicator_kit.catalog.spec import Spec
from indicator_kit.plan import Plan, compile_plan
from indicator_kit.workspace import WORKSPACE_ENV, Workspace, init_workspace

# One office key for the whole test session (all xdist workers and subprocesses share it), made
# here as `init` would; tests of the key rule itself unset the variable.
os.environ.setdefault(secret.KEY_FILE_ENV, str(Path(tempfile.gettempdir()) / f"ik-test-{os.getuid()}.key"))
secret.create(Path(os.environ[secret.KEY_FILE_ENV]))
os.environ.pop(WORKSPACE_ENV, None)  # the officer's own workspace is not the tests'

ROOT = Path(__file__).resolve().parents[1]
SPEC_DIR = ROOT / "workbook_specs"
# The 18 agencies of Phụ lục 2, written out independently of agencies.yaml.
ALL_SLUGS = [
    "cuc_thong_ke",
    "so_ke_hoach_dau_tu",
    "ban_quan_ly_kkt",
    "so_tai_chinh",
    "so_lao_dong_tbxh",
    "so_khoa_hoc_cong_nghe",
    "so_xay_dung",
    "so_nong_nghiep_ptnt",
    "so_cong_thuong",
    "so_thong_tin_truyen_thong",
    "so_giao_duc_dao_tao",
    "so_y_te",
    "bhxh_thanh_pho",
    "so_van_hoa_the_thao",
    "so_tai_nguyen_moi_truong",
    "cuc_thue",
    "lien_minh_htx",
    "so_noi_vu",
]
_BEFORE = pytest.StashKey[list[str] | None]()
SEED = ROOT / "tests" / "fixtures" / "cong_van_2830_VP-TH_2024.txt"  # the letter (fixtures/README.md)


@pytest.fixture(scope="session")
def spec() -> Spec:
    """The catalog without its reference figures: the synthetic values of `consistent_values`
    (flat levels, zero growth) are not the published series, and a return carrying them would
    rightly be told so. Tests of the comparison with published figures use `published_spec`."""
    return replace(load_spec(SPEC_DIR), reference=EMPTY_REFERENCE)


@pytest.fixture(scope="session")
def published_spec() -> Spec:
    """The catalog as the office loads it, reference figures included."""
    return load_spec(SPEC_DIR)


@pytest.fixture(scope="session")
def plan(spec: Spec) -> Plan:
    return compile_plan(spec)


@pytest.fixture(scope="session")
def published_plan(published_spec: Spec) -> Plan:
    return compile_plan(published_spec)


@pytest.fixture
def spec_copy(tmp_path: Path) -> Path:
    """A writable copy of workbook_specs/ for tests that break it on purpose."""
    target = tmp_path / "specs"
    shutil.copytree(SPEC_DIR, target)
    return target


def synthetic_workspace(root: Path) -> Workspace:
    """A workspace made by `init`, without the published figures, like the `spec` fixture: the
    synthetic values most tests fill in (`consistent_values`) are not the published series, and
    a return carrying them would rightly be warned. Tests of that comparison load it themselves."""
    ws = init_workspace(root).workspace
    (ws.spec_dir / "reference" / "published_figures_2018_2023.csv").unlink()
    return ws


@pytest.fixture(autouse=True)
def workspace(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """Every test runs inside a fresh workspace made by `init` (its current folder), as the
    officer does: nothing a command writes by default can land in the checkout. It lies beside
    the test's tmp_path, not in it, so tests that list tmp_path see only their own files."""
    ws = synthetic_workspace(tmp_path_factory.mktemp("workspace") / "Thu thập PL2")
    monkeypatch.chdir(ws.root)
    return ws


# The suite leaves the checkout as it found it: no test (nor anything a test runs) writes into the
# repository. Tool caches are not outputs.
_CACHES = ("__pycache__", ".pytest_cache", ".hypothesis", ".ruff_cache", ".egg-info", ".venv")


def _checkout_state() -> list[str] | None:
    try:
        result = subprocess.run(
            ["git", "status", "--porcelain", "--ignored", "--untracked-files=all"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return None  # not a git checkout (an unpacked sdist): nothing to compare
    return sorted(line for line in result.stdout.splitlines() if not any(c in line for c in _CACHES))


def pytest_sessionstart(session: pytest.Session) -> None:
    if not hasattr(session.config, "workerinput"):  # the xdist controller, or a plain run
        session.config.stash[_BEFORE] = _checkout_state()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    before = session.config.stash.get(_BEFORE, None)
    if before is None:
        return
    after = _checkout_state()
    if after != before:
        changed = sorted(set(after or []) ^ set(before))
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line("The test suite changed the checkout (git status):", red=True)
            for line in changed:
                reporter.write_line(f"  {line}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


# Tests needing LibreOffice, Chromium or a server skip with a reason on a developer's machine that
# lacks them; in CI (CI=true, where .ci/run installs them) a skip is a failure.
REQUIRED_IN_CI = os.environ.get("CI") == "true"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    if REQUIRED_IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where every tool the tests need is installed (.ci/run): {reason}"
