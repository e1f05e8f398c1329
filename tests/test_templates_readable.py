"""Templates and feedback workbooks read right everywhere: co-reporting rows fit and say who leads,
the "Kiểm tra" column never shows a stale OK, the guide explains period columns and status marks."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
from python_calamine import CalamineWorkbook

from indicator_kit.catalog.spec import Spec
from indicator_kit.collect.report import report_files
from indicator_kit.collect.run import collect_inbox
from indicator_kit.generate import generate, template_file_name
from indicator_kit.plan import Plan
from indicator_kit.sample import consistent_values
from indicator_kit.simulate import fill_return
from indicator_kit.template.layout import GUIDE_SHEET, MAIN_SHEET, build_layout
from tests.workbooks import libreoffice_convert, needs_libreoffice

AGENCY = "cuc_thong_ke"


def broken_return(spec: Spec, plan: Plan, tmp_path: Path) -> tuple[Path, str, str]:
    """A return whose first sum rule fails in 2021; (feedback workbook, anchor row key, message)."""
    generate(plan, tmp_path / "templates", [AGENCY])
    layout = plan.layout(AGENCY)
    check = next(c for c in layout.checks if c.rule.kind.name == "sum" and c.column.id == "y2021")
    part = check.rule.operands.parts[0]
    values = consistent_values(spec)
    fill_return(
        spec,
        tmp_path / "templates" / template_file_name(AGENCY),
        tmp_path / "inbox" / "ctk.xlsx",
        values,
        AGENCY,
        {(part, "y2021"): values[(part, "y2021")] + 17},
    )
    submissions = collect_inbox(tmp_path / "inbox", plan)
    files = report_files(tmp_path / "out", plan, submissions)
    [feedback] = [p for p in files if p.stem == AGENCY]
    feedback.parent.mkdir(parents=True)
    feedback.write_bytes(files[feedback])
    return feedback, check.anchor, f"{check.code.short} (cột 2021)"


def test_feedback_shows_the_failing_check_without_recalculation(
    spec: Spec, plan: Plan, tmp_path: Path
) -> None:
    feedback, anchor, message = broken_return(spec, plan, tmp_path)
    layout = build_layout(spec, AGENCY)
    row, col = layout.cell(anchor, "check")
    cached = CalamineWorkbook.from_path(str(feedback)).get_sheet_by_name(MAIN_SHEET).to_python()
    assert cached[row][col] == message  # what Protected View or a viewer shows before any recalculation
    others = [cached[lr.sheet_row][col] for lr in layout.rows if lr.row.key != anchor]
    # only checks of the changed 2021 value can fail (a part of a sum may also break its share)
    assert all(x in ("OK", "") or x.endswith("(cột 2021)") for x in others), set(others)
    assert 'fullCalcOnLoad="1"' in __import__("zipfile").ZipFile(feedback).read("xl/workbook.xml").decode()


@needs_libreoffice
def test_feedback_in_libreoffice_shows_the_failing_check(spec: Spec, plan: Plan, tmp_path: Path) -> None:
    feedback, anchor, message = broken_return(spec, plan, tmp_path)
    row, col = build_layout(spec, AGENCY).cell(anchor, "check")
    [converted] = libreoffice_convert(
        [feedback], "csv:Text - txt - csv (StarCalc):44,34,76,1", tmp_path / "lo"
    )
    grid = list(csv.reader(converted.open(encoding="utf-8")))
    assert grid[row][col] == message


def test_co_reporting_rows_fit_and_name_the_lead(spec: Spec, plan: Plan, tmp_path: Path) -> None:
    co = next(a.slug for a in spec.agencies if any(r.lead != a.slug for r in spec.rows_for(a.slug)))
    generate(plan, tmp_path, [co])
    ws = openpyxl.load_workbook(tmp_path / template_file_name(co))[MAIN_SHEET]
    layout = build_layout(spec, co)
    col = layout.col["agencies"] + 1
    width = ws.column_dimensions[openpyxl.utils.get_column_letter(col)].width
    for lr in layout.input_rows:
        if lr.role != "co":
            continue
        cell = ws.cell(lr.sheet_row + 1, col)
        lead = spec.agency_by_slug[lr.row.lead].short_name
        assert cell.value.startswith("Quý đơn vị cùng báo cáo") and cell.value.endswith(f"chủ trì: {lead}")
        assert cell.alignment.wrap_text
        words, line, lines = cell.value.split(), 0, 1  # wrapped at word boundaries, as Excel does
        for word in words:
            if line and line + 1 + len(word) > width:
                lines, line = lines + 1, len(word)
            else:
                line += len(word) + (1 if line else 0)
        assert (ws.row_dimensions[lr.sheet_row + 1].height or 15) >= 15 * lines, (cell.value, lines)


def test_guide_says_how_period_columns_and_marks_work(plan: Plan, tmp_path: Path) -> None:
    generate(plan, tmp_path, [AGENCY])
    guide = openpyxl.load_workbook(tmp_path / template_file_name(AGENCY))[GUIDE_SHEET]
    text = "\n".join(str(c.value) for row in guide.iter_rows() for c in row if c.value)
    assert "(sb)" in text and "(ut)" in text and "125,3 (sb)" in text
    assert "Cột giai đoạn" in text
    assert 'có thể để trống cột "Giai đoạn 2019–2023 Hải Phòng" — Sở tính bằng tổng các năm' in text
    assert "bình quân nhân các tốc độ tăng hằng năm" in text
    assert "nhập số của từng giai đoạn" in text
