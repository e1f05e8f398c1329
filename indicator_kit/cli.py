"""The `indicator-kit` command: a thin click layer over the library.

Library code raises `IndicatorKitError`; this module is the only place that prints, and it
turns those errors into Vietnamese messages with the exit code their class carries
(`errors.ExitCode`) — never a traceback. An unexpected exception is a crash: a short Vietnamese
message, the traceback in a crash report file, and its own exit code (never 1 = findings).
"""

from __future__ import annotations

import functools
import gc
import os
import sqlite3
import sys
import tempfile
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from indicator_kit import __version__, cli_messages, ledger, secret
from indicator_kit.catalog.loader import load_spec
from indicator_kit.catalog.spec import Spec
from indicator_kit.collect.limits import Arrival, Limits
from indicator_kit.collect.model import Submission
from indicator_kit.collect.report import findings_json
from indicator_kit.dates import campaign_date
from indicator_kit.errors import ExitCode, IndicatorKitError, UnknownAgencyError
from indicator_kit.faults import os_fault
from indicator_kit.findings import Severity
from indicator_kit.generate import MANIFEST, generate, resolve_agencies
from indicator_kit.kept import load_spec_kept
from indicator_kit.pipeline import (
    Returns,
    ReturnsOptions,
    campaign_status,
    collect_campaign,
    exclusive,
    merge_campaign,
    remind_campaign,
)
from indicator_kit.plan import Plan, compile_plan
from indicator_kit.verdict import State, Verdicts
from indicator_kit.workspace import WORKSPACE_ENV, Workspace, init_workspace, open_workspace

if TYPE_CHECKING:
    from indicator_kit.mail.outbox import Outgoing

cli_messages.install()  # before the commands are declared: click translates some texts then

# The mail and status-page modules (jinja2, email, smtplib) are imported by the commands that
# use them: every other command, collect above all, starts ~40 ms sooner without them.

EXIT_OK, EXIT_FINDINGS = ExitCode.OK, ExitCode.FINDINGS
WORKSPACE_META = "indicator_kit.workspace"  # click context meta: the --workspace folder, or None
F = TypeVar("F", bound=Callable[..., Any])

KIND_NAMES = {"section": "mục", "group": "nhóm", "input": "nhập liệu"}
VALUE_TYPE_NAMES = {
    "amount": "số tuyệt đối",
    "count": "số đếm",
    "share": "tỷ lệ (0–100)",
    "growth": "tăng trưởng",
    "rate": "tỷ lệ khác",
    "index": "chỉ số/điểm",
    "ratio": "hệ số",
}


def reports_errors(func: F) -> F:
    """Turn library errors into a Vietnamese message on stderr and the exit code of their class;
    anything else is a crash (`report_crash`)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            try:
                return func(*args, **kwargs)
            except BrokenPipeError:  # the reader of our output went away: not a fault of the machine
                raise
            except OSError as exc:  # the machine refused something no library call translated
                raise os_fault(exc) from exc
            except sqlite3.Error as exc:
                raise ledger.sqlite_fault(exc, Path(ledger.LEDGER)) from exc
        except IndicatorKitError as exc:
            click.secho("Lỗi:", fg="red", bold=True, err=True)
            click.echo(str(exc), err=True)
            echo_notes(exc)
            sys.exit(exc.exit_code)
        except (BrokenPipeError, click.exceptions.Exit, click.ClickException, click.exceptions.Abort):
            raise
        except Exception as exc:
            report_crash(exc)

    return wrapper  # type: ignore[return-value]


def report_crash(exc: BaseException) -> None:
    """A bug, not a finding: say so in Vietnamese, keep the traceback in a file for the developers,
    and exit with the crash code so a script never mistakes it for "findings present"."""
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", prefix="indicator-kit-crash-", suffix=".txt", delete=False
    ) as report:
        report.write("".join(traceback.format_exception(exc)))
    click.secho("Lỗi không mong đợi:", fg="red", bold=True, err=True)
    click.echo(
        f"indicator-kit gặp lỗi nội bộ ({type(exc).__name__}) và đã dừng; kết quả cũ được giữ nguyên. "
        f"Chi tiết kỹ thuật đã ghi vào {report.name} — hãy gửi tệp này cho người phụ trách kỹ thuật.",
        err=True,
    )
    echo_notes(exc)
    sys.exit(ExitCode.CRASH)


def echo_notes(exc: BaseException) -> None:
    """What the library added to an error on its way out (e.g. which outputs a run did not write)."""
    for note in getattr(exc, "__notes__", ()):
        click.echo(note, err=True)


MASTER_STATUS_NAMES = {
    "reported": "đã báo cáo",
    "no-data": "không có số liệu",
    "co-agency": "từ đơn vị phối hợp",
    "rejected": "bị loại",
    "missing": "chưa có",
    "computed": "tính toán từ các năm",
}

as_of_option = click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d", "%d/%m/%Y"]),
    default=None,
    metavar="NGÀY",
    help="Tính đến ngày này (mặc định: hôm nay): tệp đến sau ngày đó không được tính. "
    "Ví dụ 2024-05-07 hoặc 07/05/2024.",
)
arrival_option = click.option(
    "--arrival",
    type=click.Choice([a.value for a in Arrival]),
    default=Arrival.INBOX.value,
    show_default=True,
    help="Ngày nộp của một tệp: inbox — lúc tệp vào thư mục nhận; mail-date — ngày gửi (tiêu đề "
    "Date) của thư chứa tệp. Chỉ áp dụng cho tệp chưa có trong sổ ghi nhận.",
)
accept_option = click.option(
    "--accept",
    "accepted",
    multiple=True,
    metavar="TỆP",
    help="Nhận tệp này dù mã nhận dạng của biểu không xác minh được (đường dẫn trong thư mục nhận, "
    "tên tệp hoặc mã SHA-256); lặp lại cho nhiều tệp. Ví dụ: --accept PL2_so_y_te.xlsx",
)


def folder_option(flag: str, dest: str, help_text: str) -> Callable[[F], F]:
    """An output-folder option (created when written to); its default lies in the workspace."""
    return click.option(flag, dest, type=click.Path(file_okay=False, path_type=Path), help=help_text)


master_out_option = folder_option(
    "--master-out",
    "master_out",
    "Thư mục ghi bảng tổng hợp (mặc định: thư mục của --out, không có --out thì ket_qua/master).",
)

spec_dir_option = click.option(
    "--spec-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Thư mục danh mục (phu_luc_2.yaml, agencies.yaml, campaign.yaml, checks.yaml…); "
    "mặc định: workbook_specs/ của thư mục làm việc.",
)

agency_option = click.option(
    "--agency",
    "slugs",
    multiple=True,
    metavar="MÃ",
    help="Chỉ đơn vị này (mã trong agencies.yaml, ví dụ so_y_te); lặp lại để chọn nhiều đơn vị.",
)

inbox_argument = click.argument(
    "inbox",
    required=False,
    metavar="[THƯ MỤC NHẬN]",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
)


def reading_options(command: F) -> F:
    """The options of every command that reads returns (collect, merge, status, mail reminders),
    given in one place so that the commands cannot drift apart."""
    for option in reversed((as_of_option, accept_option, arrival_option, spec_dir_option)):
        command = option(command)
    return command


def returns_options(
    ws: Workspace,
    accepted: tuple[str, ...],
    as_of: datetime | None,
    arrival: str,
    on_file: Callable[[Submission], None] | None = None,
) -> ReturnsOptions:
    """How every command that reads returns reads them: in the workspace's state, with the files
    the officer accepted, as of the day given."""
    day = as_of.date() if as_of else None
    return ReturnsOptions(ws.state_dir, frozenset(accepted), ws.key_file, day, on_file, Arrival(arrival))


@contextmanager
def reading_progress(inbox: Path, show: bool) -> Iterator[Callable[[Submission], None] | None]:
    """A progress bar over the files of `inbox` while a person watches (`progress.wanted`)."""
    from indicator_kit.collect.inbox import inbox_files
    from indicator_kit.progress import progress_bar, wanted

    show = show and wanted()
    total = sum(1 for _ in inbox_files(inbox)) if show else 0
    with progress_bar(total, "Đọc tệp", show) as advance:
        yield (lambda sub: advance(bool(sub.errors))) if show else None


def current_workspace() -> Workspace:
    """The workspace of this command: --workspace / INDICATOR_KIT_WORKSPACE, else found upward
    from the current folder (NoWorkspaceError with the way out)."""
    meta = click.get_current_context().meta
    if not isinstance(meta.get(WORKSPACE_META), Workspace):
        meta[WORKSPACE_META] = open_workspace(meta.get(WORKSPACE_META))
    return meta[WORKSPACE_META]


def signing_with(ws: Workspace) -> None:
    """Sign and verify with the workspace's key for the rest of the command; stops with
    MissingKeyError (and the way out) when there is none — only init and generate create it."""
    click.get_current_context().with_resource(secret.using(ws.key()))


class Command(click.Command):
    def __init__(self, *args: Any, options_metavar: str | None = "[TÙY CHỌN]", **kwargs: Any) -> None:
        super().__init__(*args, options_metavar=options_metavar, **kwargs)


class OutputClosed(Exception):
    """The reader of stdout or stderr went away (`indicator-kit status | head -1`). Raised in place
    of the BrokenPipeError, which click's own main would otherwise end with exit 1 ("findings")."""


