"""Returns that arrive wrapped: e-mails (.eml, Outlook .msg, winmail.dat/TNEF) and zip files are
opened into the files they carry, so that each workbook can be judged as if dropped alone.

Opening is a step before the per-file judgement and runs only for files whose bytes say they are
a message or a plain zip (an .xlsx never comes here). Everything found is listed: workbooks go on
to be judged, other attachments and anything that cannot be opened become problems of the
received file. Limits: the received file is within `max_file_bytes` already; everything taken out
of it together stays within `max_uncompressed_bytes` and `max_members`, and wrappers nest at most
`max_depth` deep. Nothing is ever written to disk under a name from the file, and zip members
with a path that climbs out of the archive are refused.

Readers: the standard library's `email` for .eml; python-oxmsg (MIT) over olefile (BSD) for
Outlook .msg; tnefparse (LGPL-3.0, used unmodified as a library) for winmail.dat.
"""

from __future__ import annotations

import contextlib
import io
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import errors as email_errors
from email import message_from_bytes
from email.message import Message
from email.parser import HeaderParser
from email.policy import default as EMAIL_POLICY
from email.utils import parseaddr, parsedate_to_datetime
from enum import StrEnum
from pathlib import PurePosixPath, PureWindowsPath

from indicator_kit import findings
from indicator_kit.collect.limits import MB, Limits, too_large
from indicator_kit.collect.reader import sniff


class Wrapper(StrEnum):
    """A received file that carries other files."""

    EML = "eml"
    MSG = "msg"
    TNEF = "tnef"
    ZIP = "zip"


WRAPPER_NAMES = {
    Wrapper.EML: "thư",
    Wrapper.MSG: "thư",
    Wrapper.TNEF: "thư",
    Wrapper.ZIP: "tệp nén",
}


@dataclass(frozen=True)
class Mail:
    """What a message says about itself (the one that carried a file, the innermost)."""

    sender: str = ""  # address only, lower case
    subject: str = ""
    date: datetime | None = None  # the Date header (Outlook: the submit time)


@dataclass(frozen=True)
class Envelope:
    """Where an extracted workbook came from: the received file and the message that carried it."""

    file: str  # the received file, relative to the inbox
    sha256: str  # of the received file (archived under this hash)
    kind: Wrapper
    trail: tuple[str, ...]  # attachment names from the received file down to the workbook
    mail: Mail | None = None  # None for a zip dropped alone
    name: str = ""  # the workbook's own file name (what the officer may --accept it by)

    @property
    def location(self) -> str:
        """How a person finds the workbook: "thư a.eml › tệp đính kèm b.xlsx"."""
        return location(self.kind, self.file, self.trail)


def location(kind: Wrapper, file: str, trail: tuple[str, ...]) -> str:
    return " › ".join([f"{WRAPPER_NAMES[kind]} {file}", *trail])


@dataclass(frozen=True)
class Found:
    """One file taken out of a wrapper (not itself a wrapper)."""

    name: str  # its own name, without any folder
    data: bytes
    trail: tuple[str, ...]
    mail: Mail | None


@dataclass
class Opened:
    found: list[Found] = field(default_factory=list)
    problems: list[findings.Message] = field(default_factory=list)  # findings of the received file
    mail: Mail | None = None  # the received message's own header


def safe_name(name: str, fallback: str) -> str:
    """The file's own name as a person reads it: NFC, no folder, no control characters."""
    name = unicodedata.normalize("NFC", name or "")
    name = PureWindowsPath(PurePosixPath(name.replace("\\", "/")).name).name
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name or fallback


