"""One verdict per agency: collect's summary, status (terminal and page), the master's
"Tình trạng nộp" sheet and the reminders say the same thing about the same mixed inbox
(issue #18's cases: a return with the period columns blank, files collect flags that status used
to call "chưa nộp", a replaced file, an error, an agency that never sent anything)."""

from __future__ import annotations

import os
import re
import shutil
import zipfile
from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result

from indicator_kit.catalog.model import PeriodAggregate
from indicator_kit.catalog.spec import Spec
from indicator_kit.cli import main
from indicator_kit.generate import generate, identity_for, template_file_name
from indicator_kit.plan import Plan
from indicator_kit.sample import consistent_values
from indicator_kit.simulate import fill_return
from indicator_kit.verdict import State
from indicator_kit.workspace import Workspace
from tests.conftest import SPEC_DIR, synthetic_workspace

PERIODS_BLANK, UNVERIFIED, BLANK_TEMPLATE = "so_tai_chinh", "so_y_te", "so_noi_vu"
WITH_ERROR, RESUBMITS, NEVER = "so_xay_dung", "so_ke_hoach_dau_tu", "lien_minh_htx"
EXPECTED = {
    PERIODS_BLANK: State.NEEDS_FIX,
    UNVERIFIED: State.NEEDS_FIX,
    BLANK_TEMPLATE: State.NEEDS_FIX,
    WITH_ERROR: State.NEEDS_FIX,
    RESUBMITS: State.ACCEPTED,
    NEVER: State.NOT_RECEIVED,
}


def stamp(path: Path, day: str) -> Path:
    moment = datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp()
    os.utime(path, (moment, moment))
    return path


def forge_token(path: Path, out: Path, token: str) -> Path:
    """The same file with its identity's signature damaged (as a hand edit would)."""
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename.endswith(".xml"):
                data = data.replace(token.encode(), b"0" * len(token))
            dst.writestr(item, data)
    return out