def output_closed() -> None:
    """End quietly, as Python's "Note on SIGPIPE" (signal module docs) does: the streams point at
    os.devnull, so the interpreter's last flush finds nobody gone and prints nothing."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    for stream in (sys.stdout, sys.stderr):
        with suppress(OSError, ValueError):  # a stream without a file descriptor (tests) has no flush to fail
            os.dup2(devnull, stream.fileno())
    os.close(devnull)
    sys.exit(ExitCode.OUTPUT_CLOSED)


class IndicatorKit(click.Group):
    """The command group, which turns every way a command can end into its exit code — the same
    for the console entry point and for tests that invoke it (`CliRunner().invoke(main, …)`).
    A closed output (`| head`) ends quietly with its own exit code, wherever it is noticed: in a
    command, in click's help, or in a message about how the command ended."""

    command_class = Command
    group_class = type  # subgroups are of this class too

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("options_metavar", "[TÙY CHỌN]")
        kwargs.setdefault("subcommand_metavar", "LỆNH [THAM SỐ]...")
        super().__init__(*args, **kwargs)

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:  # --help and --version print while the arguments are parsed
            return super().make_context(*args, **kwargs)
        except BrokenPipeError as exc:
            raise OutputClosed from exc

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError as exc:
            raise OutputClosed from exc

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            self.run_to_exit(*args, **kwargs)
        except (OutputClosed, BrokenPipeError):
            output_closed()

    def run_to_exit(self, *args: Any, **kwargs: Any) -> None:
        """Run the command and exit with the code of how it ended."""
        try:
            super().main(*args, standalone_mode=False, **kwargs)
        except click.exceptions.Abort:  # Ctrl+C, or end of input at a prompt
            click.echo(cli_messages.VIETNAMESE["Aborted!"], err=True)
            sys.exit(ExitCode.USAGE)
        except click.exceptions.NoArgsIsHelpError as exc:  # a bare `indicator-kit`: help, not an error
            click.echo(exc.ctx.get_help())
            sys.exit(ExitCode.OK)
        except click.ClickException as exc:  # usage errors, in Vietnamese (cli_messages)
            exc.show()
            sys.exit(ExitCode.USAGE)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except OutputClosed:
            raise
        except Exception as exc:
            report_crash(exc)
        sys.exit(ExitCode.OK)


@click.group(cls=IndicatorKit, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="indicator-kit")
@click.option(
    "--workspace",
    "workspace_dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar=WORKSPACE_ENV,
    help="Thư mục làm việc của đợt thu thập (do indicator-kit init tạo); mặc định: thư mục làm việc "
    f"chứa thư mục hiện tại. Cũng đặt được bằng biến môi trường {WORKSPACE_ENV}.",
)
@click.pass_context
def main(ctx: click.Context, workspace_dir: Path | None) -> None:
    """indicator-kit — thu thập chỉ tiêu Phụ lục 2 từ các sở, ngành bằng biểu mẫu Excel.

    Bắt đầu bằng indicator-kit init <thư mục>, rồi chạy các lệnh khác trong thư mục đó: generate
    (tạo biểu mẫu), mail drafts (thư gửi đơn vị), collect (kiểm tra biểu nộp về), status (tình hình
    nộp). Xem hướng dẫn của một lệnh bằng --help, ví dụ: indicator-kit collect --help
    """
    ctx.meta[WORKSPACE_META] = workspace_dir


