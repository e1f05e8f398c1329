"""Drafts and reminders as .eml files, and sending them once through SMTP."""

from __future__ import annotations

import hashlib
import json
import os
import re
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email import message_from_bytes
from email.message import Message
from email.policy import default as DISPLAY
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path

from indicator_kit.catalog.loader import read_yaml
from indicator_kit.catalog.model import Spec
from indicator_kit.collect.model import Submission
from indicator_kit.collect.report import feedback_workbook
from indicator_kit.errors import IndicatorKitError
from indicator_kit.files import write_atomic
from indicator_kit.generate import template_file_name
from indicator_kit.mail.compose import (
    Attachment,
    attachment_name,
    build_message,
    draft_context,
    reminder_context,
    render,
)
from indicator_kit.merge.core import Master

SENT_LOG = "sent.jsonl"


class MailError(IndicatorKitError):
    """Mail cannot be prepared or sent (missing template, bad SMTP settings)."""


def eml_bytes(message: Message) -> bytes:
    return message.as_bytes(policy=message.policy.clone(linesep="\r\n"))  # RFC 5322 line ends


def _write(path: Path, message: Message) -> Path:
    write_atomic(path, eml_bytes(message))
    return path


def write_drafts(spec: Spec, spec_dir: Path, templates: Path, out_dir: Path, slugs: list[str]) -> list[Path]:
    written = []
    for slug in slugs:
        agency = spec.agency_by_slug[slug]
        template = templates / template_file_name(slug)
        if not template.exists():
            raise MailError(f"Chưa có biểu mẫu {template}. Hãy chạy 'indicator-kit generate' trước.")
        subject, body = render(spec_dir, "draft", **draft_context(spec, agency))
        message = build_message(
            spec, agency, subject, body, Attachment(attachment_name(spec, agency), template.read_bytes())
        )
        written.append(_write(out_dir / f"{slug}.eml", message))
    return written


def reminder_files(spec: Spec, spec_dir: Path, master: Master, as_of: date) -> dict[str, bytes]:
    """Drafts (file name → .eml bytes) for agencies that have not returned, or whose return has
    errors; the caller publishes them with the rest of its run."""
    written = {}
    for status in master.statuses:
        agency = spec.agency_by_slug[status.agency]
        sub: Submission | None = status.current
        if status.received and not status.errors:
            continue
        problems = (
            []
            if sub is None
            else [
                {
                    "text": f.message
                    if not f.cell or f.message.startswith(f"Ô {f.cell}")
                    else f"Ô {f.cell}: {f.message}"
                }
                for f in sub.findings
                if f.severity.value == "error"
            ]
        )
        context = reminder_context(spec, agency, as_of, status.received, sub.file if sub else "", problems)
        subject, body = render(spec_dir, "reminder", **context)
        attachment = None
        if sub is not None:
            attachment = Attachment(attachment_name(spec, agency, " - cần sửa"), feedback_workbook(spec, sub))
        written[f"{agency.slug}.eml"] = eml_bytes(build_message(spec, agency, subject, body, attachment))
    return written


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str  # "starttls", "ssl" or "none"
    user: str
    password: str


def smtp_settings(config: Path | None) -> SmtpSettings:
    """From a YAML file (host, port, security, user) and the environment; the password only
    ever comes from INDICATOR_KIT_SMTP_PASSWORD, never from a file in the repository."""
    values: dict[str, object] = {}
    if config is not None:
        values = dict(read_yaml(config) or {})
    env = os.environ
    host = str(env.get("INDICATOR_KIT_SMTP_HOST") or values.get("host") or "")
    if not host:
        raise MailError("Chưa cấu hình máy chủ thư: đặt INDICATOR_KIT_SMTP_HOST hoặc dùng --config.")
    security = str(env.get("INDICATOR_KIT_SMTP_SECURITY") or values.get("security") or "starttls")
    if security not in ("starttls", "ssl", "none"):
        raise MailError(f"Giá trị security '{security}' không hợp lệ; chọn starttls, ssl hoặc none.")
    port = int(
        env.get("INDICATOR_KIT_SMTP_PORT") or values.get("port") or (465 if security == "ssl" else 587)
    )
    user = str(env.get("INDICATOR_KIT_SMTP_USER") or values.get("user") or "")
    return SmtpSettings(host, port, security, user, env.get("INDICATOR_KIT_SMTP_PASSWORD", ""))


@dataclass(frozen=True)
class Outgoing:
    path: Path
    sha256: str
    sender: str
    recipients: list[str]
    subject: str
    attachments: list[str]


def outgoing(mail_dir: Path) -> list[Outgoing]:
    found = []
    for path in sorted(mail_dir.rglob("*.eml")):
        data = path.read_bytes()
        message = message_from_bytes(data, policy=DISPLAY)
        found.append(
            Outgoing(
                path,
                hashlib.sha256(data).hexdigest(),
                str(message.get("From", "")),
                [str(a) for a in message.get_all("To", [])],
                str(message.get("Subject", "")),
                [part.get_filename() or "" for part in message.iter_attachments()],
            )
        )
    return found


def already_sent(mail_dir: Path) -> set[str]:
    log = mail_dir / SENT_LOG
    if not log.exists():
        return set()
    return {
        json.loads(line)["sha256"] for line in log.read_text(encoding="utf-8").splitlines() if line.strip()
    }


def send_all(mail_dir: Path, settings: SmtpSettings, report: Callable[[Outgoing, str], None]) -> int:
    """Send every message not sent before; one failure does not stop the others."""
    sent_before = already_sent(mail_dir)
    count = 0
    for item in outgoing(mail_dir):
        if item.sha256 in sent_before:
            continue
        if not item.recipients:
            report(item, "không có địa chỉ email của đơn vị (điền vào agencies.yaml) — bỏ qua")
            continue
        if not parseaddr(item.sender)[1]:
            report(
                item,
                "thư chưa có địa chỉ người gửi (điền email của đơn vị nhận vào campaign.yaml, "
                "rồi tạo lại thư) — bỏ qua",
            )
            continue
        # The drafted bytes are sent as they are (re-serialising would re-fold the encoded
        # Vietnamese headers); only the draft marker goes and Date/Message-ID come in.
        data = re.sub(rb"(?im)^X-Unsent: 1\r?\n", b"", item.path.read_bytes(), count=1)
        data = f"Date: {format_datetime(datetime.now(UTC))}\r\nMessage-ID: {make_msgid()}\r\n".encode() + data
        try:
            with _connect(settings) as smtp:
                smtp.sendmail(parseaddr(item.sender)[1], [parseaddr(r)[1] for r in item.recipients], data)
        except (OSError, smtplib.SMTPException) as exc:
            report(item, f"gửi không được: {exc}")
            continue
        with (mail_dir / SENT_LOG).open("a", encoding="utf-8") as log:
            log.write(
                json.dumps(
                    {
                        "sha256": item.sha256,
                        "file": item.path.name,
                        "to": item.recipients,
                        "sent_at": datetime.now(UTC).isoformat(),
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )
        report(item, "đã gửi")
        count += 1
    return count


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    if settings.security == "ssl":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            settings.host, settings.port, context=ssl.create_default_context(), timeout=30
        )
    else:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=30)
        if settings.security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
    if settings.user:
        smtp.login(settings.user, settings.password)
    return smtp
