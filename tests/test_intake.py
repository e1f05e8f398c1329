"""Returns that arrive as e-mails (.eml, Outlook .msg, winmail.dat) or zips: opened before the
per-file judgement, each workbook judged as if dropped alone, the e-mail kept as evidence."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from indicator_kit.catalog.loader import load_spec
from indicator_kit.catalog.spec import Spec
from indicator_kit.cli import main
from indicator_kit.collect.limits import Arrival, Limits
from indicator_kit.collect.model import Submission
from indicator_kit.collect.run import collect_inbox
from indicator_kit.generate import generate, template_file_name
from indicator_kit.mail.sample_mail import MsgMessage, eml, msg, tnef, zipped
from indicator_kit.merge.outputs import load_master
from indicator_kit.plan import Plan, compile_plan
from indicator_kit.sample import consistent_values
from indicator_kit.simulate import fill_return
from indicator_kit.workspace import Workspace

SLUG = "so_tai_chinh"
AGENCY_ADDRESS = "stc@haiphong.example"
SENT = datetime(2024, 5, 2, 9, 30, tzinfo=UTC)
ARRIVED = datetime(2024, 5, 7, 8, 0, tzinfo=UTC).timestamp()  # dropped into the inbox days later


@pytest.fixture(scope="module")
def specs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The catalog with the agency's address filled in, as the office would."""
    import shutil

    from tests.conftest import SPEC_DIR

    target = tmp_path_factory.mktemp("specs") / "specs"
    shutil.copytree(SPEC_DIR, target)
    agencies = target / "agencies.yaml"
    text = agencies.read_text(encoding="utf-8")
    at = text.index('    email: ""', text.index(f"slug: {SLUG}"))
    agencies.write_text(
        text[:at] + f'    email: "{AGENCY_ADDRESS}"' + text[at + len('    email: ""') :], encoding="utf-8"
    )
    return target


@pytest.fixture(scope="module")
def mail_spec(specs: Path) -> Spec:
    return load_spec(specs)


@pytest.fixture(scope="module")
def mail_plan(mail_spec: Spec) -> Plan:
    return compile_plan(mail_spec)