@main.command("init")
@click.argument(
    "folder",
    required=False,
    default=".",
    metavar="[THƯ MỤC]",
    type=click.Path(file_okay=False, path_type=Path),
)
@reports_errors
def init_command(folder: Path) -> None:
    """Tạo thư mục làm việc cho một đợt thu thập.

    THƯ MỤC mặc định là thư mục hiện tại. Thư mục làm việc có bản sao sửa được của danh mục Phụ lục
    2 (workbook_specs/), thư mục nhận hop_thu/, thư mục kết quả ket_qua/, khóa ký biểu mẫu của Sở và
    HUONG_DAN.md; không bao giờ ghi đè tệp đã có. Ví dụ: indicator-kit init D:\\ThuThap_PL2"""
    created = init_workspace(folder)
    ws = created.workspace
    key = "khóa ký biểu mẫu của Sở (mới tạo)" if created.key_created else f"dùng khóa có sẵn {ws.key_file}"
    click.echo(f"Đã tạo thư mục làm việc: {ws.root}")
    for name, what in [
        (ws.spec_dir.name + "/", "danh mục chỉ tiêu, đơn vị, đợt thu thập, quy tắc kiểm tra, thư (sửa được)"),
        (ws.inbox.name + "/", "chép vào đây các tệp đơn vị gửi về"),
        (ws.outputs.name + "/", "kết quả của các lệnh (biểu mẫu, thư, kiểm tra, bảng tổng hợp)"),
        (ws.state_dir.name + "/", f"{key} và sổ lưu vết — không xóa"),
        ("HUONG_DAN.md", "các bước tiếp theo"),
    ]:
        click.echo(f"  {name:<17} {what}")
    click.echo(
        f'Bước tiếp theo (xem {ws.root / "HUONG_DAN.md"}): cd "{ws.root}", điền email các đơn vị vào '
        f"{ws.spec_dir.name}/agencies.yaml, rồi chạy indicator-kit generate."
    )


@main.group()
def spec() -> None:
    """Kiểm tra và xem danh mục chỉ tiêu (workbook_specs/)."""


@spec.command("check")
@spec_dir_option
@reports_errors
def spec_check(spec_dir: Path | None) -> None:
    """Kiểm tra mọi tệp danh mục và in tóm tắt.

    Tóm tắt gồm số dòng theo loại, số quy tắc kiểm tra, số chỉ tiêu của từng đơn vị và các điều
    chỉnh so với bản in."""
    spec_dir = spec_dir or current_workspace().spec_dir
    loaded = load_spec(spec_dir)
    click.echo(f"Danh mục hợp lệ: {spec_dir}  (mã phiên bản {loaded.spec_hash})")
    kinds = Counter(r.kind.value for r in loaded.rows)
    with_children = {r.parent for r in loaded.rows}
    both = sum(1 for r in loaded.input_rows if r.key in with_children)
    click.echo(
        f"Số dòng: {len(loaded.rows)} — "
        + ", ".join(f"{KIND_NAMES[k]}: {n}" for k, n in sorted(kinds.items()))
        + f" (trong đó {both} dòng vừa là nhóm vừa nhập liệu)"
    )
    click.echo(f"Quy tắc kiểm tra: {len(loaded.rules)}")
    click.echo("\nSố chỉ tiêu nhập liệu theo đơn vị (chủ trì + phối hợp):")
    for agency in loaded.agencies:
        rows = loaded.rows_for(agency.slug)
        lead = sum(1 for r in rows if r.lead == agency.slug)
        click.echo(f"  {agency.slug:<28} {len(rows):>4}  (chủ trì {lead:>3})  {agency.short_name}")
    notes = [r for r in loaded.rows if r.source_note]
    click.echo(f"\nĐiều chỉnh so với bản in ({len(notes)}):")
    for row in notes:
        click.echo(f"  [{row.seed_line}] {row.tt or '·'} {row.label}: {row.source_note}")


@spec.command("show")
@click.option(
    "--agency", "slug", required=True, metavar="MÃ", help="Mã đơn vị trong agencies.yaml, ví dụ so_tai_chinh."
)
@spec_dir_option
@reports_errors
def spec_show(slug: str, spec_dir: Path | None) -> None:
    """Liệt kê các chỉ tiêu một đơn vị báo cáo, chủ trì hay phối hợp.

    Ví dụ: indicator-kit spec show --agency so_tai_chinh"""
    loaded = load_spec(spec_dir or current_workspace().spec_dir)
    agency = require_agency(loaded, slug)
    rows = loaded.rows_for(slug)
    click.echo(f"{agency.name} — {len(rows)} chỉ tiêu nhập liệu")
    shown: set[str] = set()
    for row in rows:
        for ancestor in reversed(loaded.ancestors(row.key)):
            if ancestor.key not in shown:
                shown.add(ancestor.key)
                click.echo(f"  {ancestor.tt:<5} {ancestor.label}")
        shown.add(row.key)
        role = (
            "chủ trì"
            if row.lead == slug
            else f"phối hợp (chủ trì: {loaded.agency_by_slug[row.lead].short_name})"
        )
        click.echo(f"  {row.tt:<5}   • {row.label} [{row.unit}] — {role}")


@main.command("generate")
@agency_option
@folder_option("--out", "out_dir", "Thư mục ghi biểu mẫu (mặc định: ket_qua/templates).")
@spec_dir_option
@reports_errors
def generate_command(slugs: tuple[str, ...], out_dir: Path | None, spec_dir: Path | None) -> None:
    """Tạo biểu mẫu khóa cho từng đơn vị.

    Các biểu PL2_<mã đơn vị>.xlsx và manifest.json ghi vào ket_qua/templates/. Ví dụ chỉ tạo cho hai đơn vị:
    indicator-kit generate --agency so_y_te --agency cuc_thong_ke"""
    ws = current_workspace()
    out_dir = out_dir or ws.templates_dir
    loaded = load_spec(spec_dir or ws.spec_dir)
    if secret.create(ws.key_file):
        click.echo(f"Đã tạo khóa ký biểu mẫu mới của Sở: {ws.key_file} (giữ nguyên suốt đợt thu thập).")
    signing_with(ws)
    from indicator_kit.progress import progress_bar, wanted

    with progress_bar(len(resolve_agencies(loaded, slugs)), "Tạo biểu mẫu", wanted()) as advance:
        written = generate(compile_plan(loaded), out_dir, slugs, lambda _: advance(False))
    for t in written:
        click.echo(f"  {t.file:<40} {t.rows:>4} dòng, {t.input_cells:>5} ô nhập, {t.checks:>4} kiểm tra")
    click.echo(f"Đã tạo {len(written)} biểu mẫu trong {out_dir} (kèm {MANIFEST}).")


