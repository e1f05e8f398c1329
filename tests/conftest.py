from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from indicator_kit.catalog import Spec, load_spec
from indicator_kit.plan import Plan, compile_plan

# One office key for the whole test session (all xdist workers and subprocesses share it).
os.environ.setdefault(
    "INDICATOR_KIT_KEY_FILE", str(Path(tempfile.gettempdir()) / f"ik-test-{os.getuid()}.key")
)

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
SEED = ROOT / "tests" / "fixtures" / "cong_van_2830_VP-TH_2024.txt"  # the letter (fixtures/README.md)


@pytest.fixture(scope="session")
def spec() -> Spec:
    return load_spec(SPEC_DIR)


@pytest.fixture(scope="session")
def plan(spec: Spec) -> Plan:
    return compile_plan(spec)


@pytest.fixture
def spec_copy(tmp_path: Path) -> Path:
    """A writable copy of workbook_specs/ for tests that break it on purpose."""
    target = tmp_path / "specs"
    shutil.copytree(SPEC_DIR, target)
    return target
