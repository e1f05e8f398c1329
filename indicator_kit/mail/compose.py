"""Build RFC 5322 messages (UTF-8, RFC 2231 attachment names) from the office's jinja2 texts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from email.header import Header
from email.message import Message
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr
from pathlib import Path

import jinja2

from indicator_kit.catalog.model import Agency, Spec

XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
MAIL_DIR = "mail"


@dataclass(frozen=True)
class Attachment:
    name: str  # shown to the recipient; may be Vietnamese
    data: bytes


def _env(spec_dir: Path) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(spec_dir / MAIL_DIR),
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def render(spec_dir: Path, name: str, **context: object) -> tuple[str, str]:
    env = _env(spec_dir)
    subject = " ".join(env.get_template(f"{name}_subject.j2").render(**context).split())
    body = env.get_template(f"{name}_body.j2").render(**context).strip() + "\n"
    return subject, body


def build_message(
    spec: Spec, agency: Agency, subject: str, body: str, attachment: Attachment | None
) -> Message:
    """A multipart message. The legacy (compat32) MIME classes are used on purpose: the modern
    policy drops the space between RFC 2047 encoded words when it folds a long Vietnamese subject
    ("xã hội" → "xãhội"); `Header` keeps it."""
    message = MIMEMultipart()
    recipient = spec.campaign.recipient
    if recipient.email:
        message["From"] = formataddr((recipient.short_name, recipient.email), charset="utf-8")
    if agency.email:
        message["To"] = formataddr((agency.short_name, agency.email), charset="utf-8")
    message["Subject"] = Header(subject, "utf-8")
    message["X-Unsent"] = "1"  # Outlook/Thunderbird open it as a draft ready to send
    message["X-Indicator-Kit-Agency"] = agency.slug
    message.attach(MIMEText(body, "plain", "utf-8"))
    if attachment is not None:
        part = MIMEApplication(attachment.data, XLSX_TYPE[1])
        part.add_header("Content-Disposition", "attachment", filename=("utf-8", "", attachment.name))
        message.attach(part)
    return message


def attachment_name(spec: Spec, agency: Agency, suffix: str = "") -> str:
    return f"{spec.campaign.annex.capitalize()} - {agency.short_name}{suffix}.xlsx"


def draft_context(spec: Spec, agency: Agency) -> dict[str, object]:
    columns = spec.campaign.columns
    years = [c.header for c in columns if c.is_year]
    periods = sorted({c.group or c.header for c in columns if not c.is_year})
    recipient = spec.campaign.recipient
    return {
        "campaign": spec.campaign,
        "agency": agency,
        "indicators": len(spec.rows_for(agency.slug)),
        "years": f"{years[0]}–{years[-1]}" if years else "",
        "periods": ", ".join(periods),
        "deadline": spec.campaign.deadline.strftime("%d/%m/%Y"),
        "contact": recipient.email or f"của {recipient.short_name}",
    }


def reminder_context(
    spec: Spec, agency: Agency, as_of: date, received: bool, file: str, problems: list[dict[str, str]]
) -> dict[str, object]:
    days_left = (spec.campaign.deadline - as_of).days
    return {
        **draft_context(spec, agency),
        "as_of": as_of.strftime("%d/%m/%Y"),
        "received": received,
        "days_left": days_left,
        "overdue": days_left < 0,
        "file": file,
        "problems": problems,
    }