@main.command("collect")
@inbox_argument
@folder_option(
    "--out",
    "out_dir",
    "Thư mục ghi kết quả kiểm tra (mặc định: ket_qua/collect); bảng tổng hợp cũng ghi vào đó, "
    "trừ khi có --master-out.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: in cho người đọc; json: in các lỗi, cảnh báo dạng JSON cho script.",
)
@master_out_option
@reading_options
@reports_errors
def collect_command(
    inbox: Path | None,
    out_dir: Path | None,
    output_format: str,
    master_out: Path | None,
    as_of: datetime | None,
    accepted: tuple[str, ...],
    arrival: str,
    spec_dir: Path | None,
) -> None:
    """Đọc và kiểm tra các biểu nộp về.

    Đọc mọi tệp trong THƯ MỤC NHẬN (mặc định: hop_thu/, cả thư mục con). Kết quả kiểm tra ghi vào
    ket_qua/collect/ (findings.xlsx, biểu phản hồi cho đơn vị cần sửa); bảng tổng hợp được dựng như
    lệnh merge. Mã thoát: 0 khi không có đơn vị phải sửa, 1 khi có lỗi hoặc có đơn vị cần sửa."""
    ws, inbox, spec_dir, plan = reading_returns(inbox, spec_dir)
    master_out = master_out or out_dir or ws.master_dir
    out_dir = out_dir or ws.collect_dir
    with reading_progress(inbox, output_format == "text") as on_file:
        options = returns_options(ws, accepted, as_of, arrival, on_file)
        result = collect_campaign(plan, inbox, options, out_dir, master_out)
    run = result.returns
    print_upkeep(run, accepted)
    submissions = run.submissions
    if output_format == "json":
        click.echo(findings_json(run.findings).decode("utf-8"), nl=False)
    else:
        print_collect_summary(plan.spec, run, out_dir, result.feedback)
        click.echo(f"Bảng tổng hợp: {result.master.xlsx} (dạng dài: {result.master.csv})")
    needs_fix = any(s.errors for s in submissions) or run.verdicts.count(State.NEEDS_FIX)
    sys.exit(EXIT_FINDINGS if needs_fix else EXIT_OK)


@main.command("merge")
@inbox_argument
@folder_option("--out", "master_out", "Thư mục ghi bảng tổng hợp (mặc định: ket_qua/master).")
@reading_options
@reports_errors
def merge_command(
    inbox: Path | None,
    master_out: Path | None,
    as_of: datetime | None,
    accepted: tuple[str, ...],
    arrival: str,
    spec_dir: Path | None,
) -> None:
    """Tổng hợp bảng Phụ lục 2 chung, ghi rõ nguồn của từng số.

    Đọc các biểu trong THƯ MỤC NHẬN (mặc định: hop_thu/) và ghi PL2_tong_hop.xlsx, master_long.csv
    vào ket_qua/master/."""
    ws, inbox, spec_dir, plan = reading_returns(inbox, spec_dir)
    master_out = master_out or ws.master_dir
    with reading_progress(inbox, True) as on_file:
        result = merge_campaign(
            plan, inbox, returns_options(ws, accepted, as_of, arrival, on_file), master_out
        )
    print_upkeep(result.returns, accepted)
    print_run_notes(result.returns)
    master = result.returns.master
    counts = Counter(cell.status.value for cell in master.cells.values())
    click.echo(f"Bảng tổng hợp: {result.master.xlsx}")
    click.echo(f"Dạng dài (CSV): {result.master.csv}")
    click.echo("Số ô: " + ", ".join(f"{MASTER_STATUS_NAMES[k]} {v}" for k, v in sorted(counts.items())))
    click.echo(
        f"Chênh lệch giữa các đơn vị: {len(master.disagreements)}; giá trị thay đổi khi nộp lại: "
        f"{len(master.changes)}"
    )


@main.command("status")
@inbox_argument
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Nơi ghi trang tình hình nộp (mặc định: ket_qua/status.html).",
)
@reading_options
@reports_errors
def status_command(
    inbox: Path | None,
    html_path: Path | None,
    as_of: datetime | None,
    accepted: tuple[str, ...],
    arrival: str,
    spec_dir: Path | None,
) -> None:
    """Ai đã nộp, ai còn thiếu, ai cần sửa.

    In bảng từng đơn vị (tình trạng, thời hạn, số ô đã nhập, số lỗi, việc cần làm) và ghi trang
    ket_qua/status.html để xem hoặc in. Ví dụ: indicator-kit status --as-of 2024-05-07. Mã thoát: 0
    khi không còn đơn vị chưa nộp hoặc cần sửa, 1 nếu còn."""
    from indicator_kit.merge.status import status_table

    ws, inbox, spec_dir, plan = reading_returns(inbox, spec_dir)
    html_path = html_path or ws.status_html
    with reading_progress(inbox, True) as on_file:
        options = returns_options(ws, accepted, as_of, arrival, on_file)
        result = campaign_status(plan, inbox, options, html_path)
    run = result.returns
    print_upkeep(run, accepted)
    click.echo(status_table(run.verdicts))
    print_run_notes(run)
    click.echo(f"Trang tình hình nộp: {result.html}")
    sys.exit(EXIT_OK if run.verdicts.all_done else EXIT_FINDINGS)


def reading_returns(inbox: Path | None, spec_dir: Path | None) -> tuple[Workspace, Path, Path, Plan]:
    """Where every command that reads returns starts: its workspace, the inbox (default:
    hop_thu/), the spec folder and the compiled plan, with the workspace's office key in force
    (MissingKeyError with the way out when there is none)."""
    ws = current_workspace()
    inbox = ws.inbox_or(inbox)
    spec_dir = spec_dir or ws.spec_dir
    try:
        key: bytes | None = ws.key()
    except secret.MissingKeyError:
        key = None  # (said below, once the spec is known to be right)
    if key is None:
        spec = load_spec(spec_dir)
    else:
        with secret.using(key):
            spec = load_spec_kept(spec_dir, ws.state_dir)
    plan = compile_plan(spec)
    signing_with(ws)
    return ws, inbox, spec_dir, plan