class _Budget:
    """What all files taken out of one received file may add up to."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.bytes = 0
        self.count = 0

    def take(self, size: int, here: str) -> findings.Message | None:
        """None when a file of `size` bytes still fits, else why it does not (`mail-too-large`)."""
        self.bytes += size
        self.count += 1
        if self.count > self.limits.max_members:
            return findings.Message(
                "mail-too-large", "count", {"here": here, "limit": self.limits.max_members}
            )
        if self.bytes > self.limits.max_uncompressed_bytes:
            limit_mb = self.limits.max_uncompressed_bytes / MB
            return findings.Message("mail-too-large", "bytes", {"here": here, "limit_mb": limit_mb})
        return None


class _Stop(Exception):
    """The budget is spent: opening stops here (what was found so far is kept)."""


def wrapper_of(data: bytes, detail: str) -> Wrapper | None:
    """The wrapper kind from `sniff`'s detail for a file that is not a spreadsheet."""
    return {"eml": Wrapper.EML, "msg": Wrapper.MSG, "tnef": Wrapper.TNEF, "zip": Wrapper.ZIP}.get(detail)


def open_wrapped(data: bytes, kind: Wrapper, limits: Limits) -> Opened:
    """Every file inside, however deep (within the limits), and what went wrong on the way."""
    opened = Opened()
    budget = _Budget(limits)
    with contextlib.suppress(_Stop):
        _open(data, kind, (), 0, opened, budget, top=True)
    return opened


def _label(parent: Wrapper, name: str) -> str:
    return f"tệp {name}" if parent is Wrapper.ZIP else f"tệp đính kèm {name}"


def _open(
    data: bytes, kind: Wrapper, trail: tuple[str, ...], depth: int, opened: Opened, budget: _Budget, top: bool
) -> None:
    here = location_text(trail)
    if depth >= budget.limits.max_depth:
        opened.problems.append(
            findings.Message("mail-too-deep", "", {"here": here, "limit": budget.limits.max_depth})
        )
        return
    try:
        if kind is Wrapper.ZIP:
            children = list(_zip_children(data, budget.limits, opened, here))
            mail = None
        elif kind is Wrapper.EML:
            mail, children = _eml_children(data)
        elif kind is Wrapper.MSG:
            mail, children = _msg_children(data)
        else:
            mail, children = None, _tnef_children(data)
    except Exception as exc:  # any reader failure is the file's problem, never the run's
        error = type(exc).__name__
        if kind is Wrapper.ZIP:
            opened.problems.append(findings.Message("mail-unreadable", "zip", {"here": here, "error": error}))
        else:
            opened.problems.append(
                findings.Message("mail-unreadable", "mail", {"here": here, "error": error})
            )
        return
    if top:
        opened.mail = mail
    for child in children:
        over = budget.take(len(child.data), here)
        if over is not None:
            opened.problems.append(over)
            raise _Stop
        label = (*trail, *child.labels(kind))
        if child.damaged:  # what could be decoded is not the file that was sent
            opened.problems.append(
                findings.Message("mail-unreadable", "damaged-part", {"here": location_text(label)})
            )
            continue
        inner = _wrapper_of_bytes(child.data)
        if inner is not None:
            _open(child.data, inner, label, depth + 1, opened, budget, top=False)
        else:
            opened.found.append(Found(child.name, child.data, label, child.mail or mail))


def location_text(trail: tuple[str, ...]) -> str:
    return f"{' › '.join(trail)}: " if trail else ""


def _wrapper_of_bytes(data: bytes) -> Wrapper | None:
    """A carried file that is itself a wrapper (a forwarded message, a zip, winmail.dat)."""
    sniffed = sniff(data)
    return wrapper_of(data, sniffed.detail) if sniffed.kind.value == "other" else None


@dataclass(frozen=True)
class _Child:
    name: str
    data: bytes
    mail: Mail | None = None  # the message that carried it, when it differs from the parent's
    via: tuple[str, ...] = ()  # labels of embedded messages between the parent and this file
    damaged: bool = False  # its transfer encoding (base64) was broken: the bytes are what could be decoded

    def labels(self, parent: Wrapper) -> tuple[str, ...]:
        return (*self.via, _label(parent, self.name))


# --- .eml -------------------------------------------------------------------------------------


