from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

import pytest

from indicator_kit.catalog import Spec, load_spec
from indicator_kit.catalog.reference import EMPTY_REFERENCE

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
    """The catalog without its reference figures: the synthetic values of `consistent_values`
    (flat levels, zero growth) are not the published series, and a return carrying them would
    rightly be told so. Tests of the comparison with published figures use `published_spec`."""
    return replace(load_spec(SPEC_DIR), reference=EMPTY_REFERENCE)


@pytest.fixture(scope="session")
def published_spec() -> Spec:
    """The catalog as the office loads it, reference figures included."""
    return load_spec(SPEC_DIR)


@pytest.fixture
def spec_copy(tmp_path: Path) -> Path:
    """A writable copy of workbook_specs/ for tests that break it on purpose."""
    target = tmp_path / "specs"
    shutil.copytree(SPEC_DIR, target)
    return target