def print_upkeep(run: Returns, accepted: tuple[str, ...] = ()) -> None:
    """What the run put right on its way (on stderr: nobody needs to act), and any --accept that
    matched no file (the officer must look: the file she meant is still unverified)."""
    files = [(sub.file, sub.sha256) for sub in run.submissions]
    for name in Limits(accepted=frozenset(accepted)).unmatched(files):
        click.secho(
            f"Cảnh báo: --accept {name} không khớp tệp nào trong lần chạy này (so theo đường dẫn trong "
            "thư mục nhận, tên tệp hoặc mã SHA-256); không tệp nào được chấp nhận theo tên này.",
            fg="yellow",
            err=True,
        )
    for path in run.leftovers:
        click.echo(f"Đã xóa tệp tạm còn lại từ lần chạy bị gián đoạn trước: {path}", err=True)
    for sub in run.repaired:
        click.echo(
            f"Kho lưu trữ: bản lưu của {sub.file} không khớp mã băm của nó; đã ghi lại từ tệp vừa đọc.",
            err=True,
        )


def print_run_notes(run: Returns) -> None:
    """What the run counted differently from the inbox: later arrivals, files kept from the
    archive, files the ledger knows but nothing holds any more."""
    for item in run.verdicts.later:
        click.echo(
            f"Không tính {item.file}: nhận ngày {campaign_date(item.arrived.date())}, "
            f"sau ngày {campaign_date(run.verdicts.as_of)}."
        )
    for sub in run.submissions:
        if any(f.code == "kept-from-archive" for f in sub.findings):
            click.echo(
                f"Lấy từ lưu trữ: {sub.file} — tệp không còn trong thư mục nhận, số liệu vẫn được tính."
            )
    for gone in run.lost:
        click.secho(
            f"Cảnh báo: tệp {gone.file_name} (đơn vị {gone.agency}) đã nhận trước đây không còn trong "
            "thư mục nhận và không có bản lưu trữ; số liệu của tệp này không được tính.",
            fg="yellow",
        )


def print_collect_summary(loaded: Spec, run: Returns, out_dir: Path, feedback: list[Path]) -> None:
    names = {a.slug: a.short_name for a in loaded.agencies}
    lines = []  # one write for thousands of files
    for file in run.verdicts.files:
        agency = f" — {names[file.agency]}" if file.agency else ""
        lines.append(f"{file.tag:<11} {file.file}{agency} — {file.note}")
    if lines:
        click.echo("\n".join(lines))
    submissions = run.submissions
    # what is still to act on, as the agencies' lines and the status say: the merge's findings
    # (agencies disagreeing, cross-agency rules) counted, a replaced file's not
    still_open = run.verdicts.still_open(run.findings)
    errors = sum(1 for f in still_open if f.severity is Severity.ERROR)
    warnings = sum(1 for f in still_open if f.severity is Severity.WARNING and not f.justification)
    refused = sum(1 for s in submissions if s.refused)
    opened = sum(1 for s in submissions if s.opened)  # an e-mail or zip: counted by the workbooks inside
    replaced = len(run.verdicts.set_aside)
    mail = f", lấy từ {opened} thư/tệp nén" if opened else ""
    older = f", {replaced} tệp đã được thay hoặc trùng" if replaced else ""
    click.echo(
        f"Tổng cộng: {len(submissions) - opened} tệp ({refused} không đọc được{mail}{older}), "
        f"{errors} lỗi, {warnings} cảnh báo{' trong các tệp đang dùng' if replaced else ''}."
    )
    print_run_notes(run)
    click.echo(agency_summary(run.verdicts))
    click.echo(f"Kết quả: {out_dir / 'findings.xlsx'} (và findings.csv, findings.json cho máy)")
    if feedback:
        click.echo(f"Biểu phản hồi gửi lại đơn vị ({len(feedback)}): {out_dir / 'feedback'}")


@main.command("report")
@click.option(
    "--master",
    "master_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Thư mục bảng tổng hợp (master_long.csv) do collect hoặc merge ghi (mặc định: ket_qua/master).",
)
@folder_option("--out", "out_dir", "Thư mục ghi tệp Word và biểu đồ (mặc định: ket_qua/report).")
@spec_dir_option
@reports_errors
def report_command(master_dir: Path | None, out_dir: Path | None, spec_dir: Path | None) -> None:
    """Phụ lục 2 dạng Word, kèm biểu đồ so sánh.

    Ghi PL2_phu_luc.docx và thư mục bieu_do/ vào ket_qua/report/, từ bảng tổng hợp của collect
    hoặc merge."""
    from indicator_kit.report import REPORT_DIR, build_report  # python-docx, matplotlib: only here

    ws = current_workspace()
    spec_dir = spec_dir or ws.spec_dir
    written = build_report(
        load_spec(spec_dir), spec_dir, master_dir or ws.master_dir, out_dir or ws.outputs / REPORT_DIR
    )
    click.echo(f"Phụ lục 2 (Word): {written.document}")
    click.echo(f"Biểu đồ so sánh ({len(written.charts)}): {written.chart_dir}")


def agency_summary(verdicts: Verdicts) -> str:
    """Each agency's state in one line, the same words status and the master use."""
    counts = ", ".join(f"{state} {verdicts.count(state)}" for state in State)
    width = max(len(a.name) for a in verdicts.agencies)
    lines = [f"Tình trạng từng đơn vị ({counts}):"]
    for a in verdicts.agencies:
        why = f" — {'; '.join(a.reasons)}" if a.reasons and a.state is not State.ACCEPTED else ""
        lines.append(f"  {a.name:<{width}}  {a.state}{why}")
    return "\n".join(lines)


@main.command("simulate", hidden=True)
@click.option(
    "--templates",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Thư mục biểu mẫu (mặc định: ket_qua/templates).",
)
@click.option(
    "--inbox",
    type=click.Path(file_okay=False, path_type=Path),
    help="Thư mục ghi các biểu mô phỏng (mặc định: hop_thu/).",
)
@click.option(
    "--values",
    "values_csv",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Tệp số liệu mẫu (các cột key, column, value); mặc định: số liệu mẫu kèm theo công cụ.",
)
@spec_dir_option
@reports_errors
def simulate_command(
    templates: Path | None, inbox: Path | None, values_csv: Path | None, spec_dir: Path | None
) -> None:
    """Điền mọi biểu mẫu như các đơn vị điền (dữ liệu mẫu cho bản chạy thử)."""
    from indicator_kit.simulate import load_values, simulate_returns  # openpyxl: only this command needs it

    ws = current_workspace()
    templates, inbox = templates or ws.templates_dir, inbox or ws.inbox
    loaded = load_spec(spec_dir or ws.spec_dir)
    written, notes = simulate_returns(loaded, templates, inbox, load_values(values_csv))
    click.echo(f"Đã mô phỏng {len(written)} biểu nộp về trong {inbox}.")
    for note in notes:
        click.echo(f"Lưu ý: {note}")