def _mail_of(message: Message) -> Mail:
    sender = parseaddr(str(message.get("From", "") or ""))[1].strip().lower()
    date = None
    raw_date = message.get("Date")
    if raw_date:
        try:
            date = parsedate_to_datetime(str(raw_date))
            if date.tzinfo is None:
                date = date.replace(tzinfo=UTC)
        except (TypeError, ValueError, IndexError):
            date = None
    return Mail(sender, unicodedata.normalize("NFC", str(message.get("Subject", "") or "").strip()), date)


def _eml_children(data: bytes) -> tuple[Mail, list[_Child]]:
    message = message_from_bytes(data, policy=EMAIL_POLICY)
    if not message.keys():
        raise ValueError("no header")
    counter = [0]
    if message.is_multipart():
        children = [c for part in message.get_payload() for c in _eml_part(part, counter, 1)]
    else:
        children = list(_eml_part(message, counter, 1))
    return _mail_of(message), children


_DECODING_DEFECTS = (
    email_errors.InvalidBase64CharactersDefect,
    email_errors.InvalidBase64PaddingDefect,
    email_errors.InvalidBase64LengthDefect,
)
_BODY_TYPES = ("text/plain", "text/html", "text/enriched")
MAX_MIME_DEPTH = 40  # multipart inside multipart; real mail has three or four


def _eml_part(part: Message, counter: list[int], depth: int) -> Iterator[_Child]:
    """Every attached file, inline ones too; a nested message is handed back as .eml bytes and
    opened again (its own sender and date then apply to what it carries)."""
    if depth > MAX_MIME_DEPTH:
        raise ValueError("MIME parts nested too deep")
    if part.get_content_type() == "message/rfc822":
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        counter[0] += 1
        if isinstance(inner, Message):
            subject = str(inner.get("Subject", "") or "").strip()
            name = safe_name(part.get_filename() or "", f"{subject or 'thư'}.eml")
            yield _Child(name, inner.as_bytes(policy=EMAIL_POLICY))
        else:
            decoded = part.get_payload(decode=True)
            name = safe_name(part.get_filename() or "", f"phần {counter[0]}.eml")
            yield _Child(name, decoded if isinstance(decoded, bytes) else b"")
        return
    if part.is_multipart():
        for sub in part.get_payload():
            yield from _eml_part(sub, counter, depth + 1)
        return
    filename = part.get_filename()
    if (
        not filename
        and part.get_content_disposition() != "attachment"
        and part.get_content_type() in _BODY_TYPES
    ):
        return  # the message's own text
    counter[0] += 1
    payload = part.get_payload(decode=True)
    damaged = any(isinstance(d, _DECODING_DEFECTS) for d in part.defects)
    name = safe_name(filename or "", f"phần {counter[0]}")
    yield _Child(name, payload if isinstance(payload, bytes) else b"", damaged=damaged)


# --- Outlook .msg -----------------------------------------------------------------------------

EMBEDDED_MESSAGE = "__substg1.0_3701000D"
MSG_HEADER_OFFSET, EMBEDDED_HEADER_OFFSET = 32, 24  # MS-OXMSG 2.4.1: the property stream's header


def _msg_children(data: bytes) -> tuple[Mail, list[_Child]]:
    from olefile import OleFileIO
    from oxmsg.storage import Storage

    with OleFileIO(data) as ole:
        root = Storage.from_ole(ole)
    mail = _msg_mail(root, MSG_HEADER_OFFSET)
    return mail, list(_msg_attachments(root, mail, (), 0))