@pytest.fixture(scope="module")
def campaign(spec: Spec, plan: Plan, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("coherence")
    templates, inbox = root / "templates", root / "inbox"
    generate(plan, templates)
    values = consistent_values(spec)

    def send(slug: str, name: str, changes: dict | None = None, day: str = "2024-05-02T09:00:00") -> Path:
        path = fill_return(spec, templates / template_file_name(slug), inbox / name, values, slug, changes)
        return stamp(path, day)

    for agency in spec.agencies:
        if agency.slug in EXPECTED:
            continue
        send(agency.slug, f"{agency.slug}.xlsx")
    periods = {
        (row.key, c.id): None
        for row in spec.rows_for(PERIODS_BLANK)
        for c in spec.campaign.columns
        if not c.is_year
    }
    send(PERIODS_BLANK, "tai_chinh.xlsx", periods)
    genuine = send(UNVERIFIED, "y_te_goc.xlsx")
    forge_token(genuine, inbox / "y_te.xlsx", identity_for(spec, UNVERIFIED).token)
    genuine.unlink()
    stamp(inbox / "y_te.xlsx", "2024-05-02T10:00:00")
    stamp(
        shutil.copy(templates / template_file_name(BLANK_TEMPLATE), inbox / "noi_vu.xlsx"), "2024-05-03T08:00"
    )
    send(WITH_ERROR, "xay_dung.xlsx", {("kt.do_thi_hoa", "y2019"): "khoảng 40"})
    send(RESUBMITS, "khdt_lan1.xlsx", {("kt.fdi.so_du_an", "y2020"): "abc"}, "2024-05-01T08:00:00")
    send(RESUBMITS, "khdt_lan2.xlsx", None, "2024-05-03T08:00:00")
    return root


STATES = sorted(State, key=len, reverse=True)


def state_in(text: str) -> State:
    return next(s for s in STATES if s.value in text)


@pytest.fixture(scope="module")
def four_views(spec: Spec, campaign: Path) -> dict[str, dict[str, State]]:
    """The four views, run in one workspace of their own (one ledger for all four)."""
    ws = synthetic_workspace(campaign / "Thu thập PL2")
    runner = CliRunner()
    state = campaign / "state"

    def invoke(args: list[str]) -> Result:
        return runner.invoke(main, ["--workspace", str(ws.root), *args], catch_exceptions=False)

    names = {a.short_name: a.slug for a in spec.agencies}
    collected = invoke(
        [
            "collect",
            str(campaign / "inbox"),
            "--out",
            str(state / "collect"),
            "--master-out",
            str(state / "master"),
        ]
    )
    assert collected.exit_code == 1, collected.output
    summary = collected.output.split("Tình trạng từng đơn vị")[1].splitlines()[1 : len(names) + 1]
    by_collect = {}
    for line in summary:
        name, rest = re.split(r"\s{2,}", line.strip(), maxsplit=1)
        by_collect[names[name]] = State(rest.split(" — ")[0])

    status = invoke(
        ["status", str(campaign / "inbox"), "--as-of", "2024-05-07", "--html", str(state / "status.html")]
    )
    by_status = {
        names[name]: state_in(line[len(name) :])
        for line in status.output.splitlines()
        for name in names
        if line.startswith(name + "  ")
    }
    page = (state / "status.html").read_text(encoding="utf-8")
    by_page = {
        names[name]: State(value)
        for name, value in re.findall(r"<td>([^<]+)</td><td class=\"state\"><strong>([^<]+)</strong>", page)
    }
    sheet = openpyxl.load_workbook(state / "master" / "PL2_tong_hop.xlsx")["Tình trạng nộp"]
    headers = [c.value for c in sheet[1]]
    by_master = {
        row[headers.index("Mã đơn vị")]: State(row[headers.index("Tình trạng")])
        for row in sheet.iter_rows(min_row=2, values_only=True)
    }
    out = state / "mail" / "reminders"
    letters = invoke(
        [
            "mail",
            "reminders",
            str(campaign / "inbox"),
            "--as-of",
            "2024-05-07",
            "--templates",
            str(campaign / "templates"),
            "--out",
            str(out),
        ]
    )
    assert letters.exit_code == 0, letters.output
    kinds = {p.stem: message_from_bytes(p.read_bytes())["X-Indicator-Kit-Kind"] for p in out.glob("*.eml")}
    by_mail = {
        a.slug: {"reminder": State.NOT_RECEIVED, "correction": State.NEEDS_FIX}.get(kinds.get(a.slug, ""))
        for a in spec.agencies
    }
    return {
        "collect": by_collect,
        "status": by_status,
        "page": by_page,
        "master": by_master,
        "mail": by_mail,
    }


def test_all_four_agree(spec: Spec, four_views: dict[str, dict[str, State]]) -> None:
    reference = four_views["master"]
    assert set(reference) == {a.slug for a in spec.agencies}
    for view in ("collect", "status", "page"):
        assert four_views[view] == reference, view
    # the mail writes to exactly those who must act, and nobody else
    acting = {slug: s for slug, s in reference.items() if s in (State.NOT_RECEIVED, State.NEEDS_FIX)}
    assert {slug: s for slug, s in four_views["mail"].items() if s} == acting
    for slug, expected in EXPECTED.items():
        assert reference[slug] is expected, slug


def letter(campaign: Path, slug: str) -> tuple[str, str, list[str]]:
    message = message_from_bytes(
        (campaign / "state" / "mail" / "reminders" / f"{slug}.eml").read_bytes(), policy=default
    )
    body = message.get_body(("plain",)).get_content()
    return str(message["Subject"]), body, [a.get_filename() for a in message.iter_attachments()]


def test_blank_periods_are_asked_for(spec: Spec, campaign: Path, four_views: dict) -> None:
    subject, body, attachments = letter(campaign, PERIODS_BLANK)
    assert subject.startswith("[Đề nghị sửa]")
    # Period cells the office computes from the years (the catalog says how) are not asked for:
    # in 2019–2023 every row with a `period` aggregate; in 2014–2018 only "last" (2018 is there).
    mine = spec.rows_for(PERIODS_BLANK)
    recent = sum(1 for r in mine if r.period is PeriodAggregate.NONE)
    earlier = sum(1 for r in mine if r.period is not PeriodAggregate.LAST)
    assert 0 < recent < len(mine)
    assert f"{recent} ô của cột Giai đoạn 2019–2023 – Hải Phòng chưa có số liệu" in body
    assert f"{earlier} ô của cột Giai đoạn 2014–2018 chưa có số liệu" in body
    assert attachments == ["Phụ lục 2 - Sở Tài chính - cần sửa.xlsx"]


@pytest.mark.parametrize(
    ("slug", "file", "reason"),
    [
        (UNVERIFIED, "y_te.xlsx", "mã nhận dạng không xác thực được"),
        (BLANK_TEMPLATE, "noi_vu.xlsx", "chưa có số liệu nào"),
    ],
)
def test_a_file_sent_is_never_called_not_received(
    spec: Spec, campaign: Path, four_views: dict, slug: str, file: str, reason: str
) -> None:
    subject, body, attachments = letter(campaign, slug)
    assert subject.startswith("[Đề nghị sửa]") and "chưa nhận được" not in body
    assert f"tệp {file}" in body and reason in body
    assert attachments == [f"Phụ lục 2 - {spec.agency_by_slug[slug].short_name}.xlsx"]  # a clean template


def test_collect_lines_say_what_became_of_each_file(campaign: Path) -> None:
    output = (
        CliRunner()
        .invoke(
            main,
            [
                "collect",
                str(campaign / "inbox"),
                "--out",
                str(campaign / "again" / "collect"),
                "--master-out",
                str(campaign / "again" / "master"),
            ],
            catch_exceptions=False,
        )
        .output
    )
    tagged = (re.match(r"^\[[^\]]+\]\s+(\S+)", line) for line in output.splitlines())
    lines = {m.group(1): m.group(0) for m in tagged if m}
    assert lines["khdt_lan1.xlsx"].startswith("[ĐÃ THAY]") and "đã được thay bằng khdt_lan2.xlsx" in output
    assert "[LỖI]" not in output
    for name in ("tai_chinh.xlsx", "y_te.xlsx", "noi_vu.xlsx", "xay_dung.xlsx"):
        assert lines[name].startswith("[CẦN SỬA]"), lines[name]
    assert lines["khdt_lan2.xlsx"].startswith("[ĐẠT]")


def test_empty_or_wrong_inbox_never_replaces_a_good_master(
    spec: Spec, campaign: Path, tmp_path: Path
) -> None:
    runner = CliRunner()
    master = tmp_path / "master"
    args = ["--out", str(tmp_path / "collect"), "--master-out", str(master)]
    good = runner.invoke(main, ["collect", str(campaign / "inbox"), *args], catch_exceptions=False)
    assert good.exit_code == 1
    before = {p.name: p.read_bytes() for p in master.iterdir()}
    empty = tmp_path / "empty"
    empty.mkdir()
    result = runner.invoke(main, ["collect", str(empty), *args], catch_exceptions=False)
    assert result.exit_code == 2
    assert f"Thư mục nhận {empty} không có biểu số liệu nào đã điền: thư mục trống" in result.output
    assert "bảng tổng hợp cũ được giữ nguyên" in result.output
    wrong = tmp_path / "wrong"  # the templates folder chosen by mistake, and a letter
    shutil.copytree(campaign / "templates", wrong)
    (wrong / "cong_van.pdf").write_bytes(b"%PDF-1.7\n")
    result = runner.invoke(main, ["collect", str(wrong), *args], catch_exceptions=False)
    assert result.exit_code == 2
    assert (
        "20 tệp — 18 bảng tính chưa có số liệu nào (biểu mẫu trống?); 2 tệp không phải bảng tính"
        in result.output
    )
    merged = runner.invoke(main, ["merge", str(empty), "--out", str(master)], catch_exceptions=False)
    assert merged.exit_code == 2
    assert {p.name: p.read_bytes() for p in master.iterdir()} == before


def test_a_vanished_file_is_kept_from_the_archive(
    spec: Spec, campaign: Path, tmp_path: Path, workspace: Workspace
) -> None:
    import pandas as pd

    inbox = tmp_path / "inbox"
    shutil.copytree(campaign / "inbox", inbox)
    runner = CliRunner()
    args = ["--out", str(tmp_path / "collect"), "--master-out", str(tmp_path / "master")]
    runner.invoke(main, ["collect", str(inbox), *args], catch_exceptions=False)
    (inbox / "cuc_thong_ke.xlsx").unlink()  # cleaned away by hand, or a wrong copy of the folder
    again = runner.invoke(main, ["collect", str(inbox), *args], catch_exceptions=False)
    assert "Lấy từ lưu trữ: cuc_thong_ke.xlsx — tệp không còn trong thư mục nhận" in again.output
    frame = pd.read_csv(tmp_path / "master" / "master_long.csv", encoding="utf-8-sig")
    theirs = frame[frame.agency == "cuc_thong_ke"]
    assert len(theirs) and set(theirs.source_file) == {"cuc_thong_ke.xlsx"}
    summary = again.output.split("Tình trạng từng đơn vị")[1]
    assert re.search(r"Cục Thống kê\s+đạt", summary)
    # the archive copy gone too: said plainly, not silently dropped
    for copy in (workspace.state_dir / "archive").glob("*.xlsx"):
        copy.unlink()
    third = runner.invoke(main, ["collect", str(inbox), *args], catch_exceptions=False)
    assert "Cảnh báo: tệp cuc_thong_ke.xlsx (đơn vị cuc_thong_ke) đã nhận trước đây không còn" in third.output


def test_findings_workbook_for_people(spec: Spec, campaign: Path, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    shutil.copytree(campaign / "inbox", inbox)
    values = consistent_values(spec)
    row = spec.rows_for("so_cong_thuong")[0].key
    texts = {
        # "1.000": 1 or 1 000? an ambiguous reading is a warning (a number typed as text in an
        # unambiguous notation is only recorded, as info)
        (row, c.id): f"{values[(row, c.id)]:,.0f}".replace(",", ".") + " "
        for c in spec.campaign.columns[:6]
    }
    fill_return(
        spec,
        campaign / "templates" / template_file_name("so_cong_thuong"),
        inbox / "so_cong_thuong.xlsx",
        values,
        "so_cong_thuong",
        {k: v.strip() + "\u00a0" for k, v in texts.items()},
    )
    stamp(inbox / "so_cong_thuong.xlsx", "2024-05-02T09:00:00")
    out = tmp_path / "collect"
    CliRunner().invoke(
        main,
        ["collect", str(inbox), "--out", str(out), "--master-out", str(tmp_path / "m")],
        catch_exceptions=False,
    )
    wb = openpyxl.load_workbook(out / "findings.xlsx")
    assert wb.sheetnames == ["Cần xử lý", "Tệp đã nhận"]
    ws = wb["Cần xử lý"]
    assert [c.value for c in ws[1]] == [
        "Đơn vị",
        "Tệp",
        "Sheet",
        "Ô",
        "Chỉ tiêu",
        "Cột",
        "Mức độ",
        "Loại",
        "Nội dung",
    ]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref
    rows = [
        dict(zip([c.value for c in ws[1]], r, strict=True)) for r in ws.iter_rows(min_row=2, values_only=True)
    ]
    assert {r["Mức độ"] for r in rows} <= {"Lỗi", "Cảnh báo"} and "Lỗi" in {r["Mức độ"] for r in rows}
    bad = next(r for r in rows if r["Tệp"] == "xay_dung.xlsx")
    assert (bad["Đơn vị"], bad["Cột"], bad["Mức độ"], bad["Loại"]) == (
        "Sở Xây dựng",
        "Năm 2019",
        "Lỗi",
        "Không phải số",
    )
    assert bad["Chỉ tiêu"] == spec.row_by_key["kt.do_thi_hoa"].label
    typed = [r for r in rows if r["Tệp"] == "so_cong_thuong.xlsx"]
    assert len(typed) == 1, typed  # six numbers typed as text in one row: one problem
    assert typed[0]["Cột"] == ", ".join(f"Năm {y}" for y in range(2018, 2024))
    assert "(và 5 ô khác cùng dòng)" in typed[0]["Nội dung"]
    assert not [r for r in rows if r["Tệp"] == "khdt_lan1.xlsx"]  # replaced: not a problem any more
    files = {r[0]: r for r in wb["Tệp đã nhận"].iter_rows(min_row=2, values_only=True)}
    assert files["khdt_lan1.xlsx"][2:] == ("đã được thay", "đã được thay bằng khdt_lan2.xlsx")
    # the CSV keeps the machine codes for scripts
    csv_text = (out / "findings.csv").read_text(encoding="utf-8-sig")
    assert "number-ambiguous" in csv_text and "y2019" in csv_text and csv_text.startswith("file,code,")


def run_on_terminal(args: list[str], cwd: Path) -> bytes:
    """Run the command with a pseudo-terminal as its output, as a person at a console would."""
    import pty
    import subprocess
    import sys

    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "indicator-kit"), *args],
        stdout=follower,
        stderr=follower,
        cwd=cwd,
        env={**os.environ, "COLUMNS": "120", "TERM": "xterm"},
    )
    os.close(follower)
    output = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed: the command has ended
            break
        if not chunk:
            break
        output += chunk
    process.wait(timeout=300)
    os.close(leader)
    return output