@main.group()
def mail() -> None:
    """Thư gửi biểu mẫu, nhắc nộp, đề nghị sửa; gửi, nhận thư."""


@mail.command("drafts")
@agency_option
@click.option(
    "--templates",
    type=click.Path(file_okay=False, path_type=Path),
    help="Thư mục biểu mẫu để đính kèm (mặc định: ket_qua/templates).",
)
@folder_option("--out", "out_dir", "Thư mục ghi thư (mặc định: ket_qua/mail/drafts).")
@spec_dir_option
@reports_errors
def mail_drafts(
    slugs: tuple[str, ...], templates: Path | None, out_dir: Path | None, spec_dir: Path | None
) -> None:
    """Thư kèm biểu mẫu cho từng đơn vị (tệp .eml).

    Mở tệp .eml bằng Outlook hoặc Thunderbird là thư nháp sẵn sàng gửi. Địa chỉ đơn vị lấy từ
    agencies.yaml (email), người gửi từ campaign.yaml (recipient)."""
    from indicator_kit.mail.outbox import write_drafts

    ws = current_workspace()
    templates, out_dir = templates or ws.templates_dir, out_dir or ws.mail_dir / "drafts"
    spec_dir = spec_dir or ws.spec_dir
    loaded = load_spec(spec_dir)
    written = write_drafts(loaded, spec_dir, templates, out_dir, resolve_agencies(loaded, slugs))
    no_email = [
        loaded.agency_by_slug[p.stem].short_name for p in written if not loaded.agency_by_slug[p.stem].email
    ]
    click.echo(f"Đã tạo {len(written)} thư trong {out_dir}.")
    if no_email:
        click.echo(
            f"Chưa có địa chỉ email ({len(no_email)} đơn vị, điền vào agencies.yaml): {', '.join(no_email)}"
        )
    recipient = loaded.campaign.recipient
    if not (recipient.contact_person and recipient.phone):
        click.echo(
            "Thư chưa ghi người liên hệ và số điện thoại của Sở: điền recipient.contact_person và "
            "recipient.phone vào campaign.yaml rồi tạo lại thư."
        )


@mail.command("reminders")
@inbox_argument
@click.option(
    "--reply-by",
    "reply_by",
    type=click.DateTime(formats=["%Y-%m-%d", "%d/%m/%Y"]),
    default=None,
    metavar="NGÀY",
    help="Sau hạn nộp: ngày thư đề nghị gửi lại chậm nhất (mặc định: reply_working_days ngày làm "
    "việc sau --as-of, đặt trong campaign.yaml). Ví dụ 2024-05-15.",
)
@click.option(
    "--templates",
    type=click.Path(file_okay=False, path_type=Path),
    help="Thư mục biểu mẫu để đính kèm lại cho đơn vị chưa nộp (mặc định: ket_qua/templates).",
)
@folder_option("--out", "out_dir", "Thư mục ghi thư (mặc định: ket_qua/mail/reminders).")
@reading_options
@reports_errors
def mail_reminders(
    inbox: Path | None,
    reply_by: datetime | None,
    templates: Path | None,
    out_dir: Path | None,
    as_of: datetime | None,
    accepted: tuple[str, ...],
    arrival: str,
    spec_dir: Path | None,
) -> None:
    """Thư nhắc nộp và thư đề nghị sửa.

    Thư nhắc cho đơn vị chưa nộp (kèm lại biểu mẫu), thư đề nghị sửa cho đơn vị cần sửa (kèm biểu
    phản hồi): cùng kết luận với lệnh status. Ví dụ:
    indicator-kit mail reminders --as-of 2024-05-07"""
    ws, inbox, spec_dir, plan = reading_returns(inbox, spec_dir)
    out_dir = out_dir or ws.mail_dir / "reminders"
    templates = templates or ws.templates_dir
    with reading_progress(inbox, True) as on_file:
        options = returns_options(ws, accepted, as_of, arrival, on_file)
        reply = reply_by.date() if reply_by else None
        result = remind_campaign(plan, spec_dir, inbox, options, out_dir, templates, reply)
    print_upkeep(result.returns, accepted)
    print_run_notes(result.returns)
    for path in result.written:
        click.echo(f"  {path}")
    click.echo(f"Đã tạo {len(result.written)} thư nhắc/đề nghị sửa trong {out_dir}.")
    stale = result.removed
    if stale:
        click.echo(
            f"Đã xóa {len(stale)} thư của lần trước không còn cần gửi: {', '.join(p.name for p in stale)}"
        )


