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
from enum import StrEnum
from pathlib import Path

from indicator_kit.catalog.loader import read_yaml
from indicator_kit.catalog.spec import Spec
from indicator_kit.collect.report import feedback_of, feedback_workbook
from indicator_kit.dates import campaign_date
from indicator_kit.errors import IndicatorKitError
from indicator_kit.files import write_atomic
from indicator_kit.findings import Severity
from indicator_kit.generate import template_file_name
from indicator_kit.mail.compose import (
    KIND_HEADER,
    Attachment,
    MailKind,
    attachment_name,
    build_message,
    draft_context,
    letter_dates,
    reminder_context,
    render,
)
from indicator_kit.plan import Plan
from indicator_kit.verdict import AgencyVerdict, State, Verdicts

SENT_LOG = "sent.jsonl"


class MailError(IndicatorKitError):
    """Mail cannot be prepared or sent (missing template, bad SMTP settings)."""


def eml_bytes(message: Message) -> bytes:
    return message.as_bytes(policy=message.policy.clone(linesep="\r\n"))  # RFC 5322 line ends


def _write(path: Path, message: Message) -> Path:
    write_atomic(path, eml_bytes(message))
    return path


def _template(templates: Path, slug: str) -> Path:
    template = templates / template_file_name(slug)
    if not template.exists():
        raise MailError(f"Chưa có biểu mẫu {template}. Hãy chạy 'indicator-kit generate' trước.")
    return template


def write_drafts(spec: Spec, spec_dir: Path, templates: Path, out_dir: Path, slugs: list[str]) -> list[Path]:
    written = []
    for slug in slugs:
        agency = spec.agency_by_slug[slug]
        template = _template(templates, slug)
        subject, body = render(spec_dir, "draft", **draft_context(spec, agency))
        message = build_message(
            spec, agency, subject, body, Attachment(attachment_name(spec, agency), template.read_bytes())
        )
        written.append(_write(out_dir / f"{slug}.eml", message))
    return written


def _problems(plan: Plan, verdict: AgencyVerdict) -> tuple[list[dict[str, str]], int]:
    """What the agency must do, one line each — the unusable file, or the error lines of the
    attached feedback's "Lỗi cần sửa" sheet (each error, the blank cells by column), in its order
    — and how many warnings that sheet lists after them, so letter and sheet count alike."""
    if verdict.current is None:
        return [{"text": f"Tệp {f.file}: {f.reason}."} for f in verdict.unusable[-1:]], 0
    found, warnings = [], 0
    for cell, _, _, severity, message in feedback_of(plan, verdict.current, verdict.merged).issues:
        if severity != Severity.ERROR.value:
            warnings += 1
            continue
        text = message if not cell or message.startswith(f"Ô {cell}") else f"Ô {cell}: {message}"
        found.append({"text": text})
    return found, warnings


def reminder_files(
    plan: Plan, spec_dir: Path, verdicts: Verdicts, templates: Path, reply_by: date | None = None
) -> dict[str, bytes]:
    """A reminder for each agency with nothing received (the template attached again), a
    correction request for each that must fix or resend (its feedback workbook attached, or the
    template when nothing it sent could be used). The same verdicts as status and the master.
    File name → .eml bytes, for the caller to publish with the rest of its run."""
    spec = plan.spec
    if reply_by is not None and reply_by <= verdicts.as_of:
        raise MailError(
            f"Ngày trả lời {campaign_date(reply_by)} (--reply-by) phải sau ngày viết thư "
            f"{campaign_date(verdicts.as_of)} (--as-of)."
        )
    dates = letter_dates(spec, verdicts.as_of, reply_by)
    written = {}
    for verdict in verdicts.agencies:
        if verdict.state not in (State.NOT_RECEIVED, State.NEEDS_FIX):
            continue
        agency = spec.agency_by_slug[verdict.agency]
        sub = verdict.current
        received = verdict.state is State.NEEDS_FIX
        file = sub.file if sub else (verdict.unusable[-1].file if verdict.unusable else "")
        problems, warnings = _problems(plan, verdict)
        context = reminder_context(spec, agency, dates, received, file, problems)
        context["attached_feedback"] = sub is not None
        # the warnings the attached sheet lists after the errors: to look at, and already explained
        context["warnings"], context["explained"] = warnings - verdict.explained, verdict.explained
        subject, body = render(spec_dir, "reminder", **context)
        if sub is not None:
            attachment = Attachment(
                attachment_name(spec, agency, " - cần sửa"), feedback_workbook(plan, sub, verdict.merged)
            )
        else:
            attachment = Attachment(
                attachment_name(spec, agency), _template(templates, agency.slug).read_bytes()
            )
        kind = MailKind.CORRECTION if received else MailKind.REMINDER
        written[f"{agency.slug}.eml"] = eml_bytes(
            build_message(spec, agency, subject, body, attachment, kind)
        )
    return written