def test_progress_bar_on_a_terminal_only(campaign: Path, tmp_path: Path, workspace: Workspace) -> None:
    import subprocess
    import sys

    args = [
        "collect",
        str(campaign / "inbox"),
        "--out",
        str(tmp_path / "c"),
        "--master-out",
        str(tmp_path / "m"),
        "--spec-dir",
        str(SPEC_DIR),
    ]
    shown = run_on_terminal(args, workspace.root).decode("utf-8", "replace")
    assert "Đọc tệp" in shown and "lỗi:" in shown and re.search(r"\d+/2\d", shown), shown[-2000:]
    assert "Tình trạng từng đơn vị" in shown  # the summary follows
    piped = subprocess.run(
        [str(Path(sys.executable).parent / "indicator-kit"), *args],
        capture_output=True,
        text=True,
        cwd=workspace.root,
    )
    assert "Đọc tệp" not in piped.stdout + piped.stderr and "\x1b[" not in piped.stdout
    as_json = run_on_terminal([*args, "--format", "json"], workspace.root).decode("utf-8", "replace")
    assert "Đọc tệp" not in as_json and as_json.lstrip().startswith("[")


def test_generate_shows_progress_on_a_terminal(tmp_path: Path, workspace: Workspace) -> None:
    shown = run_on_terminal(
        ["generate", "--out", str(tmp_path / "t"), "--spec-dir", str(SPEC_DIR)], workspace.root
    )
    text = shown.decode("utf-8", "replace")
    assert "Tạo biểu mẫu" in text and "Đã tạo 18 biểu mẫu" in text


