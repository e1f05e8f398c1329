"""merge and status end to end: every agency's return, one missing, one late, one resubmitting,
two co-reporting a row differently, one with an error cell."""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from indicator_kit.catalog.spec import Spec
from indicator_kit.cli import main
from indicator_kit.collect.run import collect_inbox
from indicator_kit.errors import ExitCode
from indicator_kit.generate import generate, template_file_name
from indicator_kit.merge import outputs
from indicator_kit.merge.core import CellStatus, merge
from indicator_kit.merge.outputs import load_master, render_master, write_master
from indicator_kit.plan import Plan
from indicator_kit.sample import consistent_values
from indicator_kit.simulate import fill_return
from indicator_kit.template.layout import build_master_layout

MISSING, LATE, RESUBMITS, WITH_ERROR = "so_noi_vu", "so_y_te", "so_tai_chinh", "so_xay_dung"
LEAD, CO = "bhxh_thanh_pho", "so_y_te"  # both report "Tỷ lệ tham gia BHYT"
BHYT = "xh.bhyt"
CHANGED = ("kt.thu_ns.tien_su_dung_dat", "y2019")
REMOVED = ("kt.thu_ns.vien_tro_huy_dong", "y2018")
BAD = ("kt.do_thi_hoa", "y2019")


def stamp(path: Path, day: str) -> None:
    moment = datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp()
    os.utime(path, (moment, moment))


