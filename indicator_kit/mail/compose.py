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
from enum import StrEnum
from pathlib import Path

import jinja2

from indicator_kit.catalog.model import Agency
from indicator_kit.catalog.spec import Spec
from indicator_kit.dates import add_working_days, campaign_date

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


class MailKind(StrEnum):
    """Which round a message belongs to (header X-Indicator-Kit-Kind), so that `mail send` never
    mixes first-round mail with reminders."""

    DRAFT = "draft"  # the template, first round
    REMINDER = "reminder"  # nothing received yet
    CORRECTION = "correction"  # received, must be corrected or resent


KIND_HEADER = "X-Indicator-Kit-Kind"


def build_message(
    spec: Spec,
    agency: Agency,
    subject: str,
    body: str,
    attachment: Attachment | None,
    kind: MailKind = MailKind.DRAFT,
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
    message[KIND_HEADER] = kind.value
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
        "deadline": campaign_date(spec.campaign.deadline),
        "contact": recipient.email or f"của {recipient.short_name}",
        "contact_line": contact_line(spec),
    }


def contact_line(spec: Spec) -> str:
    """Whom the agency can call, from campaign.yaml's recipient ("" when nothing is filled in)."""
    r = spec.campaign.recipient
    who = [r.contact_person] if r.contact_person else []
    reach = [f"điện thoại {r.phone}" if r.phone else "", f"email {r.email}" if r.email else ""]
    reach = [x for x in reach if x]
    if not who and not reach:
        return ""
    person = f"{who[0]}, {r.short_name}" if who else r.short_name
    return f"Mọi vướng mắc xin liên hệ: {person}" + (f", {', '.join(reach)}" if reach else "") + "."


@dataclass(frozen=True)
class LetterDates:
    """The dates a reminder or correction request speaks of, in the campaign's style."""

    as_of: date
    deadline: date
    reply_by: date  # asked for once the deadline has passed

    @property
    def overdue(self) -> bool:
        return self.as_of >= self.deadline

    @property
    def days_left(self) -> int:
        return (self.deadline - self.as_of).days

    def context(self, deadline_text: str) -> dict[str, object]:
        return {
            "as_of": campaign_date(self.as_of),
            "days_left": self.days_left,
            "days_overdue": -self.days_left,
            "overdue": self.overdue,
            # before the deadline the campaign's own words; after it, a new date
            "reply_by": f"chậm nhất ngày {campaign_date(self.reply_by)}" if self.overdue else deadline_text,
        }


def letter_dates(spec: Spec, as_of: date, reply_by: date | None = None) -> LetterDates:
    """`reply_by` defaults to campaign.yaml's `reply_working_days` working days after `as_of`."""
    c = spec.campaign
    default = add_working_days(as_of, c.reply_working_days, c.holidays)
    return LetterDates(as_of, c.deadline, reply_by or default)


def reminder_context(
    spec: Spec,
    agency: Agency,
    dates: LetterDates,
    received: bool,
    file: str,
    problems: list[dict[str, str]],
) -> dict[str, object]:
    return {
        **draft_context(spec, agency),
        **dates.context(spec.campaign.deadline_text),
        "received": received,
        "file": file,
        "problems": problems,
    }
