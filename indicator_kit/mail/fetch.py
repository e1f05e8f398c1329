"""`mail fetch`: copy the returns waiting in the office's mailbox (IMAP) into the inbox folder.

Each new message that carries a spreadsheet (directly, forwarded, zipped or in winmail.dat) is
saved as an .eml file exactly as the server holds it; `collect` then opens it like any e-mail
dropped into the inbox. What was fetched is remembered per mailbox as UIDVALIDITY + the highest
UID looked at, in a hidden file in the inbox folder, so a rerun fetches nothing twice. The
mailbox is opened read-only and messages are read with BODY.PEEK: nothing on the server changes
unless the officer asks for `--mark-seen`. The password comes from the environment or a prompt,
never from a file.
"""

from __future__ import annotations

import imaplib
import json
import os
import re
import socket
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from indicator_kit.catalog.loader import read_yaml
from indicator_kit.collect.run import carries_workbook
from indicator_kit.errors import FaultError, IndicatorKitError
from indicator_kit.files import write_atomic

FETCH_STATE = ".indicator-kit-mail-fetch.json"  # hidden: collect skips it
SECURITIES = ("ssl", "starttls", "none")


class MailboxError(IndicatorKitError):
    """The mailbox settings or the login are wrong: the officer must change something."""


class MailboxUnreachable(FaultError):
    """The mail server cannot be reached or its TLS certificate cannot be verified."""


@dataclass(frozen=True)
class ImapSettings:
    host: str
    port: int
    security: str  # "ssl" (IMAPS, default), "starttls" or "none"
    user: str
    folder: str
    cafile: str  # a certificate to trust besides the system's (an office's own CA), or ""
    password: str = ""

    @property
    def mailbox(self) -> str:
        """The key fetched UIDs are remembered under."""
        return f"{self.user}@{self.host}:{self.port}/{self.folder}"


def imap_settings(config: Path | None, password: str | None = None) -> ImapSettings:
    """From a YAML file (host, port, security, user, folder, cafile; at top level or under
    `imap:`) and the environment (INDICATOR_KIT_IMAP_HOST, …), the environment winning. The
    password: `password`, else INDICATOR_KIT_IMAP_PASSWORD; it is never read from a file."""
    values: dict[str, object] = {}
    if config is not None:
        loaded = read_yaml(config) or {}
        if not isinstance(loaded, dict):
            raise MailboxError(f"Tệp cấu hình {config} phải là các dòng 'khóa: giá trị' (host, user, …).")
        values = dict(loaded.get("imap", loaded) or {})
        if "password" in values:
            raise MailboxError(
                f"Tệp cấu hình {config} không được chứa mật khẩu; đặt mật khẩu trong biến môi trường "
                "INDICATOR_KIT_IMAP_PASSWORD hoặc gõ khi được hỏi."
            )

    def get(name: str, default: str = "") -> str:
        return str(os.environ.get(f"INDICATOR_KIT_IMAP_{name.upper()}") or values.get(name) or default)

    host = get("host")
    if not host:
        raise MailboxError("Chưa cấu hình hộp thư: đặt INDICATOR_KIT_IMAP_HOST hoặc dùng --config.")
    security = get("security", "ssl").lower()
    if security not in SECURITIES:
        raise MailboxError(f"Giá trị security '{security}' không hợp lệ; chọn ssl, starttls hoặc none.")
    port_text = get("port", "993" if security == "ssl" else "143")
    if not port_text.isdigit():
        raise MailboxError(f"Cổng '{port_text}' của hộp thư không phải là số.")
    user = get("user")
    if not user:
        raise MailboxError(
            "Chưa có tên đăng nhập hộp thư: đặt INDICATOR_KIT_IMAP_USER hoặc user trong --config."
        )
    if password is None:
        password = os.environ.get("INDICATOR_KIT_IMAP_PASSWORD", "")
    return ImapSettings(host, int(port_text), security, user, get("folder", "INBOX"), get("cafile"), password)


