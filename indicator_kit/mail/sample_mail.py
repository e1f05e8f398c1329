"""E-mails as agencies send them, for the demo's simulated inbox and the tests: .eml (RFC 5322,
with the standard library), Outlook .msg (MS-OXMSG inside an MS-CFB compound file), winmail.dat
(MS-OXTNEF) and zips. No writer for .msg or TNEF is packaged for Python, so these are written here
from the specifications; the collector reads them with its own libraries (python-oxmsg over
olefile, tnefparse). They are not files saved by Outlook itself.
"""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def eml(
    sender: str,
    subject: str,
    date: datetime,
    attachments: Sequence[tuple[str, bytes]] = (),
    inline: Sequence[tuple[str, bytes]] = (),
    forwarded: Sequence[EmailMessage] = (),
    body: str = "Kính gửi Sở Kế hoạch và Đầu tư, đơn vị gửi biểu Phụ lục 2.",
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "tonghop@skhdt.haiphong.gov.vn"
    message["Subject"] = subject
    message["Date"] = format_datetime(date)
    message.set_content(body)
    for name, data in inline:  # e.g. a workbook a webmail shows in the body, or a logo
        message.add_attachment(data, *_type(name), filename=name, disposition="inline")
    for name, data in attachments:
        message.add_attachment(data, *_type(name), filename=name)
    for inner in forwarded:  # "forward as attachment"
        message.add_attachment(inner)
    return message


def _type(name: str) -> tuple[str, str]:
    if name.endswith(".xlsx"):
        return XLSX_TYPE
    if name.endswith(".png"):
        return ("image", "png")
    if name.endswith(".zip"):
        return ("application", "zip")
    if name.endswith(".dat"):
        return ("application", "ms-tnef")
    return ("application", "octet-stream")


def zipped(files: Sequence[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files:
            archive.writestr(name, data)
    return buffer.getvalue()


# --- winmail.dat (MS-OXTNEF 2.1) ---------------------------------------------------------------


def tnef(attachments: Sequence[tuple[str, bytes]]) -> bytes:
    """A TNEF stream carrying files the way Outlook's rich-text mode does (attAttachTitle names
    are in the OEM code page, so keep them ASCII)."""

    def attribute(level: int, name: int, kind: int, data: bytes) -> bytes:
        return (
            struct.pack("<BHHI", level, name, kind, len(data)) + data + struct.pack("<H", sum(data) & 0xFFFF)
        )

    out = struct.pack("<IH", 0x223E9F78, 0x0001)
    out += attribute(1, 0x9006, 0x0008, struct.pack("<I", 0x00010000))  # attTnefVersion
    out += attribute(1, 0x9007, 0x0006, struct.pack("<II", 1252, 0))  # attOemCodepage
    for name, data in attachments:
        out += attribute(2, 0x9002, 0x0006, b"\x01\x00" + b"\xff" * 8 + b"\x00" * 4)  # attAttachRendData
        out += attribute(2, 0x8010, 0x0001, name.encode("ascii") + b"\x00")  # attAttachTitle
        out += attribute(2, 0x800F, 0x0006, data)  # attAttachData
    return out


# --- Outlook .msg (MS-OXMSG 2.1–2.4 in an MS-CFB version 3 file) --------------------------------

PT_LONG, PT_TIME, PT_UNICODE, PT_BINARY, PT_OBJECT = 0x0003, 0x0040, 0x001F, 0x0102, 0x000D


@dataclass
class MsgMessage:
    sender: str
    subject: str
    date: datetime
    attachments: list[tuple[str, bytes]] = field(default_factory=list)
    embedded: list[MsgMessage] = field(default_factory=list)  # attached as Outlook items
    headers: bool = True  # a received message keeps its transport headers; a draft has none


def msg(message: MsgMessage) -> bytes:
    """The .msg file Outlook saves when a message is dragged out of it."""
    return _cfb(_message_storage(message, top=True))


def _filetime(moment: datetime) -> int:
    return int((moment.astimezone(UTC) - datetime(1601, 1, 1, tzinfo=UTC)).total_seconds() * 10_000_000)


def _props(entries: list[tuple[int, int, int | bytes]], header: bytes) -> dict[str, object]:
    """The __properties_version1.0 stream and the substg streams of variable-length values."""
    streams: dict[str, object] = {}
    fixed = b""
    for pid, kind, value in entries:
        tag = (pid << 16) | kind
        if kind in (PT_UNICODE, PT_BINARY, PT_OBJECT):
            size = len(value) if isinstance(value, bytes) else 0
            fixed += struct.pack("<IIII", tag, 0x6, size + (2 if kind == PT_UNICODE else 0), 0)
            if kind != PT_OBJECT:
                streams[f"__substg1.0_{pid:04X}{kind:04X}"] = value
        else:
            fixed += struct.pack("<IIQ", tag, 0x6, int(value))  # type: ignore[arg-type]
    streams["__properties_version1.0"] = header + fixed
    return streams


def _u(text: str) -> bytes:
    return text.encode("utf-16-le")


def _message_storage(message: MsgMessage, top: bool) -> dict[str, object]:
    entries: list[tuple[int, int, int | bytes]] = [
        (0x001A, PT_UNICODE, _u("IPM.Note")),
        (0x0037, PT_UNICODE, _u(message.subject)),
        (0x0C1F, PT_UNICODE, _u(message.sender)),
        (0x5D01, PT_UNICODE, _u(message.sender)),
        (0x0039, PT_TIME, _filetime(message.date)),
    ]
    if message.headers:
        headers = (
            f"From: <{message.sender}>\r\nSubject: {message.subject}\r\n"
            f"Date: {format_datetime(message.date)}\r\n\r\n"
        )
        entries.append((0x007D, PT_UNICODE, _u(headers)))
    count = len(message.attachments) + len(message.embedded)
    header = struct.pack("<8xIIII", 0, count, 0, count) + (b"\x00" * 8 if top else b"")
    storage = _props(entries, header)
    number = 0
    for name, data in message.attachments:
        attachment = _props(
            [
                (0x3705, PT_LONG, 1),  # attach by value
                (0x3707, PT_UNICODE, _u(name)),
                (0x3704, PT_UNICODE, _u(name[:8])),
                (0x3701, PT_BINARY, data),
            ],
            b"\x00" * 8,
        )
        storage[f"__attach_version1.0_#{number:08X}"] = attachment
        number += 1
    for inner in message.embedded:
        attachment = _props(
            [(0x3705, PT_LONG, 5), (0x3001, PT_UNICODE, _u(inner.subject)), (0x3701, PT_OBJECT, b"")],
            b"\x00" * 8,
        )
        attachment["__substg1.0_3701000D"] = _message_storage(inner, top=False)
        storage[f"__attach_version1.0_#{number:08X}"] = attachment
        number += 1
    if top:
        storage["__nameid_version1.0"] = {
            "__substg1.0_00020102": b"",
            "__substg1.0_00030102": b"",
            "__substg1.0_00040102": b"",
        }
    return storage


SECTOR, MINI, CUTOFF = 512, 64, 4096
FREE, END, FATSECT = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD


def _cfb(root: dict[str, object]) -> bytes:
    """An MS-CFB version 3 compound file of `root` (dict: storage, bytes: stream)."""
    entries: list[dict[str, object]] = []  # directory entries, root first

    def add(name: str, node: object) -> int:
        index = len(entries)
        entry: dict[str, object] = {"name": name, "left": FREE, "right": FREE, "child": FREE}
        entries.append(entry)
        if isinstance(node, dict):
            entry["type"] = 1
            kids = sorted(node.items(), key=lambda kv: (len(kv[0]), kv[0].upper()))
            ids = [add(k, v) for k, v in kids]
            if ids:  # a balanced search tree over the sorted siblings (all black: readers do not care)
                entry["child"] = _tree(ids, entries)
        else:
            entry["type"], entry["data"] = 2, node
        return index

    add("Root Entry", root)
    entries[0]["type"] = 5
    # small streams go into the mini stream, the others into sectors of their own
    mini_stream, mini_fat = b"", []
    large: list[tuple[dict[str, object], bytes]] = []
    for entry in entries:
        data = entry.get("data")
        if not isinstance(data, bytes):
            continue
        if len(data) < CUTOFF:
            if not data:
                entry["start"] = END
                continue
            first = len(mini_stream) // MINI
            count = -(-len(data) // MINI)
            mini_fat += [first + i + 1 for i in range(count - 1)] + [END]
            entry["start"] = first
            mini_stream += data + b"\x00" * (count * MINI - len(data))
        else:
            large.append((entry, data))
    sectors: list[bytes] = []
    fat: list[int] = []

    def place(data: bytes) -> int:
        if not data:
            return END
        first = len(sectors)
        count = -(-len(data) // SECTOR)
        for i in range(count):
            sectors.append(data[i * SECTOR : (i + 1) * SECTOR].ljust(SECTOR, b"\x00"))
            fat.append(first + i + 1 if i < count - 1 else END)
        return first

    for entry, data in large:
        entry["start"] = place(data)
    entries[0]["start"] = place(mini_stream)
    entries[0]["data"] = mini_stream
    mini_fat_bytes = struct.pack(f"<{len(mini_fat)}I", *mini_fat) if mini_fat else b""
    mini_fat_bytes += struct.pack("<I", FREE) * ((-len(mini_fat)) % (SECTOR // 4))
    mini_fat_start = place(mini_fat_bytes)
    mini_fat_sectors = len(mini_fat_bytes) // SECTOR
    directory = b"".join(_dir_entry(e) for e in entries)
    directory += _dir_entry(None) * ((-len(entries)) % (SECTOR // 128))
    directory_start = place(directory)
    fat_count = 1
    while (len(sectors) + fat_count) > fat_count * (SECTOR // 4):
        fat_count += 1
    fat_start = len(sectors)
    fat += [FATSECT] * fat_count
    fat += [FREE] * (fat_count * (SECTOR // 4) - len(fat))
    fat_bytes = struct.pack(f"<{len(fat)}I", *fat)
    sectors += [fat_bytes[i * SECTOR : (i + 1) * SECTOR] for i in range(fat_count)]
    if fat_count > 109:
        raise ValueError("sample .msg too large for a header-only DIFAT (about 6 MB)")
    difat = [fat_start + i for i in range(fat_count)] + [FREE] * (109 - fat_count)
    header = (
        bytes.fromhex("D0CF11E0A1B11AE1")
        + b"\x00" * 16
        + struct.pack(
            "<HHHHH6xIIIIIIIII",
            0x3E,
            3,
            0xFFFE,
            9,
            6,
            0,
            fat_count,
            directory_start,
            0,
            CUTOFF,
            mini_fat_start if mini_fat else END,
            mini_fat_sectors if mini_fat else 0,
            END,
            0,
        )
        + struct.pack("<109I", *difat)
    )
    return header + b"".join(sectors)


def _tree(ids: list[int], entries: list[dict[str, object]]) -> int:
    middle = len(ids) // 2
    node = ids[middle]
    if ids[:middle]:
        entries[node]["left"] = _tree(ids[:middle], entries)
    if ids[middle + 1 :]:
        entries[node]["right"] = _tree(ids[middle + 1 :], entries)
    return node


def _dir_entry(entry: dict[str, object] | None) -> bytes:
    if entry is None:
        return b"\x00" * 64 + struct.pack("<HBBIII16sIQQIQ", 0, 0, 0, FREE, FREE, FREE, b"", 0, 0, 0, 0, 0)
    name = str(entry["name"]).encode("utf-16-le") + b"\x00\x00"
    data = entry.get("data")
    size = len(data) if isinstance(data, bytes) else 0
    start = int(entry.get("start", END if entry["type"] != 1 else 0))  # type: ignore[call-overload]
    if entry["type"] == 1:
        start, size = 0, 0
    return name.ljust(64, b"\x00") + struct.pack(
        "<HBBIII16sIQQIQ",
        len(name),
        int(entry["type"]),  # type: ignore[call-overload]
        1,
        int(entry["left"]),  # type: ignore[call-overload]
        int(entry["right"]),  # type: ignore[call-overload]
        int(entry["child"]),  # type: ignore[call-overload]
        b"",
        0,
        0,
        0,
        start,
        size,
    )
