"""Mail drafts parsed back with the standard library; sending through a real local SMTP server."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import Message
from email.policy import default
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner

from indicator_kit.catalog.loader import load_spec
from indicator_kit.catalog.spec import Spec
from indicator_kit.cli import main
from indicator_kit.generate import generate, template_file_name
from indicator_kit.plan import compile_plan
from indicator_kit.sample import consistent_values
from indicator_kit.simulate import fill_return


@pytest.fixture
def specs(spec_copy: Path) -> Path:
    """Specs with the office's and two agencies' addresses filled in, as the office would."""
    agencies = spec_copy / "agencies.yaml"
    text = agencies.read_text(encoding="utf-8")
    for slug, address in (("so_y_te", "soyte@haiphong.example"), ("so_xay_dung", "soxd@haiphong.example")):
        block = text.index(f"slug: {slug}")
        at = text.index('    email: ""', block)
        text = text[:at] + f'    email: "{address}"' + text[at + len('    email: ""') :]
    agencies.write_text(text, encoding="utf-8")
    campaign = spec_copy / "campaign.yaml"
    campaign.write_text(
        campaign.read_text(encoding="utf-8").replace(
            '    short_name: "Sở Kế hoạch và Đầu tư"\n    email: ""',
            '    short_name: "Sở Kế hoạch và Đầu tư"\n    email: "skhdt@haiphong.example"',
        ),
        encoding="utf-8",
    )
    return spec_copy


def parse(path: Path) -> Message:
    return message_from_bytes(path.read_bytes(), policy=default)


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def drafts_for(spec: Spec, specs: Path, tmp_path: Path, out: Path, *slugs: str) -> tuple[int, str]:
    """Templates generated into tmp_path/t, then `mail drafts` for `slugs` (every agency when
    none) into `out`, from the spec folder `specs`."""
    generate(compile_plan(spec), tmp_path / "t")
    agencies = [arg for slug in slugs for arg in ("--agency", slug)]
    templates = ["--templates", str(tmp_path / "t")]
    return run("mail", "drafts", *agencies, *templates, "--out", str(out), "--spec-dir", str(specs))


def test_drafts_for_every_agency(specs: Path, tmp_path: Path) -> None:
    spec = load_spec(specs)
    templates, out = tmp_path / "templates", tmp_path / "drafts"
    generate(compile_plan(spec), templates)
    code, output = run(
        "mail", "drafts", "--templates", str(templates), "--out", str(out), "--spec-dir", str(specs)
    )
    assert code == 0, output
    assert "Chưa có địa chỉ email (16 đơn vị" in output
    for agency in spec.agencies:
        message = parse(out / f"{agency.slug}.eml")
        assert message["X-Unsent"] == "1"
        assert message["From"] == "Sở Kế hoạch và Đầu tư <skhdt@haiphong.example>"
        assert (message["To"] or "") == (f"{agency.short_name} <{agency.email}>" if agency.email else "")
        subject = message["Subject"]
        expected = f"[PHỤ LỤC 2] Đề nghị {agency.short_name} báo cáo số liệu chỉ tiêu kinh tế - xã hội"
        assert subject == f"{expected} trước ngày 05/5/2024"  # the campaign's words, as in the body
        body = message.get_body(("plain",)).get_content()
        assert f"Kính gửi: {agency.name}." in body
        assert "Công văn số 2830/VP-TH ngày 26/4/2024" in body and "trước ngày 05/5/2024" in body
        assert f"Biểu mẫu gồm {len(spec.rows_for(agency.slug))} chỉ tiêu" in body and "2018–2023" in body
        assert "skhdt@haiphong.example" in body
        (attachment,) = list(message.iter_attachments())
        assert (
            attachment.get_content_type()
            == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        assert attachment.get_filename() == f"Phụ lục 2 - {agency.short_name}.xlsx"
        assert attachment.get_content() == (templates / template_file_name(agency.slug)).read_bytes()
    raw = (out / "so_lao_dong_tbxh.eml").read_bytes()
    assert b"filename*" in raw  # RFC 2231 encoding of the Vietnamese file name
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))


def test_drafts_need_templates(specs: Path, tmp_path: Path) -> None:
    code, output = run(
        "mail", "drafts", "--templates", str(tmp_path), "--out", str(tmp_path / "o"), "--spec-dir", str(specs)
    )
    assert code == 2 and "indicator-kit generate" in output


def test_reminders(specs: Path, tmp_path: Path) -> None:
    spec = load_spec(specs)
    generate(compile_plan(spec), tmp_path / "t")
    values = consistent_values(spec)
    inbox = tmp_path / "inbox"
    for agency in spec.agencies:
        if agency.slug == "so_y_te":
            continue  # never sent
        changes = {("kt.do_thi_hoa", "y2019"): "khoảng 40"} if agency.slug == "so_xay_dung" else None
        fill_return(
            spec,
            tmp_path / "t" / template_file_name(agency.slug),
            inbox / f"{agency.slug}.xlsx",
            values,
            agency.slug,
            changes,
        )
        sent = datetime(2024, 5, 2, 9, tzinfo=UTC).timestamp()  # before the as-of date below
        os.utime(inbox / f"{agency.slug}.xlsx", (sent, sent))
    out = tmp_path / "mail" / "reminders"
    code, output = run(
        "mail",
        "reminders",
        str(inbox),
        "--as-of",
        "2024-05-07",
        "--templates",
        str(tmp_path / "t"),
        "--out",
        str(out),
        "--spec-dir",
        str(specs),
    )
    assert code == 0, output
    assert sorted(p.name for p in out.glob("*.eml")) == ["so_xay_dung.eml", "so_y_te.eml"]
    missing = parse(out / "so_y_te.eml")
    # Tuesday 7/5 + 3 working days = Friday 10/5/2024
    assert missing["Subject"] == (
        "[Nhắc nộp] PHỤ LỤC 2 — Sở Y tế — đã quá hạn, đề nghị gửi chậm nhất ngày 10/5/2024"
    )
    assert missing["X-Indicator-Kit-Kind"] == "reminder"
    text = missing.get_body(("plain",)).get_content()
    assert "chưa nhận được biểu số liệu" in text and "đã quá thời hạn 2 ngày" in text
    assert "chậm nhất ngày 10/5/2024" in text and "05/05/2024" not in text
    (template,) = list(missing.iter_attachments())  # the template again: they never replied
    assert template.get_content() == (tmp_path / "t" / template_file_name("so_y_te")).read_bytes()
    fix = parse(out / "so_xay_dung.eml")
    body = fix.get_body(("plain",)).get_content()
    assert fix["Subject"] == "[Đề nghị sửa] PHỤ LỤC 2 — Sở Xây dựng — đề nghị gửi chậm nhất ngày 10/5/2024"
    assert fix["X-Indicator-Kit-Kind"] == "correction"
    assert "sửa và gửi lại chậm nhất ngày 10/5/2024" in body
    assert re.search(r"\n- Ô E1\d \(\"Tỷ lệ đô thị hóa\", cột 2019\) có nội dung \"khoảng 40\"", body)
    (attachment,) = list(fix.iter_attachments())
    assert attachment.get_filename() == "Phụ lục 2 - Sở Xây dựng - cần sửa.xlsx"
    feedback = tmp_path / "feedback.xlsx"
    feedback.write_bytes(attachment.get_content())
    import openpyxl

    assert "Lỗi cần sửa" in openpyxl.load_workbook(feedback).sheetnames


class Inbox:
    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_server():
    import socket

    with socket.socket() as probe:  # aiosmtpd cannot bind port 0 itself
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield controller, handler
    finally:
        controller.stop()


def use_local_server(controller: Controller, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in (("HOST", "127.0.0.1"), ("PORT", str(controller.port)), ("SECURITY", "none")):
        monkeypatch.setenv(f"INDICATOR_KIT_SMTP_{name}", value)


def test_send_dry_run_then_really_then_nothing_twice(
    specs: Path,
    tmp_path: Path,
    smtp_server,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    controller, handler = smtp_server
    spec = load_spec(specs)
    mail_dir = tmp_path / "mail"
    drafts_for(spec, specs, tmp_path, mail_dir / "drafts", "so_y_te", "so_xay_dung", "so_noi_vu")
    code, output = run("mail", "send", "--dir", str(mail_dir))
    assert code == 0 and "Chạy thử: 2 thư sẽ được gửi" in output
    assert "Không gửi 1 thư chưa có địa chỉ email của đơn vị (điền vào agencies.yaml" in output
    assert "so_noi_vu.eml" in output.split("Không gửi")[1]
    assert handler.received == []
    use_local_server(controller, monkeypatch)
    code, output = run("mail", "send", "--really", "--dir", str(mail_dir))
    assert code == 0, output
    assert "Đã gửi 2/2 thư." in output and "Không gửi 1 thư chưa có địa chỉ email" in output
    recipients = sorted(r for _, rcpts, _ in handler.received for r in rcpts)
    assert recipients == ["soxd@haiphong.example", "soyte@haiphong.example"]
    for sender, _, content in handler.received:
        assert sender == "skhdt@haiphong.example"
        message = message_from_bytes(content, policy=default)
        assert message["X-Unsent"] is None and message["Date"] and message["Message-ID"]
        assert message["Subject"].startswith("[PHỤ LỤC 2] Đề nghị Sở")
        (attachment,) = list(message.iter_attachments())
        slug = "so_y_te" if "Y tế" in message["Subject"] else "so_xay_dung"
        assert attachment.get_content() == (tmp_path / "t" / template_file_name(slug)).read_bytes()
    code, output = run("mail", "send", "--really", "--dir", str(mail_dir))
    assert "Đã gửi 0/0 thư." in output and len(handler.received) == 2


def test_one_failing_recipient_does_not_stop_the_others(
    specs: Path,
    tmp_path: Path,
    smtp_server,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    controller, handler = smtp_server

    async def refuse_one(server, session, envelope, address, rcpt_options):
        if address.startswith("soyte"):
            return "550 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    handler.handle_RCPT = refuse_one
    spec = load_spec(specs)
    generate(compile_plan(spec), tmp_path / "t", ["so_y_te", "so_xay_dung"])
    run(
        "mail",
        "drafts",
        "--templates",
        str(tmp_path / "t"),
        "--out",
        str(tmp_path / "mail"),
        "--agency",
        "so_y_te",
        "--agency",
        "so_xay_dung",
        "--spec-dir",
        str(specs),
    )
    use_local_server(controller, monkeypatch)
    code, output = run("mail", "send", "--really", "--dir", str(tmp_path / "mail"))
    assert code == 0
    assert "so_y_te.eml → " in output and "gửi không được" in output
    assert "Đã gửi 1/2 thư." in output
    assert [r for _, rcpts, _ in handler.received for r in rcpts] == ["soxd@haiphong.example"]


def test_password_never_from_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from indicator_kit.mail.outbox import smtp_settings

    config = tmp_path / "smtp.yaml"
    config.write_text("host: mail.example\nport: 2525\nsecurity: ssl\nuser: office\npassword: leaked\n")
    monkeypatch.delenv("INDICATOR_KIT_SMTP_PASSWORD", raising=False)
    for name in ("HOST", "PORT", "SECURITY", "USER"):
        monkeypatch.delenv(f"INDICATOR_KIT_SMTP_{name}", raising=False)
    settings = smtp_settings(config)
    assert (settings.host, settings.port, settings.security, settings.user, settings.password) == (
        "mail.example",
        2525,
        "ssl",
        "office",
        "",
    )
    monkeypatch.setenv("INDICATOR_KIT_SMTP_PASSWORD", "from-env")
    assert smtp_settings(config).password == "from-env"
    assert os.environ.get("INDICATOR_KIT_SMTP_PASSWORD") == "from-env"


def test_letters_name_the_contact_and_take_a_given_reply_date(specs: Path, tmp_path: Path) -> None:
    campaign = specs / "campaign.yaml"
    campaign.write_text(
        campaign.read_text(encoding="utf-8").replace(
            '    contact_person: ""\n    phone: ""',
            '    contact_person: "bà Nguyễn Thị Hoa, Phòng Tổng hợp"\n    phone: "0225 3842 123"',
        ),
        encoding="utf-8",
    )
    spec = load_spec(specs)
    code, _ = drafts_for(spec, specs, tmp_path, tmp_path / "d", "so_y_te")
    contact = (
        "Mọi vướng mắc xin liên hệ: bà Nguyễn Thị Hoa, Phòng Tổng hợp, Sở Kế hoạch và Đầu tư, "
        "điện thoại 0225 3842 123, email skhdt@haiphong.example."
    )
    assert code == 0 and contact in parse(tmp_path / "d" / "so_y_te.eml").get_body(("plain",)).get_content()
    (tmp_path / "inbox").mkdir()
    out = tmp_path / "mail" / "reminders"
    code, output = run(
        "mail",
        "reminders",
        str(tmp_path / "inbox"),
        "--as-of",
        "2024-05-06",
        "--reply-by",
        "15/05/2024",
        "--templates",
        str(tmp_path / "t"),
        "--out",
        str(out),
        "--spec-dir",
        str(specs),
    )
    assert code == 0, output
    reminder = parse(out / "so_y_te.eml")
    body = reminder.get_body(("plain",)).get_content()
    assert contact in body and "chậm nhất ngày 15/5/2024" in body and "đã quá thời hạn 1 ngày" in body
    assert reminder["Subject"].endswith("đề nghị gửi chậm nhất ngày 15/5/2024")
    # before the deadline the letter keeps the campaign's own date
    early = tmp_path / "mail" / "early"
    run(
        "mail",
        "reminders",
        str(tmp_path / "inbox"),
        "--as-of",
        "2024-05-02",
        "--templates",
        str(tmp_path / "t"),
        "--out",
        str(early),
        "--spec-dir",
        str(specs),
    )
    text = parse(early / "so_y_te.eml").get_body(("plain",)).get_content()
    assert "thời hạn còn 3 ngày" in text and "gửi lại biểu trước ngày 05/5/2024" in text


def test_reminders_of_agencies_done_since_are_removed(specs: Path, tmp_path: Path) -> None:
    spec = load_spec(specs)
    generate(compile_plan(spec), tmp_path / "t")
    out = tmp_path / "mail" / "reminders"
    (tmp_path / "inbox").mkdir()
    args = [
        "--as-of",
        "2024-05-07",
        "--templates",
        str(tmp_path / "t"),
        "--out",
        str(out),
        "--spec-dir",
        str(specs),
    ]
    run("mail", "reminders", str(tmp_path / "inbox"), *args)
    assert (out / "so_y_te.eml").exists()
    path = fill_return(
        spec,
        tmp_path / "t" / template_file_name("so_y_te"),
        tmp_path / "inbox" / "y_te.xlsx",
        consistent_values(spec),
        "so_y_te",
    )
    sent = datetime(2024, 5, 6, 9, tzinfo=UTC).timestamp()
    os.utime(path, (sent, sent))
    code, output = run("mail", "reminders", str(tmp_path / "inbox"), *args)
    assert code == 0 and not (out / "so_y_te.eml").exists() and "so_y_te.eml" in output
    assert len(list(out.glob("*.eml"))) == len(spec.agencies) - 1


def test_send_keeps_rounds_apart_and_sends_what_the_dry_run_showed(
    specs: Path, tmp_path: Path, smtp_server, monkeypatch: pytest.MonkeyPatch
) -> None:
    controller, handler = smtp_server
    spec = load_spec(specs)
    mail_dir = tmp_path / "mail"
    drafts_for(spec, specs, tmp_path, mail_dir / "drafts")
    (tmp_path / "inbox").mkdir()
    run(
        "mail",
        "reminders",
        str(tmp_path / "inbox"),
        "--as-of",
        "2024-05-07",
        "--templates",
        str(tmp_path / "t"),
        "--out",
        str(mail_dir / "reminders"),
        "--spec-dir",
        str(specs),
    )
    use_local_server(controller, monkeypatch)
    code, output = run("mail", "send", "--dir", str(mail_dir))
    assert code == 2 and "--kind drafts" in output and "18 thư gửi biểu mẫu, 18 thư nhắc nộp" in output
    code, output = run("mail", "send", "--really", "--dir", str(mail_dir))
    assert code == 2 and handler.received == []  # refused before anything was sent
    code, dry = run("mail", "send", "--kind", "reminders", "--dir", str(mail_dir))
    assert code == 0 and "Chạy thử: 2 thư sẽ được gửi" in dry
    assert "Không gửi 16 thư chưa có địa chỉ email" in dry
    listed = re.findall(r"^  (\S+\.eml): từ .* đến (.+?) — (.+?) — đính kèm", dry, flags=re.M)
    code, really = run("mail", "send", "--kind", "reminders", "--really", "--dir", str(mail_dir))
    assert code == 0 and "Đã gửi 2/2 thư." in really
    received = sorted(
        (rcpts[0], str(message_from_bytes(content, policy=default)["Subject"]))
        for _, rcpts, content in handler.received
    )
    shown = sorted((re.search(r"<(.+)>", to).group(1), subject) for _, to, subject in listed)
    assert received == shown and all(subject.startswith("[Nhắc nộp]") for _, subject in received)
    # the first round is still there to be sent, on its own
    code, drafts = run("mail", "send", "--kind", "drafts", "--dir", str(mail_dir))
    assert "Loại thư: thư gửi biểu mẫu." in drafts and "Chạy thử: 2 thư sẽ được gửi" in drafts