@dataclass
class FetchResult:
    saved: list[Path]
    without_workbook: list[str]  # subjects of new messages with no spreadsheet (not downloaded)
    looked_at: int  # new messages on the server since the last fetch


def fetch_mail(
    settings: ImapSettings,
    inbox: Path,
    mark_seen: bool = False,
    report: Callable[[str], None] = lambda line: None,
) -> FetchResult:
    """Save every message that arrived since the last fetch and carries a spreadsheet into
    `inbox` as .eml; remember every message looked at, so a rerun fetches nothing twice."""
    inbox.mkdir(parents=True, exist_ok=True)
    state = _load_state(inbox)
    result = FetchResult([], [], 0)
    with _connect(settings) as imap, _dropped(settings):
        uidvalidity = _select(imap, settings, readonly=not mark_seen)
        known = state.get(settings.mailbox, {})
        last_uid = int(known.get("last_uid", 0)) if known.get("uidvalidity") == uidvalidity else 0
        if known and known.get("uidvalidity") != uidvalidity:
            report("Hộp thư đã được máy chủ đánh số lại (UIDVALIDITY đổi): xem lại toàn bộ thư.")
        uids = [uid for uid in _search(imap, f"UID {last_uid + 1}:*") if uid > last_uid]
        result.looked_at = len(uids)
        for uid in uids:
            data = _fetch(imap, uid)
            if carries_workbook(data):
                path = inbox / f"thu_{uidvalidity}_{uid}.eml"
                write_atomic(path, data)
                result.saved.append(path)
                report(f"Đã lưu {path.name}: {_subject(data)}")
                if mark_seen:
                    imap.uid("STORE", str(uid), "+FLAGS.SILENT", "(\\Seen)")
            else:
                result.without_workbook.append(_subject(data))
                report(f"Bỏ qua (thư không có biểu đính kèm): {_subject(data)}")
            state[settings.mailbox] = {"uidvalidity": uidvalidity, "last_uid": uid}
            _save_state(inbox, state)  # after each message: an interrupted fetch resumes where it stopped
        if not uids:
            state.setdefault(settings.mailbox, {"uidvalidity": uidvalidity, "last_uid": last_uid})
            _save_state(inbox, state)
    return result


@contextmanager
def _dropped(settings: ImapSettings) -> Iterator[None]:
    """A connection lost in the middle of a fetch: what was saved stays saved and remembered."""
    try:
        yield
    except (imaplib.IMAP4.abort, OSError) as exc:
        raise MailboxUnreachable(
            f"Kết nối với máy chủ thư {settings.host}:{settings.port} bị ngắt ({type(exc).__name__}). "
            "Các thư đã lưu được giữ nguyên; chạy lại để lấy tiếp."
        ) from None


def _connect(settings: ImapSettings) -> imaplib.IMAP4:
    where = f"{settings.host}:{settings.port}"
    context = ssl.create_default_context(cafile=settings.cafile or None)  # verifies the certificate
    try:
        if settings.security == "ssl":
            imap: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                settings.host, settings.port, ssl_context=context, timeout=30
            )
        else:
            imap = imaplib.IMAP4(settings.host, settings.port, timeout=30)
            if settings.security == "starttls":
                imap.starttls(context)
    except ssl.SSLCertVerificationError as exc:
        raise MailboxUnreachable(
            f"Không xác minh được chứng chỉ TLS của máy chủ thư {where} ({exc.verify_message}). "
            "Nếu cơ quan dùng chứng chỉ riêng, chỉ tệp chứng chỉ bằng 'cafile' trong tệp cấu hình "
            "hoặc biến INDICATOR_KIT_IMAP_CAFILE; không tắt kiểm tra TLS."
        ) from None
    except ssl.SSLError as exc:
        raise MailboxUnreachable(
            f"Không thiết lập được kết nối TLS với máy chủ thư {where} ({exc.reason or exc}). "
            "Kiểm tra cổng và kiểu bảo mật: ssl dùng cổng 993, starttls dùng cổng 143."
        ) from None
    except imaplib.IMAP4.error as exc:
        raise MailboxUnreachable(
            f"Máy chủ thư {where} không nhận kết nối an toàn (STARTTLS): {exc}"
        ) from None
    except (TimeoutError, socket.gaierror, OSError) as exc:
        reason = exc.strerror or type(exc).__name__
        raise MailboxUnreachable(
            f"Không kết nối được máy chủ thư {where} ({reason}). Kiểm tra tên máy chủ, cổng và mạng."
        ) from None
    try:
        _login(imap, settings)
    except imaplib.IMAP4.error:
        imap.shutdown()
        raise MailboxError(
            f"Máy chủ thư {where} từ chối đăng nhập của {settings.user}: sai tên đăng nhập hoặc mật "
            "khẩu. Kiểm tra INDICATOR_KIT_IMAP_USER và mật khẩu (INDICATOR_KIT_IMAP_PASSWORD)."
        ) from None
    return imap


