"""`mail fetch` against a real IMAP server: a Dovecot instance of the test's own on 127.0.0.1
(its config, passwd-file user and self-signed certificate in tmp_path), messages appended by
the test over IMAP."""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from indicator_kit.cli import main
from indicator_kit.collect.run import collect_inbox
from indicator_kit.mail.fetch import FETCH_STATE
from indicator_kit.mail.sample_mail import eml, tnef, zipped

DOVECOT = shutil.which("dovecot") or ("/usr/sbin/dovecot" if os.path.exists("/usr/sbin/dovecot") else None)
OPENSSL = shutil.which("openssl")
pytestmark = pytest.mark.skipif(
    DOVECOT is None or OPENSSL is None, reason="Dovecot (dovecot-imapd) or openssl not installed"
)
USER, PASSWORD = "vanthu", "mật-khẩu-thử"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    imaps: int
    imap: int
    cafile: Path

    def client(self) -> imaplib.IMAP4_SSL:
        imap = imaplib.IMAP4_SSL(
            "127.0.0.1",
            self.imaps,
            ssl_context=ssl.create_default_context(cafile=str(self.cafile)),
            timeout=10,
        )
        imap.authenticate("PLAIN", lambda _: f"\0{USER}\0{PASSWORD}".encode())
        return imap

    def append(self, message: bytes) -> None:
        with self.client() as imap:
            status, _ = imap.append("INBOX", None, None, message)
            assert status == "OK"

    def flags(self) -> list[bytes]:
        with self.client() as imap:
            imap.select("INBOX", readonly=True)
            _, data = imap.uid("FETCH", "1:*", "(FLAGS)")
            return [d for d in data if d]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """An unprivileged Dovecot: as root, its login and internal processes run as Debian's
    dovenull/dovecot users and the mailbox belongs to `dovecot` (Dovecot never serves mail as
    root), so the maildir lives in a temporary folder that user can reach; otherwise everything
    runs as the current user inside tmp_path."""
    as_root = os.geteuid() == 0
    # As root, Dovecot's unprivileged processes cannot enter pytest's private tmp_path: the
    # instance then lives in a folder of the system's temp directory, removed afterwards.
    root = Path(tempfile.mkdtemp(prefix="ik-imap-")) if as_root else tmp_path / "dovecot"
    root.mkdir(exist_ok=True)
    os.chmod(root, 0o755)
    subprocess.run(
        [OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(root / "key.pem"),
         "-out", str(root / "cert.pem"), "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    home = root / "home"
    home.mkdir()
    if as_root:
        try:
            mail_user = pwd.getpwnam("dovecot")
            pwd.getpwnam("dovenull")
        except KeyError:
            pytest.skip("Debian's dovecot and dovenull users are missing (dovecot-core not configured)")
        os.chown(home, mail_user.pw_uid, mail_user.pw_gid)
        uid, gid = mail_user.pw_uid, mail_user.pw_gid
        internal, login = "dovecot", "dovenull"
    else:
        uid, gid = os.getuid(), os.getgid()
        internal = login = pwd.getpwuid(uid).pw_name
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}:{uid}:{gid}::{home}::\n", encoding="utf-8")
    imaps, imap = _free_port(), _free_port()
    auth_as_root = "service auth {\n  user = root\n}" if as_root else ""  # reads the passwd-file in tmp_path
    (root / "dovecot.conf").write_text(
        f"""protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
default_internal_user = {internal}
default_login_user = {login}
first_valid_uid = 1
ssl = yes
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {root}/passwd
}}
userdb {{
  driver = passwd-file
  args = {root}/passwd
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
{auth_as_root}
""",
        encoding="utf-8",
    )
    # the daemon keeps any inherited pipe open: its output goes to its log, not to us
    started = subprocess.run(
        [DOVECOT, "-c", str(root / "dovecot.conf")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    assert started.returncode == 0, (root / "dovecot.log").read_text(errors="replace")
    server = Server(imaps, imap, root / "cert.pem")
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with server.client():
                    break
            except (OSError, imaplib.IMAP4.error):
                if time.monotonic() > deadline:
                    raise AssertionError((root / "dovecot.log").read_text(errors="replace")) from None
                time.sleep(0.2)
        yield server
    finally:
        subprocess.run(
            [DOVECOT, "-c", str(root / "dovecot.conf"), "stop"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        if as_root:
            shutil.rmtree(root, ignore_errors=True)


def settings_env(server: Server, **overrides: str) -> dict[str, str]:
    env = {
        "INDICATOR_KIT_IMAP_HOST": "127.0.0.1",
        "INDICATOR_KIT_IMAP_PORT": str(server.imaps),
        "INDICATOR_KIT_IMAP_USER": USER,
        "INDICATOR_KIT_IMAP_CAFILE": str(server.cafile),
        "INDICATOR_KIT_IMAP_PASSWORD": PASSWORD,
    }
    return env | overrides


def fetch(inbox: Path, env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["mail", "fetch", str(inbox), *args], env=env, catch_exceptions=False)
    return result.exit_code, result.output


SENT = datetime(2024, 5, 2, 9, 0, tzinfo=UTC)


def test_fetch_once_rerun_fetches_nothing_and_the_server_is_untouched(
    server: Server, tmp_path: Path, spec: object
) -> None:
    from indicator_kit.catalog.loader import load_spec
    from indicator_kit.generate import generate, template_file_name
    from indicator_kit.plan import compile_plan
    from indicator_kit.sample import consistent_values
    from indicator_kit.simulate import fill_return
    from tests.conftest import SPEC_DIR  # a real workbook: collect must find it in the fetched mail

    loaded = load_spec(SPEC_DIR)
    generate(compile_plan(loaded), tmp_path / "t", ["so_y_te"])
    workbook = fill_return(
        loaded, tmp_path / "t" / template_file_name("so_y_te"), tmp_path / "r.xlsx",
        consistent_values(loaded), "so_y_te",
    ).read_bytes()  # fmt: skip
    server.append(bytes(eml("soyte@example.invalid", "Báo cáo PL2 Sở Y tế", SENT, [("PL2.xlsx", workbook)])))
    server.append(bytes(eml("ai.do@example.invalid", "Lời mời họp", SENT)))  # no spreadsheet
    server.append(
        bytes(eml("x@example.invalid", "Nén", SENT, [("bieu.zip", zipped([("PL2.xlsx", workbook)]))]))
    )
    server.append(
        bytes(eml("y@example.invalid", "RTF", SENT, [("winmail.dat", tnef([("PL2.xlsx", workbook)]))]))
    )
    inbox = tmp_path / "inbox"
    env = settings_env(server)
    code, output = fetch(inbox, env)
    assert code == 0, output
    saved = sorted(p.name for p in inbox.glob("*.eml"))
    assert len(saved) == 3, output
    assert "Bỏ qua (thư không có biểu đính kèm): Lời mời họp" in output
    assert "Có 4 thư mới; đã lưu 3 thư có biểu" in output
    assert (inbox / FETCH_STATE).exists()
    found = [s for s in collect_inbox(inbox, compile_plan(loaded)) if s.agency == "so_y_te"]
    assert len(found) == 3 and all(s.verified for s in found)
    # nothing changed on the server: still unread
    assert all(b"\\Seen" not in f for f in server.flags())
    # a rerun fetches nothing; a new message is fetched alone
    code, output = fetch(inbox, env)
    assert code == 0 and "Có 0 thư mới; đã lưu 0 thư" in output, output
    server.append(bytes(eml("soyte@example.invalid", "Gửi lại", SENT, [("PL2 sửa.xlsx", workbook)])))
    code, output = fetch(inbox, env, "--mark-seen")
    assert code == 0 and "Có 1 thư mới; đã lưu 1 thư" in output, output
    assert len(list(inbox.glob("*.eml"))) == 4
    flags = server.flags()
    assert b"\\Seen" in flags[-1] and all(b"\\Seen" not in f for f in flags[:-1])  # only when asked


def test_starttls_on_the_plain_port(server: Server, tmp_path: Path) -> None:
    server.append(bytes(eml("a@example.invalid", "x", SENT, [("a.xlsx", b"PK\x03\x04 not really")])))
    env = settings_env(
        server, INDICATOR_KIT_IMAP_SECURITY="starttls", INDICATOR_KIT_IMAP_PORT=str(server.imap)
    )
    code, output = fetch(tmp_path / "inbox", env)
    assert code == 0 and "đã lưu 1 thư" in output, output


def test_untrusted_certificate_gives_a_clear_message(server: Server, tmp_path: Path) -> None:
    env = settings_env(server)
    del env["INDICATOR_KIT_IMAP_CAFILE"]  # the self-signed certificate is not trusted by the system
    code, output = fetch(tmp_path / "inbox", env)
    assert code == 3
    assert "Không xác minh được chứng chỉ TLS của máy chủ thư 127.0.0.1" in output
    assert "Traceback" not in output and not (tmp_path / "inbox" / FETCH_STATE).exists()


def test_tls_to_a_plain_port_gives_a_clear_message(server: Server, tmp_path: Path) -> None:
    code, output = fetch(tmp_path / "inbox", settings_env(server, INDICATOR_KIT_IMAP_PORT=str(server.imap)))
    assert code == 3 and "Không thiết lập được kết nối TLS" in output and "cổng" in output, output


def test_wrong_password_gives_a_clear_message(server: Server, tmp_path: Path) -> None:
    code, output = fetch(tmp_path / "inbox", settings_env(server, INDICATOR_KIT_IMAP_PASSWORD="sai"))
    assert code == 2
    assert f"từ chối đăng nhập của {USER}: sai tên đăng nhập hoặc mật khẩu" in output
    assert "Traceback" not in output


def test_password_is_never_read_from_the_config_file(tmp_path: Path) -> None:
    config = tmp_path / "imap.yaml"
    config.write_text("imap:\n  host: 127.0.0.1\n  user: vanthu\n  password: lộ\n", encoding="utf-8")
    result = CliRunner().invoke(
        main, ["mail", "fetch", str(tmp_path / "inbox"), "--config", str(config)], catch_exceptions=False,
        env={"INDICATOR_KIT_IMAP_PASSWORD": "x"},
    )  # fmt: skip
    assert result.exit_code == 2 and "không được chứa mật khẩu" in result.output