def stale_reminders(out_dir: Path, keep: set[str]) -> list[Path]:
    """Reminders and correction requests of an earlier run that this run does not write again
    (names not in `keep`): the agency has replied or been corrected since, so the letter must not
    be sent any more. The caller removes them with the rest of its run."""
    if not out_dir.is_dir():
        return []
    return [
        m.path
        for m in outgoing(out_dir)
        if m.path.parent == out_dir and m.path.name not in keep and m.kind is not MailKind.DRAFT
    ]


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
    kind: MailKind


class Round(StrEnum):
    """What `mail send --kind` chooses: never both at once."""

    DRAFTS = "drafts"  # first-round mail with the templates
    REMINDERS = "reminders"  # reminders and correction requests

    @property
    def kinds(self) -> frozenset[MailKind]:
        if self is Round.DRAFTS:
            return frozenset({MailKind.DRAFT})
        return frozenset({MailKind.REMINDER, MailKind.CORRECTION})

    @property
    def title(self) -> str:
        return "thư gửi biểu mẫu" if self is Round.DRAFTS else "thư nhắc nộp, đề nghị sửa"


def outgoing(mail_dir: Path) -> list[Outgoing]:
    found = []
    for path in sorted(mail_dir.rglob("*.eml")):
        data = path.read_bytes()
        message = message_from_bytes(data, policy=DISPLAY)
        kind = str(message.get(KIND_HEADER, MailKind.DRAFT.value))
        found.append(
            Outgoing(
                path,
                hashlib.sha256(data).hexdigest(),
                str(message.get("From", "")),
                [str(a) for a in message.get_all("To", [])],
                str(message.get("Subject", "")),
                [part.get_filename() or "" for part in message.iter_attachments()],
                MailKind(kind) if kind in MailKind._value2member_map_ else MailKind.DRAFT,
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


@dataclass(frozen=True)
class SendPlan:
    """What one `mail send` would do: the dry run prints it, `--really` sends `to_send`, nothing else."""

    round: Round
    to_send: list[Outgoing]
    no_address: list[Outgoing]  # the agency has no e-mail in agencies.yaml
    no_sender: list[Outgoing]  # campaign.yaml has no recipient e-mail (the From address)
    sent_before: list[Outgoing]


def plan_sending(mail_dir: Path, chosen: Round | None) -> SendPlan:
    """Sort the messages under `mail_dir`. Without `chosen`, the folder must hold one round only."""
    messages = outgoing(mail_dir)
    if chosen is None:
        present = [r for r in Round if any(m.kind in r.kinds for m in messages)]
        if len(present) > 1:
            counts = ", ".join(f"{sum(1 for m in messages if m.kind in r.kinds)} {r.title}" for r in present)
            raise MailError(
                f"Thư mục {mail_dir} có cả {counts}. Chọn một loại để gửi: "
                "--kind drafts (thư gửi biểu mẫu) hoặc --kind reminders (thư nhắc, đề nghị sửa)."
            )
        chosen = present[0] if present else Round.DRAFTS
    sent = already_sent(mail_dir)
    plan = SendPlan(chosen, [], [], [], [])
    for item in messages:
        if item.kind not in chosen.kinds:
            continue
        if item.sha256 in sent:
            plan.sent_before.append(item)
        elif not item.recipients:
            plan.no_address.append(item)
        elif not parseaddr(item.sender)[1]:
            plan.no_sender.append(item)
        else:
            plan.to_send.append(item)
    return plan


def send_all(
    mail_dir: Path, plan: SendPlan, settings: SmtpSettings, report: Callable[[Outgoing, str], None]
) -> int:
    """Send what the plan says (and only that); one failure does not stop the others."""
    count = 0
    for item in plan.to_send:
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