@pytest.fixture(scope="module")
def workbook(mail_spec: Spec, mail_plan: Plan, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The agency's return with two slips in it (a number typed as text, a totals error), so the
    findings to compare are not empty."""
    tmp = tmp_path_factory.mktemp("return")
    generate(mail_plan, tmp / "t", [SLUG])
    values = consistent_values(mail_spec)
    first, second = (r.key for r in mail_spec.rows_for(SLUG)[:2])
    changes = {(first, "y2019"): "1.234,5", (second, "y2020"): values[(second, "y2020")] + 17}
    path = fill_return(mail_spec, tmp / "t" / template_file_name(SLUG), tmp / "r.xlsx", values, SLUG, changes)
    return path.read_bytes()


NAME = "PL2_so_tai_chinh.xlsx"


def drop(inbox: Path, name: str, data: bytes) -> Path:
    inbox.mkdir(parents=True, exist_ok=True)
    path = inbox / name
    path.write_bytes(data)
    os.utime(path, (ARRIVED, ARRIVED))
    return path


def wrapped(workbook: bytes) -> dict[str, tuple[str, bytes]]:
    """The same return as each way it arrives: file name and bytes dropped into the inbox."""
    sender = f"Sở Tài chính <{AGENCY_ADDRESS}>"
    return {
        "xlsx": (NAME, workbook),
        "eml": ("Báo cáo PL2.eml", bytes(eml(sender, "Báo cáo Phụ lục 2", SENT, [(NAME, workbook)]))),
        "msg": (
            "Báo cáo PL2.msg",
            msg(MsgMessage(AGENCY_ADDRESS, "Báo cáo Phụ lục 2", SENT, [(NAME, workbook)])),
        ),
        "winmail": ("winmail.dat", tnef([(NAME, workbook)])),
        "eml-winmail": (
            "rich-text.eml",
            bytes(eml(sender, "Báo cáo Phụ lục 2", SENT, [("winmail.dat", tnef([(NAME, workbook)]))])),
        ),
        "zip": ("bao_cao.zip", zipped([(f"Phu luc 2/{NAME}", workbook)])),
        "eml-zip": (
            "nen.eml",
            bytes(eml(sender, "Báo cáo (nén)", SENT, [("bao_cao.zip", zipped([(NAME, workbook)]))])),
        ),
    }


def comparable(sub: Submission) -> list[tuple[str, ...]]:
    return sorted(
        (f.code, f.severity.value, f.message, f.agency, f.sheet, f.cell, f.row_key, f.column, f.rule)
        for f in sub.findings
    )


def workbooks(subs: list[Submission]) -> list[Submission]:
    return [s for s in subs if s.kind not in ("eml", "msg", "tnef", "zip")]


def test_same_return_in_every_wrapper_gives_the_same_findings_and_master(
    mail_plan: Plan, mail_spec: Spec, specs: Path, workbook: bytes, tmp_path: Path
) -> None:
    results = {}
    for way, (name, data) in wrapped(workbook).items():
        inbox = drop(tmp_path / way / "inbox", name, data).parent
        subs = collect_inbox(inbox, mail_plan)
        found = workbooks(subs)
        assert len(found) == 1, (way, [s.file for s in subs])
        sub = found[0]
        assert sub.agency == SLUG and sub.verified and sub.sha256 == hashlib.sha256(workbook).hexdigest()
        state = tmp_path / way / "state"
        result = CliRunner().invoke(
            main,
            ["merge", str(inbox), "--out", str(state / "master"), "--spec-dir", str(specs)],
            catch_exceptions=False,
        )
        assert result.exit_code == 0, result.output
        master = load_master(state / "master" / "master_long.csv")
        results[way] = (comparable(sub), master.drop(columns=[c for c in master if "file" in c]))
    baseline_findings, baseline_master = results.pop("xlsx")
    assert {code for code, *_ in baseline_findings} >= {"text-number"}
    for way, (findings, master) in results.items():
        assert findings == [f for f in baseline_findings], way
        assert master.equals(baseline_master), way


def test_finding_location_names_the_message_and_the_attachment(
    mail_plan: Plan, mail_spec: Spec, workbook: bytes, tmp_path: Path
) -> None:
    name, data = wrapped(workbook)["eml-zip"]
    drop(tmp_path, name, data)
    sub = workbooks(collect_inbox(tmp_path, mail_plan))[0]
    assert sub.file == f"thư nen.eml › tệp đính kèm bao_cao.zip › tệp {NAME}"
    assert {f.file for f in sub.findings} == {sub.file}


def test_inline_and_nested_attachments_are_found(
    mail_plan: Plan, mail_spec: Spec, workbook: bytes, tmp_path: Path
) -> None:
    """Webmail marks some attachments inline; a forwarded message carries the original inside."""
    original = eml(f"Sở Tài chính <{AGENCY_ADDRESS}>", "Báo cáo Phụ lục 2", SENT, [(NAME, workbook)])
    forward = eml(
        "Văn thư <vanthu@skhdt.haiphong.example>",
        "Fwd: Báo cáo Phụ lục 2",
        datetime(2024, 5, 3, 8, 0, tzinfo=UTC),
        inline=[("logo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 20), ("bieu inline.xlsx", workbook)],
        forwarded=[original],
    )
    drop(tmp_path, "chuyen tiep.eml", bytes(forward))
    subs = collect_inbox(tmp_path, mail_plan)
    received, *found = subs
    assert sorted(s.file for s in found) == [
        "thư chuyen tiep.eml › tệp đính kèm Báo cáo Phụ lục 2.eml › tệp đính kèm " + NAME,
        "thư chuyen tiep.eml › tệp đính kèm bieu inline.xlsx",
    ]
    assert received.verdict == "opened" and len(received.opened) == 2
    assert [(f.code, f.message.split(":")[0]) for f in received.findings] == [
        ("attachment-not-workbook", "Tệp đính kèm logo.png")
    ]
    by_name = {s.file.rsplit(" › ", 1)[-1]: s for s in found}
    nested = by_name[f"tệp đính kèm {NAME}"].envelope
    assert nested is not None and nested.mail is not None
    assert (nested.mail.sender, nested.mail.date) == (AGENCY_ADDRESS, SENT)  # the original's own header
    assert by_name["tệp đính kèm bieu inline.xlsx"].envelope.mail.sender == "vanthu@skhdt.haiphong.example"


def test_outlook_item_forwarded_inside_a_msg(
    mail_plan: Plan, mail_spec: Spec, workbook: bytes, tmp_path: Path
) -> None:
    inner = MsgMessage(AGENCY_ADDRESS, "Báo cáo Phụ lục 2", SENT, [(NAME, workbook)])
    outer = MsgMessage("vanthu@skhdt.haiphong.example", "FW: Báo cáo", SENT, embedded=[inner], headers=False)
    drop(tmp_path, "FW Báo cáo.msg", msg(outer))
    found = workbooks(collect_inbox(tmp_path, mail_plan))
    assert [s.file for s in found] == [
        f"thư FW Báo cáo.msg › tệp đính kèm Báo cáo Phụ lục 2 › tệp đính kèm {NAME}"
    ]
    assert found[0].sender_matches is True and found[0].agency == SLUG


def test_sender_corroborates_or_is_noted_never_overrides(
    mail_plan: Plan, mail_spec: Spec, specs: Path, workbook: bytes, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    drop(
        inbox,
        "from agency.eml",
        bytes(eml(f"STC <{AGENCY_ADDRESS.upper()}>", "PL2", SENT, [(NAME, workbook)])),
    )
    drop(inbox, "from colleague.eml", bytes(eml("ca.nhan@gmail.example", "PL2", SENT, [(NAME, workbook)])))
    subs = {s.file: s for s in workbooks(collect_inbox(inbox, mail_plan))}
    agency = subs[f"thư from agency.eml › tệp đính kèm {NAME}"]
    other = subs[f"thư from colleague.eml › tệp đính kèm {NAME}"]
    assert agency.sender_matches is True and "mail-sender-other" not in {f.code for f in agency.findings}
    assert other.sender_matches is False and other.agency == SLUG and other.verified  # identity unchanged
    noted = [f for f in other.findings if f.code == "mail-sender-other"]
    assert len(noted) == 1 and noted[0].severity.value == "info"
    assert "ca.nhan@gmail.example" in noted[0].message and AGENCY_ADDRESS in noted[0].message
    # shown in status: the current return came from the agency's own address?
    (inbox / "from colleague.eml").unlink()
    result = CliRunner().invoke(
        main,
        [
            "status",
            str(inbox),
            "--as-of",
            "2024-05-08",  # after the file reached the inbox
            "--html",
            str(tmp_path / "s" / "status.html"),
            "--spec-dir",
            str(specs),
        ],
        catch_exceptions=False,
    )
    line = next(x for x in result.output.splitlines() if x.startswith("Sở Tài chính"))
    assert "thư từ địa chỉ của đơn vị" in line
    assert "thư từ địa chỉ của đơn vị" in (tmp_path / "s" / "status.html").read_text(encoding="utf-8")


def test_message_archived_and_recorded_in_the_ledger(
    specs: Path, workbook: bytes, tmp_path: Path, workspace: Workspace
) -> None:
    name, data = wrapped(workbook)["eml"]
    inbox = drop(tmp_path / "inbox", name, data).parent
    state = workspace.state_dir
    result = CliRunner().invoke(
        main, ["collect", str(inbox), "--spec-dir", str(specs)], catch_exceptions=False
    )
    assert f"[THƯ]       {name} — 1 biểu bên trong" in result.output
    message_sha = hashlib.sha256(data).hexdigest()
    workbook_sha = hashlib.sha256(workbook).hexdigest()
    assert (state / "archive" / f"{message_sha}.eml").read_bytes() == data
    assert (state / "archive" / f"{workbook_sha}.xlsx").read_bytes() == workbook
    with sqlite3.connect(state / "ledger.sqlite") as db:
        row = db.execute(
            "SELECT agency, message_sha256, message_file, sender, subject, mail_date FROM submissions "
            "WHERE sha256 = ?",
            (workbook_sha,),
        ).fetchone()
        verdict = db.execute("SELECT verdict FROM submissions WHERE sha256 = ?", (message_sha,)).fetchone()
    assert row == (SLUG, message_sha, name, AGENCY_ADDRESS, "Báo cáo Phụ lục 2", SENT.isoformat())
    assert verdict == ("opened",)
    # findings.xlsx lists the message as opened, pointing to its workbook below, not "no agency"
    import openpyxl

    received = openpyxl.load_workbook(workspace.collect_dir / "findings.xlsx")["Tệp đã nhận"]
    rows = list(received.iter_rows(min_row=2, values_only=True))
    assert rows[0][:3] == (name, "(xem các tệp bên trong, ở các dòng sau)", "thư đã mở")
    assert rows[1][1] != "(chưa rõ đơn vị)"


def test_arrival_from_the_mail_date_when_asked(
    mail_plan: Plan, mail_spec: Spec, workbook: bytes, tmp_path: Path
) -> None:
    name, data = wrapped(workbook)["eml"]
    drop(tmp_path, name, data)
    by_inbox = workbooks(collect_inbox(tmp_path, mail_plan))[0]
    by_mail = workbooks(collect_inbox(tmp_path, mail_plan, limits=Limits(arrival=Arrival.MAIL_DATE)))[0]
    assert by_inbox.mtime == ARRIVED
    assert by_mail.mtime == SENT.timestamp()


def test_nothing_silently_skipped(mail_plan: Plan, mail_spec: Spec, tmp_path: Path) -> None:
    drop(tmp_path, "chi loi nhan.eml", bytes(eml("a@b.example", "Đã gửi", SENT)))
    drop(
        tmp_path,
        "cong van.eml",
        bytes(eml("a@b.example", "Công văn", SENT, [("cong van.pdf", b"%PDF-1.4 x")])),
    )
    drop(tmp_path, "anh.zip", zipped([("anh.png", b"\x89PNG\r\n\x1a\n")]))
    subs = {s.file: s for s in collect_inbox(tmp_path, mail_plan)}
    assert set(subs) == {"chi loi nhan.eml", "cong van.eml", "anh.zip"}
    for sub in subs.values():
        assert sub.refused and "mail-no-workbook" in {f.code for f in sub.findings}
    assert "Thư không có biểu đính kèm" in subs["chi loi nhan.eml"].findings[0].message
    listed = [f.message for f in subs["cong van.eml"].findings if f.code == "attachment-not-workbook"]
    assert listed and listed[0].startswith("Tệp đính kèm cong van.pdf: tệp PDF")


def test_an_inbox_of_mail_without_workbooks_is_refused_saying_so(
    mail_plan: Plan, mail_spec: Spec, tmp_path: Path
) -> None:
    from indicator_kit.collect.run import EmptyInboxError, require_values

    drop(tmp_path, "chi loi nhan.eml", bytes(eml("a@b.example", "Đã gửi", SENT)))
    with pytest.raises(
        EmptyInboxError, match=r"1 thư hoặc tệp nén không có biểu đính kèm: chi loi nhan\.eml"
    ):
        require_values(tmp_path, collect_inbox(tmp_path, mail_plan))
