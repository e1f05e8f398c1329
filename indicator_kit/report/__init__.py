"""`indicator-kit report`: the Word annex with the comparison summary and charts, from the
master's long table (master_long.csv), so the report shows exactly what the master does."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from indicator_kit.catalog.spec import Spec
from indicator_kit.collect.numbers import ValueFlag
from indicator_kit.errors import IndicatorKitError
from indicator_kit.files import ensure_replaceable, write_atomic
from indicator_kit.merge.annex import build_annex
from indicator_kit.merge.core import CellStatus, MasterCell
from indicator_kit.merge.outputs import MASTER_CSV
from indicator_kit.report.charts import chart_png
from indicator_kit.report.comparison import comparison, load_report_spec
from indicator_kit.report.docx import annex_document

CHART_DIR = "bieu_do"
REPORT_DIR = "report"  # in the workspace's outputs (ket_qua/report)


class MasterMissingError(IndicatorKitError):
    """No master table to report on (merge or collect has not run)."""


@dataclass(frozen=True)
class ReportFiles:
    document: Path
    charts: tuple[Path, ...]

    @property
    def chart_dir(self) -> Path:
        return self.document.parent / CHART_DIR


def read_master_cells(spec: Spec, path: Path) -> dict[tuple[str, str], MasterCell]:
    """The master's cells from master_long.csv, as merge wrote them."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise MasterMissingError(
            f"Chưa có bảng tổng hợp {path}. Chạy `indicator-kit collect` hoặc `indicator-kit merge` trước."
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MasterMissingError(f"Không đọc được {path} ({exc}).") from None
    cells: dict[tuple[str, str], MasterCell] = {}
    try:
        for record in csv.DictReader(io.StringIO(text)):
            key, column = record["key"], record["column"]
            if key not in spec.row_by_key:
                continue  # a row removed from the catalog since: not in this annex
            value = float(record["value"]) if record["value"] else None
            cells[(key, column)] = MasterCell(
                key,
                column,
                CellStatus(record["status"]),
                value,
                _plain(record["agency"]),
                _plain(record["source_file"]),
                record["source_sha256"],
                flag=ValueFlag(record.get("obs_status") or "A"),
            )
    except (KeyError, ValueError) as exc:
        raise MasterMissingError(
            f"{path} không đúng định dạng master_long.csv ({exc}). Chạy lại `indicator-kit merge`."
        ) from None
    for row in spec.input_rows:
        for c in spec.campaign.columns:
            cells.setdefault((row.key, c.id), MasterCell(row.key, c.id, CellStatus.MISSING))
    return cells


def _plain(text: str) -> str:
    """Undo the CSV's formula guard (a leading ' before = + - @)."""
    return text[1:] if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@") else text


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def build_report(spec: Spec, spec_dir: Path, master_dir: Path, out_dir: Path) -> ReportFiles:
    """Write the Word annex and its charts (PNG) into `out_dir`; everything is rendered first."""
    report = load_report_spec(spec_dir, spec)
    cells = read_master_cells(spec, master_dir / MASTER_CSV)
    annex = build_annex(spec, cells)
    places = {ar.row.key: ar.decimals for ar in annex.rows if ar.is_input}
    lines = comparison(report, cells, places)
    charts: list[tuple[str, str, bytes]] = []
    for number, indicator in enumerate(report.indicators, start=1):
        png = chart_png(spec, report, indicator, cells, places.get(indicator.row.key, 1))
        if png is not None:
            charts.append((f"{number:02d}_{_slug(indicator.row.key)}.png", indicator.title, png))
    document = annex_document(spec, annex, report, lines, [(title, png) for _, title, png in charts])
    outputs = {out_dir / report.file: document}
    outputs |= {out_dir / CHART_DIR / name: png for name, _, png in charts}
    for path in outputs:
        ensure_replaceable(path)
    for path, data in outputs.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, data)
    return ReportFiles(out_dir / report.file, tuple(p for p in outputs if p.suffix == ".png"))
