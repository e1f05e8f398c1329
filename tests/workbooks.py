"""Helpers that treat workbooks as an agency and a second spreadsheet program would."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import openpyxl
import pytest

from indicator_kit.template.layout import MAIN_SHEET, TemplateLayout

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
needs_libreoffice = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) not installed")


def libreoffice_convert(files: Sequence[Path], target: str, out_dir: Path) -> list[Path]:
    """Convert with LibreOffice headless (recalculating formulas on the way).

    Each pytest worker uses its own profile: two soffice processes on one profile collide.
    """
    assert SOFFICE is not None
    out_dir.mkdir(parents=True, exist_ok=True)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    profile = Path(tempfile.gettempdir()) / f"ik-lo-profile-{worker}-{os.getuid()}"
    result = subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--norestore",
            "--convert-to",
            target,
            "--outdir",
            str(out_dir),
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    suffix = "." + target.split(":")[0]
    outputs = [out_dir / (Path(f).stem + suffix) for f in files]
    missing = [p for p in outputs if not p.exists()]
    assert result.returncode == 0 and not missing, (result.stdout, result.stderr, missing)
    return outputs


def fill_template(
    layout: TemplateLayout,
    template: Path,
    out: Path,
    values: Mapping[tuple[str, str], object],
    notes: Mapping[str, str] | None = None,
) -> Path:
    """Type values into the input cells as a clerk would, and save with openpyxl."""
    wb = openpyxl.load_workbook(template)
    ws = wb[MAIN_SHEET]
    for (key, column_id), value in values.items():
        row, col = layout.cell(key, column_id)
        ws.cell(row + 1, col + 1).value = value
    for key, note in (notes or {}).items():
        row, col = layout.cell(key, "note")
        ws.cell(row + 1, col + 1).value = note
    wb.save(out)
    return out
