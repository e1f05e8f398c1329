from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from indicator_kit.spec import Spec, load_spec

ROOT = Path(__file__).resolve().parents[1]
SPEC_DIR = ROOT / "workbook_specs"
SEED = ROOT.parent / "shared" / "seed" / "cong_van_2830_VP-TH_2024.txt"


@pytest.fixture(scope="session")
def spec() -> Spec:
    return load_spec(SPEC_DIR)


@pytest.fixture
def spec_copy(tmp_path: Path) -> Path:
    """A writable copy of workbook_specs/ for tests that break it on purpose."""
    target = tmp_path / "specs"
    shutil.copytree(SPEC_DIR, target)
    return target
