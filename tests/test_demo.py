"""`make demo` (= `indicator-kit demo` in a fresh workspace) end to end, so it can't rot."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest

from indicator_kit import load_master
from indicator_kit.dates import campaign_date
from indicator_kit.verdict import State
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The demo's workspace outputs folder and what it printed. The folder's name has spaces and
    Vietnamese letters, as an officer's folders do."""
    workspace = tmp_path_factory.mktemp("demo") / "Thu thập PL2 (chạy thử)"
    venv = Path(sys.executable).parent.parent
    result = subprocess.run(
        ["make", "-s", "demo", f"DEMO={workspace}", f"VENV={venv}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Error" not in result.stdout + result.stderr and "Traceback" not in result.stderr
    return workspace / "ket_qua", result.stdout


def test_printed_paths_exist(demo: tuple[Path, str]) -> None:
    out, stdout = demo
    listed = re.findall(r"^  (\S.*)$", stdout.split("Xem kết quả:")[1], flags=re.M)
    assert len(listed) == 7
    # the way back in, as of the demo's own day (not today, long after its deadline)
    assert re.search(r"indicator-kit status --as-of 2024-05-\d\d$", stdout, flags=re.M)
    from email import message_from_bytes

    import openpyxl

    for path in map(Path, listed):
        assert path.exists() and path.is_relative_to(out), path
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        assert files, f"{path} is empty"
        for file in files:  # every printed output opens
            if file.suffix == ".xlsx":
                assert openpyxl.load_workbook(file, read_only=True).sheetnames
            elif file.suffix == ".csv":
                assert file.read_text(encoding="utf-8-sig").count("\n") > 1
            elif file.suffix == ".html":
                assert "<table>" in file.read_text(encoding="utf-8")
            elif file.suffix == ".eml":
                assert message_from_bytes(file.read_bytes())["Subject"]
            elif file.suffix == ".docx":
                import docx

                assert docx.Document(str(file)).tables


def test_demo_scenarios(demo: tuple[Path, str]) -> None:
    out, stdout = demo
    findings = json.loads((out / "collect" / "findings.json").read_text(encoding="utf-8"))
    by_agency: dict[str, set[str]] = {}
    for f in findings:
        by_agency.setdefault(f["agency"], set()).add(f["code"])
    assert {"sum-mismatch", "unit-converted"} <= by_agency["cuc_thong_ke"]  # totals error + triệu đồng
    assert by_agency["so_xay_dung"] == {"text-number"}  # numbers typed as Vietnamese text
    inbox = out.parent / "hop_thu"
    saved_by_libreoffice = sorted(p.suffix for p in inbox.iterdir() if p.suffix in (".xls", ".ods"))
    if shutil.which("soffice"):
        assert saved_by_libreoffice == [".ods", ".xls"]  # read like the others: no findings for them
        assert not {f["file"] for f in findings} & {
            p.name for p in (out.parent / "hop_thu").iterdir() if p.suffix in (".xls", ".ods")
        }
    # value-invalid only in its first submission; the cell it reports differently from the
    # Ban Quản lý Khu kinh tế is a finding on both agencies' files
    assert by_agency["so_ke_hoach_dau_tu"] == {"value-invalid", "agencies-disagree"}
    assert "agencies-disagree" in by_agency["ban_quan_ly_kkt"]
    # three returns came by e-mail (an Outlook .msg, a forwarded message, a zip): read like the others
    mailed = sorted(p.suffix for p in inbox.iterdir() if p.suffix in (".eml", ".msg"))
    assert mailed == [".eml", ".eml", ".msg"]
    from_mail = [f for f in findings if f["file"].startswith("thư ")]
    assert not [f for f in from_mail if f["severity"] != "info"]
    assert "thư Fwd " in stdout and "› tệp đính kèm" in stdout and ".zip › tệp PL2_" in stdout
    assert "lien_minh_htx" not in by_agency
    collect_part, status_part = stdout.split("Tình trạng từng đơn vị")[1].split("$ indicator-kit status")
    states = sorted(State, key=len, reverse=True)

    def by_name(text: str) -> dict[str, State]:
        found = {}
        for line in text.split("$ indicator-kit mail reminders")[0].splitlines():
            match = re.match(r"^\s*(\S.*?)\s{2,}(.*)$", line)
            if match and any(s.value in match.group(2) for s in states):
                found[match.group(1)] = next(s for s in states if s.value in match.group(2))
        return found

    collected, status = by_name(collect_part), by_name(status_part)
    assert len(status) == 18 and collected == status  # one verdict, whichever command says it
    assert status["Liên minh Hợp tác xã thành phố"] is State.NOT_RECEIVED
    assert status["Cục Thống kê"] is State.NEEDS_FIX
    # the cell it reports differently from the Ban Quản lý Khu kinh tế: a warning for both to look at
    assert status["Sở Kế hoạch và Đầu tư"] is State.WARNINGS
    assert status["Ban Quản lý Khu kinh tế"] in (State.WARNINGS, State.NEEDS_FIX)
    assert status["Sở Xây dựng"] is State.ACCEPTED  # numbers typed as text: recorded, nobody acts
    # Sở Công Thương left its "Giai đoạn 2019–2023" cells for the office to compute: all it had
    # to type is typed (not "381/400" beside "đạt")
    sct = next(line for line in status_part.splitlines() if line.startswith("Sở Công Thương"))
    typed, required = map(int, re.search(r"(\d+)/(\d+)", sct).groups())
    assert typed == required and "đạt" in sct
    late = next(line for line in status_part.splitlines() if line.startswith("Sở Nội vụ"))
    assert "muộn" in late and "đạt" in late
    assert re.search(r"Ngày \d\d/\d\d?/2024: đã quá hạn nộp \d+ ngày \(trước ngày 05/5/2024\)\.", stdout)
    frame = load_master(out / "master" / "master_long.csv")
    assert "lien_minh_htx" not in set(frame.agency)  # never returned: nothing in the master is theirs
    # every figure as typed (Cục Thống kê's row in triệu đồng converted without binary noise)
    raw = (out / "master" / "master_long.csv").read_text(encoding="utf-8-sig")
    assert not re.search(r",-?\d+\.\d{9,},", raw)
    kh = frame[(frame.key == "tpkt.dn.so_luong.nha_nuoc") & (frame.column == "y2020")].iloc[0]
    assert kh.source_file.endswith("_lan2.xlsx") and kh.status == "reported"
    assert (out / "master" / "PL2_tong_hop.xlsx").exists() and (out / "status.html").exists()
    assert len(list((out / "mail" / "drafts").glob("*.eml"))) == 18
    assert sorted(p.stem for p in (out / "mail" / "reminders").glob("*.eml")) == [
        "cuc_thong_ke",
        "lien_minh_htx",
    ]


# The demo's deliberate mistakes (indicator_kit.simulate.simulate_returns) and what the collector
# says about each; every other return is honest and draws no warning.
DELIBERATE = {
    ("cuc_thong_ke", "sum-mismatch"),  # a part of the investment total typed wrong in 2021 …
    ("cuc_thong_ke", "period-mismatch"),  # … so that part's 2019–2023 column no longer adds up either
    ("cuc_thong_ke", "unit-converted"),  # tỷ.đ changed to triệu đồng, the numbers typed to match
    ("so_ke_hoach_dau_tu", "value-invalid"),  # "đang cập nhật" in its first submission
    ("so_ke_hoach_dau_tu", "agencies-disagree"),  # a co-reported cell the two agencies
    ("ban_quan_ly_kkt", "agencies-disagree"),  # report differently
}
# What the sample values must never draw: they are published figures or plausible ones.
PLAUSIBILITY = {
    "implausible-value",
    "implausible-change",
    "reference-mismatch",
    "scale-slip",
    "growth-mismatch",
    "percent-as-fraction",
    "row-as-fractions",
    "out-of-range",
}


def test_only_the_deliberate_mistakes_are_found(demo: tuple[Path, str]) -> None:
    """The demo's own values (examples/sample_values.csv, shipped with the package) raise no false
    alarm: the warnings and errors are exactly the scenarios' mistakes, and no plausibility check
    fires on any return, not even as information."""
    out, _ = demo
    findings = json.loads((out / "collect" / "findings.json").read_text(encoding="utf-8"))
    raised = {(f["agency"], f["code"]) for f in findings if f["severity"] != "info"}
    assert raised == DELIBERATE
    assert not [f for f in findings if f["code"] in PLAUSIBILITY]
    deliberate_cells = [f for f in findings if f["severity"] != "info" and f["code"] != "unit-converted"]
    assert len(deliberate_cells) == 5  # one cell each (the disagreement: one cell, on both files)


def test_status_is_as_of_a_day_every_return_had_arrived_by(demo: tuple[Path, str]) -> None:
    out, stdout = demo
    day, month, year = map(int, re.search(r"tình hình nộp ngày (\d\d)/(\d\d?)/(\d{4})", stdout).groups())
    as_of = date(year, month, day)
    arrivals = [datetime.fromtimestamp(p.stat().st_mtime).date() for p in (out.parent / "hop_thu").iterdir()]
    assert max(arrivals) == as_of  # nothing counted that had not arrived; the late one is in
    assert f"Ngày {campaign_date(as_of)}: " in stdout and "05/05/2024" not in stdout  # one date style