def test_feedback_for_every_agency_that_must_act(campaign: Path, tmp_path: Path) -> None:
    """The blank-periods return gets its feedback workbook too: collect's list matches the verdicts."""
    out = tmp_path / "collect"
    CliRunner().invoke(
        main,
        ["collect", str(campaign / "inbox"), "--out", str(out), "--master-out", str(tmp_path / "m")],
        catch_exceptions=False,
    )
    assert {p.stem for p in (out / "feedback").iterdir()} == {PERIODS_BLANK, WITH_ERROR}


READING_OPTIONS = {"as_of", "accepted", "arrival", "spec_dir"}


@pytest.mark.parametrize("argv", [["collect"], ["merge"], ["status"], ["mail", "reminders"]])
def test_every_command_that_reads_returns_takes_the_same_options(argv: list[str]) -> None:
    command = main
    for name in argv:
        command = command.commands[name]  # type: ignore[attr-defined]
    assert {p.name for p in command.params} >= READING_OPTIONS


@pytest.mark.parametrize("argv", [["collect"], ["merge"], ["mail", "reminders"]])
def test_as_of_leaves_out_later_arrivals_in_every_command(
    argv: list[str], campaign: Path, tmp_path: Path
) -> None:
    """The second file of the agency that resubmits arrived on 3 May: as of 2 May, each command
    says it is not counted (collect and merge as status always did)."""
    outputs = {
        "collect": ["--out", str(tmp_path / "collect"), "--master-out", str(tmp_path / "master")],
        "merge": ["--out", str(tmp_path / "master")],
        "reminders": ["--out", str(tmp_path / "mail"), "--templates", str(campaign / "templates")],
    }[argv[-1]]
    result = CliRunner().invoke(
        main,
        [*argv, str(campaign / "inbox"), "--as-of", "2024-05-02", "--arrival", "inbox", *outputs],
        catch_exceptions=False,
    )
    assert "Không tính khdt_lan2.xlsx: nhận ngày 03/5/2024, sau ngày 02/5/2024." in result.output
    if argv == ["merge"]:
        import pandas as pd

        frame = pd.read_csv(tmp_path / "master" / "master_long.csv", encoding="utf-8-sig")
        assert set(frame[frame.agency == RESUBMITS].source_file) == {"khdt_lan1.xlsx"}