@mail.command("send")
@click.option("--really", is_flag=True, help="Gửi thật; không có tùy chọn này thì chỉ liệt kê thư sẽ gửi.")
@click.option(
    "--kind",
    "chosen",
    type=click.Choice(["drafts", "reminders"]),
    default=None,
    help="drafts: thư gửi biểu mẫu; reminders: thư nhắc nộp và đề nghị sửa (bắt buộc khi thư mục có "
    "cả hai loại).",
)
@click.option(
    "--dir",
    "mail_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Thư mục chứa các tệp .eml, tìm cả thư mục con (mặc định: ket_qua/mail).",
)
@click.option(
    "--config",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Tệp YAML với host, port, security, user; mật khẩu không ghi vào tệp mà lấy từ biến môi "
    "trường INDICATOR_KIT_SMTP_PASSWORD.",
)
@reports_errors
def mail_send(really: bool, chosen: str | None, mail_dir: Path | None, config: Path | None) -> None:
    """Gửi các thư chưa gửi qua máy chủ SMTP.

    Mặc định chỉ liệt kê, không gửi; thêm --really để gửi thật. Máy chủ thư đặt bằng các biến môi
    trường INDICATOR_KIT_SMTP_HOST, INDICATOR_KIT_SMTP_PORT, INDICATOR_KIT_SMTP_SECURITY,
    INDICATOR_KIT_SMTP_USER, INDICATOR_KIT_SMTP_PASSWORD hoặc --config. Thư đã gửi ghi vào
    ket_qua/mail/sent.jsonl: chạy lại không gửi trùng."""
    from indicator_kit.mail.outbox import Round, plan_sending, send_all, smtp_settings

    mail_dir = mail_dir or current_workspace().mail_dir
    plan = plan_sending(mail_dir, Round(chosen) if chosen else None)
    settings = smtp_settings(config) if really else None  # settings checked before anything is sent

    def line(item: Outgoing) -> str:
        return (
            f"{item.path.name}: từ {item.sender} đến {', '.join(item.recipients)} — {item.subject} — "
            f"đính kèm: {', '.join(item.attachments) or 'không'}"
        )

    click.echo(f"Loại thư: {plan.round.title}.")
    if not really:
        for item in plan.to_send:
            click.echo(f"  {line(item)}")
        click.echo(f"Chạy thử: {len(plan.to_send)} thư sẽ được gửi. Thêm --really để gửi thật.")
    else:
        assert settings is not None

        def report(item: Outgoing, outcome: str) -> None:
            click.echo(f"  {item.path.name} → {', '.join(item.recipients)}: {outcome}")

        count = send_all(mail_dir, plan, settings, report)
        click.echo(f"Đã gửi {count}/{len(plan.to_send)} thư.")
    if plan.no_address:
        names = ", ".join(item.path.name for item in plan.no_address)
        click.echo(
            f"Không gửi {len(plan.no_address)} thư chưa có địa chỉ email của đơn vị "
            f"(điền vào agencies.yaml rồi tạo lại thư): {names}"
        )
    if plan.no_sender:
        click.echo(
            f"Không gửi {len(plan.no_sender)} thư chưa có địa chỉ người gửi (điền recipient.email "
            "vào campaign.yaml rồi tạo lại thư)."
        )
    if plan.sent_before:
        click.echo(f"Đã gửi từ trước (không gửi lại): {len(plan.sent_before)} thư.")


@mail.command("fetch")
@click.argument(
    "inbox", required=False, metavar="[THƯ MỤC NHẬN]", type=click.Path(file_okay=False, path_type=Path)
)
@click.option(
    "--config",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Tệp YAML với host, port, security (ssl, starttls, none), user, folder, cafile — ở cấp ngoài "
    "cùng hoặc dưới imap:. Mật khẩu lấy từ INDICATOR_KIT_IMAP_PASSWORD hoặc được hỏi khi chạy.",
)
@click.option(
    "--mark-seen",
    is_flag=True,
    help="Đánh dấu đã đọc trên máy chủ các thư đã tải (mặc định: không thay đổi gì trên máy chủ).",
)
@reports_errors
def mail_fetch(inbox: Path | None, config: Path | None, mark_seen: bool) -> None:
    """Lấy thư có biểu đính kèm từ hộp thư (IMAP).

    Mỗi thư một tệp .eml trong THƯ MỤC NHẬN (mặc định: hop_thu/). Chỉ lấy thư mới từ lần lấy trước;
    không xóa, không đổi gì trên máy chủ. Hộp thư đặt bằng các biến môi trường
    INDICATOR_KIT_IMAP_HOST, INDICATOR_KIT_IMAP_USER (và INDICATOR_KIT_IMAP_PORT,
    INDICATOR_KIT_IMAP_SECURITY, INDICATOR_KIT_IMAP_FOLDER, INDICATOR_KIT_IMAP_CAFILE) hoặc
    --config."""
    from indicator_kit.mail.fetch import fetch_mail, imap_settings

    inbox = inbox or current_workspace().inbox

    password = os.environ.get("INDICATOR_KIT_IMAP_PASSWORD")
    if password is None and sys.stdin.isatty():
        password = click.prompt("Mật khẩu hộp thư", hide_input=True, default="", show_default=False)
    settings = imap_settings(config, password)
    click.echo(f"Hộp thư {settings.user} tại {settings.host}:{settings.port}, thư mục {settings.folder}")
    result = fetch_mail(settings, inbox, mark_seen, report=click.echo)
    click.echo(
        f"Có {result.looked_at} thư mới; đã lưu {len(result.saved)} thư có biểu vào {inbox}; "
        f"{len(result.without_workbook)} thư không có biểu đính kèm (không tải)."
    )
    if result.saved:
        click.echo(f"Chạy tiếp: indicator-kit collect {inbox}")


@main.command("demo")
@click.argument(
    "folder", required=False, metavar="[THƯ MỤC]", type=click.Path(file_okay=False, path_type=Path)
)
@click.option(
    "--values",
    "values_csv",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Tệp số liệu mẫu (các cột key, column, value) thay cho số liệu mẫu kèm theo công cụ.",
)
@click.pass_context
@reports_errors
def demo_command(ctx: click.Context, folder: Path | None, values_csv: Path | None) -> None:
    """Chạy thử toàn bộ quy trình trên dữ liệu mẫu.

    Chạy trong thư mục làm việc mới THƯ MỤC (mặc định: một thư mục mới trong thư mục tạm). Các bước:
    init → generate → mail drafts → mô phỏng biểu nộp về → collect → report → status → mail
    reminders. Ví dụ: indicator-kit demo D:\\ChayThu_PL2"""
    if folder is None:
        folder = Path(tempfile.mkdtemp(prefix="indicator-kit-demo-")) / "ThuThap_PL2"
    ctx.invoke(init_command, folder=folder)
    ws = open_workspace(folder)
    ctx.meta[WORKSPACE_META] = ws  # every step below runs in the new workspace

    def step(command: click.Command, **params: Any) -> None:
        click.secho(f"\n$ indicator-kit {command_path(command)}", bold=True)
        try:
            ctx.invoke(command, **params)
        except SystemExit as stop:  # findings (exit 1) are what the demo shows; anything else stops it
            if stop.code not in (None, EXIT_OK, EXIT_FINDINGS):
                raise

    step(spec_check)
    step(generate_command)
    step(mail_drafts)
    step(simulate_command, values_csv=values_csv)
    # As of the day the last simulated return arrived: every return counted is already there.
    arrived = max(datetime.fromtimestamp(p.stat().st_mtime) for p in ws.inbox.rglob("*") if p.is_file())
    as_of = datetime.combine(arrived.date(), datetime.min.time())
    step(collect_command)
    step(report_command)
    step(status_command, as_of=as_of)
    step(mail_reminders, as_of=as_of)
    click.echo("\nXem kết quả:")
    for path, what in [
        (ws.master_dir / "PL2_tong_hop.xlsx", "bảng tổng hợp Phụ lục 2 (nguồn, tình trạng, lỗi, chênh lệch)"),
        (ws.master_dir / "master_long.csv", "số liệu dạng dài cho phân tích"),
        (
            ws.outputs / "report" / "PL2_phu_luc.docx",
            "Phụ lục 2 dạng Word, bảng so sánh và biểu đồ (bieu_do/)",
        ),
        (ws.status_html, f"tình hình nộp ngày {campaign_date(as_of.date())} (mở bằng trình duyệt)"),
        (ws.collect_dir / "findings.xlsx", "lỗi, cảnh báo và các tệp đã nhận (findings.csv/.json cho máy)"),
        (ws.collect_dir / "feedback", "biểu phản hồi gửi lại đơn vị cần sửa"),
        (ws.mail_dir, "thư gửi biểu mẫu (drafts/) và thư nhắc, đề nghị sửa (reminders/)"),
    ]:
        click.echo(f"  {path}\n      {what}")
    click.echo(f"Thư mục làm việc của bản chạy thử: {ws.root} (hướng dẫn: {ws.root / 'HUONG_DAN.md'})")
    # the simulated returns arrived in 2024: without --as-of, today is months after the deadline
    day = as_of.strftime("%Y-%m-%d")
    click.echo(
        f"Chạy lại trong thư mục đó, tính đến ngày của bản chạy thử: indicator-kit status --as-of {day}"
    )