@pytest.fixture(scope="module")
def inbox(spec: Spec, plan: Plan, tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("campaign")
    generate(plan, tmp / "templates")
    values = consistent_values(spec)
    box = tmp / "inbox"

    def send(slug: str, name: str, day: str, changes: dict | None = None) -> None:
        path = fill_return(
            spec, tmp / "templates" / template_file_name(slug), box / name, values, slug, changes
        )
        stamp(path, day)

    for agency in spec.agencies:
        if agency.slug in (MISSING, LATE, RESUBMITS, WITH_ERROR, LEAD):
            continue
        send(agency.slug, f"{agency.slug}.xlsx", "2024-05-02T09:00:00")
    send(LATE, "y_te.xlsx", "2024-05-06T08:00:00", {(BHYT, "y2020"): values[(BHYT, "y2020")] + 2})
    send(LEAD, "bhxh.xlsx", "2024-05-03T10:00:00", {(BHYT, "y2021"): None})
    send(WITH_ERROR, "xay_dung.xlsx", "2024-05-02T15:00:00", {BAD: "khoảng 40"})
    send(RESUBMITS, "tai_chinh_lan1.xlsx", "2024-05-01T08:00:00", {CHANGED: 900})
    send(RESUBMITS, "tai_chinh_lan2.xlsx", "2024-05-03T08:00:00", {REMOVED: None})
    return box


@pytest.fixture(scope="module")
def master(spec: Spec, plan: Plan, inbox: Path):
    return merge(plan, collect_inbox(inbox, plan))


def test_master_cells(spec: Spec, master, inbox: Path) -> None:
    values = consistent_values(spec)
    lead = master.cells[(BHYT, "y2020")]
    assert (lead.status, lead.value, lead.agency, lead.source_file) == (
        CellStatus.REPORTED,
        values[(BHYT, "y2020")],
        LEAD,
        "bhxh.xlsx",
    )
    filled_by_co = master.cells[(BHYT, "y2021")]
    assert (filled_by_co.status, filled_by_co.value, filled_by_co.agency, filled_by_co.source_file) == (
        CellStatus.CO_AGENCY,
        values[(BHYT, "y2021")],
        CO,
        "y_te.xlsx",
    )
    rejected = master.cells[BAD]
    assert (
        rejected.status is CellStatus.REJECTED and rejected.value is None and "khoảng 40" in rejected.reason
    )
    assert master.cells[("kt.do_thi_hoa", "y2020")].status is CellStatus.REPORTED
    for row in spec.rows_for(MISSING):
        assert {master.cells[(row.key, c.id)].status for c in spec.campaign.columns} == {CellStatus.MISSING}
    resubmitted = master.cells[CHANGED]
    assert resubmitted.source_file == "tai_chinh_lan2.xlsx" and resubmitted.value == values[CHANGED]
    assert resubmitted.changed and resubmitted.changed_from == 900
    assert master.cells[REMOVED].status is CellStatus.MISSING


def test_disagreement_and_changes_listed(spec: Spec, master) -> None:
    conflict = [d for d in master.disagreements if d.key == BHYT and d.column == "y2020"]
    assert len(conflict) == 1 and set(conflict[0].values) == {LEAD, CO}
    changed = {(c.key, c.column): (c.old, c.new) for c in master.changes if c.agency == RESUBMITS}
    assert changed == {CHANGED: ("900", "1.000"), REMOVED: ("1.000", "(trống)")}


def test_status_table(spec: Spec, plan: Plan, master, inbox: Path) -> None:
    from indicator_kit.verdict import FileRole, State, Timing, judge

    by = {s.agency: s for s in master.statuses}
    assert not by[MISSING].received
    assert by[LATE].on_time is False and by[LEAD].on_time is True
    assert by[RESUBMITS].current.file == "tai_chinh_lan2.xlsx"
    assert [o.file for o in by[RESUBMITS].older] == ["tai_chinh_lan1.xlsx"]
    assert by[RESUBMITS].answered == by[RESUBMITS].expected - 1
    verdicts = judge(spec, master, collect_inbox(inbox, plan), date(2024, 5, 7))
    v = {a.agency: a for a in verdicts.agencies}
    assert (v[MISSING].state, v[MISSING].timing) == (State.NOT_RECEIVED, Timing.OVERDUE)
    assert v[WITH_ERROR].state is State.NEEDS_FIX and v[WITH_ERROR].errors == 1
    assert v[RESUBMITS].state is State.NEEDS_FIX and v[RESUBMITS].blank_cells == 1  # one cell emptied
    (old,) = v[RESUBMITS].superseded
    assert (old.file, old.role, old.note) == (
        "tai_chinh_lan1.xlsx",
        FileRole.SUPERSEDED,
        "đã được thay bằng tai_chinh_lan2.xlsx",
    )
    assert v[LATE].timing is Timing.LATE
    assert v["cuc_thong_ke"].state is State.ACCEPTED and v["cuc_thong_ke"].timing is Timing.ON_TIME


def test_long_csv_and_workbook(spec: Spec, plan: Plan, master, inbox: Path, tmp_path: Path) -> None:
    from indicator_kit.collect.report import all_findings

    paths = write_master(tmp_path, render_master(spec, master, all_findings(collect_inbox(inbox, plan))))
    frame = load_master(paths[1])
    assert list(frame.columns) == outputs.LONG_COLUMNS
    assert len(frame) == len(spec.input_rows) * len(spec.campaign.columns)
    row = frame[(frame.key == BAD[0]) & (frame.column == BAD[1])].iloc[0]
    assert row.status == "rejected" and row.value != row.value  # NaN
    co = frame[(frame.key == BHYT) & (frame.column == "y2021")].iloc[0]
    assert (co.status, co.agency, co.source_file) == ("co-agency", CO, "y_te.xlsx")
    wb = openpyxl.load_workbook(paths[0])
    assert wb.sheetnames == [
        "Phụ lục 2 (bản in)",
        "Phụ lục 2",
        "Nguồn số liệu",
        "Tình trạng nộp",
        "Lỗi",
        "Chênh lệch",
        "Nộp lại",
    ]
    ws = wb["Phụ lục 2"]
    layout = build_master_layout(spec)
    assert [ws.cell(lr.sheet_row + 1, 2).value for lr in layout.rows] == [r.label for r in spec.rows]
    bad = ws.cell(*(x + 1 for x in layout.cell(*BAD)))
    assert bad.value == "bị loại" and "khoảng 40" in bad.comment.text
    blank = ws.cell(*(x + 1 for x in layout.cell(spec.rows_for(MISSING)[0].key, "y2019")))
    assert blank.value is None and blank.fill.fgColor.rgb.endswith("FFF2CC")
    co_cell = ws.cell(*(x + 1 for x in layout.cell(BHYT, "y2021")))
    assert "phối hợp" in co_cell.comment.text
    status_rows = {r[1].value: r for r in wb["Tình trạng nộp"].iter_rows(min_row=2)}
    assert status_rows[MISSING][2].value == "chưa nộp" and status_rows[LATE][3].value == "muộn"
    assert status_rows[MISSING][12].value == "nhắc nộp"
    gaps = wb["Chênh lệch"]
    header = [c.value for c in gaps[1]]
    assert header[:4] == ["Chỉ tiêu", "Cột", "Số của các đơn vị", "Nội dung"]  # words first, codes after
    gap = next(r for r in gaps.iter_rows(min_row=2, values_only=True) if r[header.index("Mã dòng")] == BHYT)
    assert gap[0] == spec.row_by_key[BHYT].label and gap[1] == "Năm 2020"
    assert "Bảo hiểm xã hội thành phố: " in gap[2] and "Sở Y tế: " in gap[2]  # names, not slugs
    problems = wb["Lỗi"]
    header = [c.value for c in problems[1]]
    bad = next(
        r for r in problems.iter_rows(min_row=2, values_only=True) if r[header.index("Mã dòng")] == BAD[0]
    )
    assert (bad[header.index("Mức độ")], bad[header.index("Loại")], bad[header.index("Mã lỗi")]) == (
        "Lỗi",
        "Không phải số",
        "value-invalid",
    )
    assert bad[header.index("Đơn vị")] == "Sở Xây dựng" and bad[header.index("Cột")] == "Năm 2019"
    message = next(row[header.index("Nội dung")] for row in problems.iter_rows(min_row=2))
    code = next(row[header.index("Mã lỗi")] for row in problems.iter_rows(min_row=2))
    assert message.alignment.wrap_text and not code.alignment.wrap_text  # sentences wrap, codes do not
    changes = wb["Nộp lại"]
    header = [c.value for c in changes[1]]
    changed = next(
        r for r in changes.iter_rows(min_row=2, values_only=True) if r[header.index("Mã dòng")] == CHANGED[0]
    )
    assert changed[0] == "Sở Tài chính" and changed[1] == spec.row_by_key[CHANGED[0]].label


def test_rerun_gives_identical_master(spec: Spec, inbox: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    for name in ("a", "b"):
        result = runner.invoke(
            main, ["merge", str(inbox), "--out", str(tmp_path / name)], catch_exceptions=False
        )
        assert result.exit_code == 0, result.output
    for name in (outputs.MASTER_XLSX, outputs.MASTER_CSV):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_interrupted_run_leaves_previous_master(
    spec: Spec, inbox: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    assert (
        runner.invoke(
            main,
            ["merge", str(inbox), "--out", str(tmp_path)],
            catch_exceptions=False,
        ).exit_code
        == 0
    )
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}

    def broken(*args: object) -> bytes:
        raise RuntimeError("killed while writing")

    monkeypatch.setattr(outputs, "long_csv", broken)
    result = runner.invoke(
        main,
        ["merge", str(inbox), "--out", str(tmp_path)],
        catch_exceptions=False,
    )
    assert result.exit_code != 0
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == before


def test_status_command(spec: Spec, inbox: Path, tmp_path: Path) -> None:
    html = tmp_path / "status.html"
    result = CliRunner().invoke(
        main, ["status", str(inbox), "--as-of", "2024-05-03", "--html", str(html)], catch_exceptions=False
    )
    assert result.exit_code == 1
    # the deadline once, in the campaign's words and date style
    assert "Ngày 03/5/2024: còn 2 ngày đến hạn nộp (trước ngày 05/5/2024)." in result.output
    assert "05/05/2024" not in result.output and result.output.count("05/5/2024") == 1
    line = next(x for x in result.output.splitlines() if x.startswith("Sở Nội vụ"))
    assert "chưa nộp" in line and "chưa đến hạn" in line
    # Sở Y tế's file arrived on 6/5: as of 3/5 it has not arrived, and is not "muộn"
    early = next(x for x in result.output.splitlines() if x.startswith("Sở Y tế"))
    assert "chưa nộp" in early and "chưa đến hạn" in early and "muộn" not in early
    assert "Không tính y_te.xlsx: nhận ngày 06/5/2024, sau ngày 03/5/2024." in result.output
    page = html.read_text(encoding="utf-8")
    assert "<table>" in page and "Sở Xây dựng" in page and "đã nộp – cần sửa" in page
    assert "Không tính 1 tệp đến sau ngày 03/5/2024" in page
    after = CliRunner().invoke(
        main, ["status", str(inbox), "--as-of", "2024-05-07", "--html", str(html)], catch_exceptions=False
    )
    assert "Ngày 07/5/2024: đã quá hạn nộp 2 ngày (trước ngày 05/5/2024)." in after.output
    late = next(x for x in after.output.splitlines() if x.startswith("Sở Y tế"))
    # its BHYT 2020 differs from the lead's (BHXH): a warning of its file, counted in its state
    assert "muộn" in late and "đã nộp – có cảnh báo" in late and "xem lại cảnh báo (1 cảnh báo)" in late
    lead = next(x for x in after.output.splitlines() if x.startswith("Bảo hiểm xã hội"))
    assert "đã nộp – cần sửa" in lead and "1 ô chưa có số liệu" in lead  # its blank 2021 comes first
    # answered/expected, errors, warnings, explained: the disagreement counted on both files
    assert re.search(r"\s0\s+1\s+0\s+xem lại cảnh báo", late)
    assert re.search(r"\s0\s+1\s+0\s+đề nghị sửa", lead)


def test_status_exit_zero_when_everyone_is_done(spec: Spec, plan: Plan, tmp_path: Path) -> None:
    generate(plan, tmp_path / "t")
    values = consistent_values(spec)
    for agency in spec.agencies:
        path = fill_return(
            spec,
            tmp_path / "t" / template_file_name(agency.slug),
            tmp_path / "in" / f"{agency.slug}.xlsx",
            values,
            agency.slug,
        )
        stamp(path, "2024-05-02T09:00:00")
    result = CliRunner().invoke(
        main,
        ["status", str(tmp_path / "in"), "--as-of", "2024-05-03", "--html", str(tmp_path / "s.html")],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert date(2024, 5, 3) < spec.campaign.deadline


CHROMIUM = next((p for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser") if Path(p).exists()), None)


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed")
def test_status_page_renders_in_chromium(spec: Spec, inbox: Path, tmp_path: Path) -> None:
    import subprocess

    html = tmp_path / "status.html"
    CliRunner().invoke(
        main, ["status", str(inbox), "--as-of", "2024-05-03", "--html", str(html)], catch_exceptions=False
    )
    flags = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    shot = tmp_path / "status.png"
    subprocess.run(
        [*flags, "--window-size=1280,900", f"--screenshot={shot}", html.as_uri()],
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 20_000
    dom = subprocess.run(
        [*flags, "--dump-dom", html.as_uri()], capture_output=True, timeout=120, check=True, text=True
    ).stdout
    assert "còn 2 ngày đến hạn nộp" in dom
    assert dom.count("<tr") == len(spec.agencies) + 1
    assert "chưa nộp" in dom and "Sở Nội vụ" in dom


def test_negative_values_survive_the_long_csv(spec: Spec, plan: Plan, tmp_path: Path) -> None:
    """Formula-injection neutralising must never touch numbers (a growth of -3,28 %)."""
    generate(plan, tmp_path / "t", ["cuc_thong_ke"])
    values = consistent_values(spec)
    fill_return(
        spec,
        tmp_path / "t" / template_file_name("cuc_thong_ke"),
        tmp_path / "in" / "ctk.xlsx",
        values,
        "cuc_thong_ke",
        {("kt.nganh.nong_nghiep.dong_gop_tang_truong", "y2020"): -3.28},
    )
    master = merge(plan, collect_inbox(tmp_path / "in", plan))
    frame = load_master(write_master(tmp_path / "m", render_master(spec, master, []))[1])
    row = frame[(frame.key == "kt.nganh.nong_nghiep.dong_gop_tang_truong") & (frame.column == "y2020")].iloc[
        0
    ]
    assert row.value == -3.28


def merged_once(inbox: Path, out: Path) -> dict[str, bytes]:
    """Run merge into `out` and return what it wrote (name → bytes)."""
    assert (
        CliRunner().invoke(main, ["merge", str(inbox), "--out", str(out)], catch_exceptions=False).exit_code
        == 0
    )
    return {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}


@pytest.mark.parametrize("command", ["merge", "collect"])
def test_master_open_in_excel_is_a_clear_message(
    spec: Spec, inbox: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    """On Windows a file open in Excel cannot be replaced: the run says so and changes nothing.
    (collect renders the master in a child process: its error still reaches the message.)"""
    runner, before = CliRunner(), merged_once(inbox, tmp_path)
    args = (
        ["--out", str(tmp_path)]
        if command == "merge"
        else ["--out", str(tmp_path / "c"), "--master-out", str(tmp_path)]
    )
    import indicator_kit.files as files

    real_replace = files.os.replace

    def locked(source: str, target: object) -> None:
        if str(target).endswith(outputs.MASTER_XLSX):
            raise PermissionError(13, "The process cannot access the file")
        real_replace(source, target)

    monkeypatch.setattr(files.os, "replace", locked)
    result = runner.invoke(main, [command, str(inbox), *args], catch_exceptions=False)
    assert result.exit_code == ExitCode.FAULT
    assert (
        "đang mở" in result.output
        and outputs.MASTER_XLSX in result.output
        and "Traceback" not in result.output
    )
    masters = (outputs.MASTER_XLSX, outputs.MASTER_CSV)  # (collect keeps its ledger here too)
    assert {name: (tmp_path / name).read_bytes() for name in masters} == {
        name: before[name] for name in masters
    }
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert "chưa hoàn tất" in result.output  # and says what it did not write
    if command == "collect":  # the run is one transaction: nor are its findings published
        assert not (tmp_path / "c" / "findings.csv").exists()


def test_any_locked_output_stops_before_anything_is_replaced(
    spec: Spec, inbox: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner, before = CliRunner(), merged_once(inbox, tmp_path)
    real_open = Path.open

    def locked_csv(self: Path, mode: str = "r", *args: object, **kwargs: object):
        if self.name == outputs.MASTER_CSV and "a" in mode:
            raise PermissionError(13, "locked by Excel")
        return real_open(self, mode, *args, **kwargs)

    monkeypatch.setattr(Path, "open", locked_csv)
    result = runner.invoke(
        main,
        ["merge", str(inbox), "--out", str(tmp_path)],
        catch_exceptions=False,
    )
    assert result.exit_code == ExitCode.FAULT and outputs.MASTER_CSV in result.output
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == before  # xlsx untouched too