def test_the_master_lists_what_is_still_to_act_on(campaign: Path, four_views: dict) -> None:
    """The master's Lỗi sheet, like findings.xlsx, leaves out the findings of a file its agency
    has replaced (khdt_lan1.xlsx had a value that is not a number; khdt_lan2.xlsx replaced it);
    findings.csv keeps them, for the record."""
    problems = openpyxl.load_workbook(campaign / "state" / "master" / "PL2_tong_hop.xlsx")["Lỗi"]
    header = [c.value for c in problems[1]]
    files = {row[header.index("Tệp")] for row in problems.iter_rows(min_row=2, values_only=True)}
    assert "xay_dung.xlsx" in files and "khdt_lan1.xlsx" not in files
    assert "khdt_lan1.xlsx,value-invalid" in (campaign / "state" / "collect" / "findings.csv").read_text(
        encoding="utf-8-sig"
    )


def test_collect_totals_count_what_is_still_to_act_on(campaign: Path, tmp_path: Path) -> None:
    """The total line agrees with the agencies' lines: the error of the replaced khdt_lan1.xlsx
    is not counted again (it is in findings.json, for the record)."""
    import json

    out = tmp_path / "collect"
    result = CliRunner().invoke(
        main,
        ["collect", str(campaign / "inbox"), "--out", str(out), "--master-out", str(tmp_path / "m")],
        catch_exceptions=False,
    )
    total = re.search(r"Tổng cộng: .*?(\d+) lỗi, (\d+) cảnh báo", result.output)
    assert total and "1 tệp đã được thay hoặc trùng" in total.group(0), result.output
    found = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    errors = [f for f in found if f["severity"] == "error"]
    assert any(f["file"] == "khdt_lan1.xlsx" for f in errors)
    assert int(total.group(1)) == sum(1 for f in errors if f["file"] != "khdt_lan1.xlsx")