def _msg_mail(storage: object, header_offset: int) -> Mail:
    from oxmsg.domain import constants as c
    from oxmsg.properties import Properties

    props = Properties(storage, properties_header_offset=header_offset)  # type: ignore[arg-type]
    headers = HeaderParser(policy=EMAIL_POLICY).parsestr(
        props.str_prop_value(c.PID_TRANSPORT_MESSAGE_HEADERS) or ""
    )
    from_header = _mail_of(headers) if headers.keys() else Mail()
    sender = from_header.sender
    if not sender:
        for pid in (c.PID_SENDER_SMTP_ADDRESS, c.PID_SENDER_EMAIL_ADDRESS):
            value = (props.str_prop_value(pid) or "").strip().lower()
            if "@" in value:
                sender = parseaddr(value)[1]
                break
    date = from_header.date or props.date_prop_value(c.PID_CLIENT_SUBMIT_TIME)
    subject = unicodedata.normalize("NFC", (props.str_prop_value(c.PID_SUBJECT) or "").strip())
    return Mail(sender, subject or from_header.subject, date)


def _msg_attachments(storage: object, mail: Mail, via: tuple[str, ...], depth: int) -> Iterator[_Child]:
    from oxmsg.attachment import Attachment
    from oxmsg.domain import constants as c

    for number, attached in enumerate(storage.iter_attachment_storages(), 1):  # type: ignore[attr-defined]
        embedded = next((s for s in attached.storages if s.name == EMBEDDED_MESSAGE), None)
        attachment = Attachment(attached)
        if embedded is not None:  # a message attached as an item (Outlook's "forward as attachment")
            if depth >= 8:
                raise ValueError("embedded messages nested too deep")
            inner = _msg_mail(embedded, EMBEDDED_HEADER_OFFSET)
            name = safe_name(
                attachment.properties.str_prop_value(c.PID_DISPLAY_NAME) or "",
                f"{inner.subject or 'thư'}.msg",
            )
            yield from _msg_attachments(embedded, inner, (*via, f"tệp đính kèm {name}"), depth + 1)
            continue
        name = attachment.file_name or attachment.properties.str_prop_value(c.PID_ATTACH_FILENAME) or ""
        yield _Child(safe_name(name, f"phần {number}"), attachment.file_bytes or b"", mail, via)


# --- winmail.dat (TNEF) -----------------------------------------------------------------------


def _tnef_children(data: bytes) -> list[_Child]:
    from tnefparse.tnef import TNEF

    tnef = TNEF(data, do_checksum=False)
    children = []
    for number, attachment in enumerate(tnef.attachments, 1):
        name = attachment.long_filename()
        if isinstance(name, bytes):
            name = name.decode("utf-8", "replace")
        children.append(
            _Child(safe_name(str(name).strip("\x00"), f"phần {number}"), bytes(attachment.data or b""))
        )
    return children


# --- zip --------------------------------------------------------------------------------------


def _unsafe_member(name: str) -> bool:
    """A member path that is absolute or climbs out of the archive (never extracted anyway)."""
    path = name.replace("\\", "/")
    return path.startswith("/") or re.match(r"^[A-Za-z]:", path) is not None or ".." in path.split("/")


def _zip_children(data: bytes, limits: Limits, opened: Opened, here: str) -> Iterator[_Child]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    members = [m for m in archive.infolist() if not m.is_dir()]
    oversize = too_large(data, members, limits)
    if oversize is not None:
        opened.problems.append(
            findings.Message("mail-too-large", oversize.variant, {"here": here, **oversize.fields})
        )
        return
    for member in members:
        name = safe_name(member.filename, "tệp không tên")
        if _unsafe_member(member.filename):
            opened.problems.append(
                findings.Message("archive-unsafe-name", "", {"here": here, "name": member.filename})
            )
            continue
        if member.flag_bits & 0x1:
            opened.problems.append(
                findings.Message("file-encrypted", "zip-member", {"here": here, "name": name})
            )
            continue
        try:
            with archive.open(member) as handle:
                content = handle.read(min(member.file_size, limits.max_file_bytes) + 1)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, zlib.error):
            opened.problems.append(
                findings.Message("mail-unreadable", "zip-member", {"here": here, "name": name})
            )
            continue
        if len(content) > member.file_size or len(content) > limits.max_file_bytes:
            opened.problems.append(findings.Message("mail-too-large", "member", {"here": here, "name": name}))
            continue
        yield _Child(name, content)
