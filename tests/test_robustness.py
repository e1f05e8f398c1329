"""The hostile corpus: the run finishes, every file gets one verdict, the master is unchanged."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner
from xlsxwriter.utility import xl_col_to_name

from indicator_kit.catalog.spec import Spec
from indicator_kit.cli import main
from indicator_kit.collect.inbox import inbox_files
from indicator_kit.collect.run import collect_inbox
from indicator_kit.merge.core import CellStatus, merge
from indicator_kit.plan import Plan
from tests.hostile import build


@pytest.fixture(scope="module")
def corpus(spec: Spec, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[str]]:
    return build(spec, tmp_path_factory.mktemp("hostile"))


def run(inbox: Path, state: Path) -> tuple[int, str]:
    result = CliRunner().invoke(
        main,
        ["collect", str(inbox), "--out", str(state / "collect"), "--master-out", str(state / "master")],
        catch_exceptions=False,
    )
    return result.exit_code, result.output


def test_master_identical_with_and_without_hostile_files(
    corpus: tuple[Path, Path, list[str]], tmp_path: Path
) -> None:
    good, inbox, made = corpus
    assert len(made) >= 200
    code_good, _ = run(good, tmp_path / "good")
    code_all, output = run(inbox, tmp_path / "all")
    assert code_good == 0 and code_all == 1  # errors found, but the run completed
    assert "Traceback" not in output
    assert (tmp_path / "good/master/master_long.csv").read_bytes() == (
        tmp_path / "all/master/master_long.csv"
    ).read_bytes()
    assert f"Tổng cộng: {len(list(inbox_files(inbox)))} tệp" in output
    with (tmp_path / "all/collect/findings.csv").open(encoding="utf-8-sig") as handle:
        for record in csv.DictReader(handle):
            for value in record.values():
                assert not value.startswith(("=", "+", "-", "@")), value  # formula injection neutralised


def test_every_file_has_one_verdict(spec: Spec, plan: Plan, corpus: tuple[Path, Path, list[str]]) -> None:
    _, inbox, _ = corpus
    subs = {s.file: s for s in collect_inbox(inbox, plan)}
    assert set(subs) == {p.relative_to(inbox).as_posix() for p in inbox_files(inbox)}
    assert {s.verdict for s in subs.values()} <= {"read", "read-with-findings", "refused"}
    first = {name: sub.findings[0].code for name, sub in subs.items() if sub.findings}
    assert first["mat_khau.xlsx"] == "file-encrypted"
    assert (
        first["bom_nen.xlsx"]
        == first["nhieu_thanh_phan.xlsx"]
        == first["trieu_dong.xlsx"]
        == "file-too-large"
    )
    assert first["tham_cuoi.xlsx"] == first["thuc_the_ngoai.xlsx"] == "file-unreadable"
    for name in ("thuc_the_ngoai.xlsx", "thuc_the_ngoai_utf16.xlsx"):  # refused as unsafe, never parsed
        assert "không an toàn" in subs[name].findings[0].message
    assert first["quet.xlsx"] == first["van_ban.xlsx"] == first["bang.xlsx"] == "not-a-workbook"
    assert first["rong.xlsx"] == "file-empty"
    assert "identity-unverified" in {f.code for f in subs["mao_danh.xlsx"].findings}
    assert subs["PL2_so_y_te.xlsx"].agency == "so_noi_vu"  # identified by content, not by name
    assert not subs["macro.xlsm"].refused and not subs["lien_ket_ngoai.xlsx"].refused
    assert max(s.seconds for s in subs.values()) < 30
    # hostile e-mails and zips: one verdict each, the reason first
    assert first["thu_khong_lo.eml"] == "file-too-large"
    assert first["thu_long_nhau.eml"] == "mail-too-deep"
    assert first["thu_bom_nen.eml"] == first["nhieu_tep.zip"] == "mail-too-large"
    assert first["duong_dan_leo.zip"] == "archive-unsafe-name"
    assert len([f for f in subs["duong_dan_leo.zip"].findings if f.code == "archive-unsafe-name"]) == 3
    for name in ("mime_hong.eml", "mime_sau.eml", "outlook_hong.msg", "winmail_hong.dat"):
        assert first[name] == "mail-unreadable", name
    for name in ("thu_long_nhau.eml", "thu_bom_nen.eml", "duong_dan_leo.zip", "mime_hong.eml"):
        assert subs[name].refused and subs[name].findings[-1].code == "mail-no-workbook"


def test_another_agencys_rows_are_never_merged(
    spec: Spec, plan: Plan, corpus: tuple[Path, Path, list[str]], tmp_path: Path
) -> None:
    _, inbox, _ = corpus
    alone = tmp_path / "inbox"
    alone.mkdir()
    (alone / "dien_dong_khac.xlsx").write_bytes((inbox / "dien_dong_khac.xlsx").read_bytes())
    subs = collect_inbox(alone, plan)
    outside = [f for f in subs[0].findings if f.code == "value-outside-input"]
    assert {f.row_key for f in outside} >= {"kt.grdp.gia_hh", "xh"}
    master = merge(plan, subs)
    assert master.cells[("kt.grdp.gia_hh", "y2019")].status is CellStatus.MISSING
    assert master.cells[("xh.bhyt", "y2019")].agency == "so_y_te"  # its own rows still count


def test_time_limit_stops_a_worker_and_the_others_go_on(
    spec: Spec, plan: Plan, corpus: tuple[Path, Path, list[str]], tmp_path: Path
) -> None:
    from indicator_kit.collect.limits import Limits

    good, _, _ = corpus
    subs = collect_inbox(good, plan, limits=Limits(seconds_per_file=0.0001), workers=2)
    assert len(subs) == len(list(good.iterdir()))  # every file, including those queued behind a stopped one
    slow = [s for s in subs if s.findings and s.findings[0].code == "file-too-slow"]
    assert slow and all(s.refused for s in slow)


def test_memory_bound_stops_a_greedy_file_and_the_next_file_is_read(
    spec: Spec, plan: Plan, corpus: tuple[Path, Path, list[str]], tmp_path: Path
) -> None:
    from indicator_kit.collect.limits import Limits
    from indicator_kit.generate import template_file_name
    from tests.hostile import _rezip, _sheet

    good, _, _ = corpus
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    letters = [xl_col_to_name(c).encode() for c in range(1000)]
    rows = b"".join(
        b'<row r="%d">' % r + b"".join(b'<c r="%s%d"><v>%d</v></c>' % (c, r, r) for c in letters) + b"</row>"
        for r in range(1, 401)
    )
    template = (good.parent / "templates" / template_file_name("so_noi_vu")).read_bytes()
    (inbox / "a_greedy.xlsx").write_bytes(_rezip(template, {"xl/worksheets/sheet1.xml": _sheet(rows)}))
    (inbox / "b_normal.xlsx").write_bytes((good / "so_noi_vu.xlsx").read_bytes())
    subs = {
        s.file: s
        for s in collect_inbox(inbox, plan, limits=Limits(memory_per_file_bytes=5 * 2**20), workers=1)
    }
    assert subs["a_greedy.xlsx"].refused and subs["a_greedy.xlsx"].findings[0].code in {
        "file-too-large",
        "file-unreadable",
    }
    assert subs["b_normal.xlsx"].agency == "so_noi_vu"