def command_path(command: click.Command) -> str:
    """`collect`, `mail drafts`: the words that run `command`."""
    for name, top in main.commands.items():
        if top is command:
            return name
        if isinstance(top, click.Group):
            for sub_name, sub in top.commands.items():
                if sub is command:
                    return f"{name} {sub_name}"
    return command.name or ""


state_dir_option = click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Thư mục chứa ledger.sqlite và archive/ (mặc định: .indicator-kit/ của thư mục làm việc).",
)


@main.group("ledger")
def ledger_group() -> None:
    """Sổ ghi nhận và kho lưu trữ các tệp đã nộp: kiểm tra, dựng lại."""


@ledger_group.command("check")
@state_dir_option
@reports_errors
def ledger_check(state_dir: Path | None) -> None:
    """Kiểm tra sổ ghi nhận khớp kho lưu trữ.

    Mỗi tệp trong sổ phải có bản lưu, mỗi bản lưu phải đúng mã băm và có trong sổ. Mã thoát 1 khi
    có chỗ không khớp."""
    state_dir = state_dir or current_workspace().state_dir
    with exclusive([state_dir]):
        result = ledger.check(state_dir)
    for sha256, name in result.missing:
        click.echo(f"[THIẾU BẢN LƯU] {name} ({sha256[:12]}…): sổ ghi nhận có, kho lưu trữ không có tệp.")
    for name in result.damaged:
        click.echo(f"[HỎNG] archive/{name}: nội dung không khớp mã băm trong tên tệp.")
    for name in result.orphans:
        click.echo(f"[CHƯA GHI SỔ] archive/{name}: có trong kho lưu trữ nhưng sổ ghi nhận không có.")
    for name in result.leftovers:
        click.echo(f"[TỆP TẠM] archive/{name}: còn lại từ lần chạy bị gián đoạn (lần chạy sau sẽ xóa).")
    click.echo(
        f"Sổ ghi nhận: {result.rows} tệp; kho lưu trữ: {result.entries} tệp; thiếu bản lưu "
        f"{len(result.missing)}, hỏng {len(result.damaged)}, chưa ghi sổ {len(result.orphans)}."
    )
    if result.clean:
        click.echo("Sổ ghi nhận và kho lưu trữ khớp nhau.")
        return
    click.echo(
        "Cách xử lý: chạy lại collect với hộp thư còn các tệp đó (bản lưu thiếu/hỏng được ghi lại, tệp "
        f'chưa ghi sổ được ghi vào sổ), hoặc "indicator-kit ledger rebuild --state-dir {state_dir}".'
    )
    sys.exit(EXIT_FINDINGS)


@ledger_group.command("rebuild")
@state_dir_option
@click.option(
    "--inbox",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Thư mục nhận để tìm lại tên tệp và sửa các bản lưu bị hỏng.",
)
@reports_errors
def ledger_rebuild(state_dir: Path | None, inbox: Path | None) -> None:
    """Dựng lại sổ ghi nhận từ kho lưu trữ.

    Giữ mọi ngày nộp đầu tiên còn biết (từ sổ cũ, nếu không thì từ thời điểm lưu trữ)."""
    state_dir = state_dir or current_workspace().state_dir
    with exclusive([state_dir]):
        result = ledger.rebuild(state_dir, inbox)
    if result.kept_aside:
        click.echo(f"Sổ cũ được cất lại: {result.kept_aside}")
    for name in result.repaired:
        click.echo(f"[ĐÃ SỬA] archive/{name}: ghi lại từ tệp cùng mã băm trong hộp thư.")
    for name in result.damaged:
        click.echo(f"[HỎNG] archive/{name}: nội dung không khớp mã băm, không có bản tốt; không ghi vào sổ.")
    for sha256, name in result.lost:
        click.echo(f"[MẤT BẢN LƯU] {name} ({sha256[:12]}…): sổ cũ có nhưng kho lưu trữ không còn tệp.")
    click.echo(
        f"Đã dựng lại sổ ghi nhận {state_dir / ledger.LEDGER}: {result.rows} tệp — ngày nộp đầu tiên lấy từ "
        f"sổ cũ cho {result.from_old_ledger} tệp, từ thời điểm lưu trữ cho {result.from_archive} tệp"
        + (f" (tên tệp tìm lại từ hộp thư: {result.named_from_inbox})." if inbox else ".")
    )
    if result.damaged or result.lost:
        sys.exit(EXIT_FINDINGS)


def require_agency(loaded: Spec, slug: str) -> Any:
    if slug not in loaded.agency_by_slug:
        known = ", ".join(a.slug for a in loaded.agencies)
        raise UnknownAgencyError(f"Không có đơn vị '{slug}' trong agencies.yaml. Các đơn vị: {known}")
    return loaded.agency_by_slug[slug]


def run() -> None:
    """Console entry point."""
    try:
        main()
    finally:
        # At exit the interpreter runs one last garbage collection over every object of the run,
        # only for them to be freed anyway; frozen objects are skipped (~0.05 s at 2 000 files).
        gc.freeze()


if __name__ == "__main__":
    run()