def _login(imap: imaplib.IMAP4, settings: ImapSettings) -> None:
    """SASL PLAIN carries a password in UTF-8 (LOGIN is ASCII only); LOGIN when PLAIN is not offered."""
    if "AUTH=PLAIN" in imap.capabilities:
        credentials = f"\0{settings.user}\0{settings.password}".encode()
        imap.authenticate("PLAIN", lambda _: credentials)
    else:
        imap.login(settings.user, settings.password)


def _select(imap: imaplib.IMAP4, settings: ImapSettings, readonly: bool) -> int:
    status, _ = imap.select(_quote(settings.folder), readonly=readonly)  # EXAMINE when read-only
    if status != "OK":
        raise MailboxError(f"Không có thư mục '{settings.folder}' trong hộp thư {settings.user}.")
    _, values = imap.response("UIDVALIDITY")
    if not values or values[0] is None:
        raise MailboxUnreachable(
            "Máy chủ thư không cho biết UIDVALIDITY của thư mục; không thể nhớ thư đã lấy."
        )
    return int(values[0])


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _search(imap: imaplib.IMAP4, criteria: str) -> list[int]:
    status, data = imap.uid("SEARCH", None, criteria)
    if status != "OK":
        raise MailboxUnreachable(f"Máy chủ thư không trả lời lệnh tìm thư ({status}).")
    return sorted(int(uid) for uid in b" ".join(d for d in data if d).split())


def _fetch(imap: imaplib.IMAP4, uid: int) -> bytes:
    status, data = imap.uid("FETCH", str(uid), "(BODY.PEEK[])")  # PEEK: the \\Seen flag is not set
    for item in data:
        if isinstance(item, tuple) and len(item) == 2:
            return bytes(item[1])
    raise MailboxUnreachable(f"Máy chủ thư không trả về nội dung thư số {uid} ({status}).")


_SUBJECT = re.compile(rb"^Subject:[ \t]*(.*(?:\r?\n[ \t].*)*)", re.IGNORECASE | re.MULTILINE)


def _subject(data: bytes) -> str:
    from email.header import decode_header, make_header

    match = _SUBJECT.search(data.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0])
    if not match:
        return "(không có tiêu đề)"
    raw = re.sub(r"\r?\n[ \t]", " ", match.group(1).decode("ascii", "replace")).strip()
    try:
        return str(make_header(decode_header(raw))) or "(không có tiêu đề)"
    except (ValueError, LookupError):
        return raw


def _load_state(inbox: Path) -> dict[str, dict[str, int]]:
    path = inbox / FETCH_STATE
    if not path.exists():
        return {}
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise MailboxError(
            f"Tệp ghi nhớ thư đã lấy {path} bị hỏng. Xóa tệp này để lấy lại toàn bộ thư "
            "(các biểu đã có trong sổ sẽ không bị tính hai lần)."
        ) from None
    return loaded if isinstance(loaded, dict) else {}


def _save_state(inbox: Path, state: dict[str, dict[str, int]]) -> None:
    write_atomic(inbox / FETCH_STATE, json.dumps(state, indent=1, sort_keys=True).encode("utf-8"))
