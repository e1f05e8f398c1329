"""The campaign workspace: one folder holding a campaign's specs, inbox, outputs, evidence and key.

`indicator-kit init FOLDER` creates it from the default campaign shipped inside the package
(`indicator_kit.default_campaign`, the repository's `workbook_specs/`). Every other command finds
it the way git finds `.git`: by walking up from the current folder to the marker file, or from
`--workspace DIR` / INDICATOR_KIT_WORKSPACE. Everything a command writes lives under the
workspace's outputs folder (or the `--out` it was given) and its state folder.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from indicator_kit import secret
from indicator_kit.errors import FaultError, IndicatorKitError

MARKER = "indicator-kit.yaml"
WORKSPACE_ENV = "INDICATOR_KIT_WORKSPACE"
GUIDE = "HUONG_DAN.md"
DEFAULT_CAMPAIGN = "indicator_kit.default_campaign"
# Files of the package, not of the campaign: never copied into a workspace.
_NOT_CAMPAIGN = {"__init__.py", "__pycache__"}

MARKER_TEXT = """\
# Thư mục làm việc của indicator-kit (tạo bởi `indicator-kit init`). Không xóa tệp này:
# các lệnh tìm thư mục làm việc bằng tệp này, như git tìm thư mục .git.
workspace_format: 1
"""


class NoWorkspaceError(IndicatorKitError):
    """The command needs a workspace and none was found or named."""


class WorkspaceExistsError(IndicatorKitError):
    """`init` would overwrite something already there."""


class WorkspaceWriteError(FaultError):
    """The machine refused to write the new workspace (permission, disk full)."""


class InboxMissingError(IndicatorKitError):
    """The workspace's inbox folder is gone and no other was named."""


@dataclass(frozen=True)
class Workspace:
    """Where a campaign's files live. The layout is fixed so that the officer, the guide and the
    documentation all name the same folders."""

    root: Path

    @property
    def marker(self) -> Path:
        return self.root / MARKER

    @property
    def spec_dir(self) -> Path:
        """The editable copy of the campaign: catalog, agencies, campaign, checks, mail texts."""
        return self.root / "workbook_specs"

    @property
    def inbox(self) -> Path:
        """Where the officer puts every file the agencies send back."""
        return self.root / "hop_thu"

    @property
    def outputs(self) -> Path:
        """Everything the commands write that can be made again from the specs and the inbox."""
        return self.root / "ket_qua"

    @property
    def state_dir(self) -> Path:
        """Evidence that cannot be made again: the archive of every file read, the ledger (first
        arrivals), the run lock — and the office key."""
        return self.root / ".indicator-kit"

    @property
    def key_file(self) -> Path:
        """The office key; INDICATOR_KIT_KEY_FILE names another one (e.g. shared by two PCs)."""
        override = os.environ.get(secret.KEY_FILE_ENV)
        return Path(override) if override else self.state_dir / secret.KEY_FILE_NAME

    @property
    def templates_dir(self) -> Path:
        return self.outputs / "templates"

    @property
    def collect_dir(self) -> Path:
        return self.outputs / "collect"

    @property
    def master_dir(self) -> Path:
        return self.outputs / "master"

    @property
    def mail_dir(self) -> Path:
        return self.outputs / "mail"

    @property
    def status_html(self) -> Path:
        return self.outputs / "status.html"

    def inbox_or(self, named: Path | None) -> Path:
        """The inbox a command reads: the one named on the command line, else hop_thu/."""
        if named is not None:
            return named
        if not self.inbox.is_dir():
            raise InboxMissingError(
                f"Không có thư mục nhận {self.inbox}. Hãy tạo lại thư mục này và chép các tệp đơn vị gửi "
                "về vào đó, hoặc ghi rõ thư mục nhận sau tên lệnh."
            )
        return self.inbox

    def key(self) -> bytes:
        """The office key, which only `init` and `generate` create (`secret.MissingKeyError`)."""
        return secret.load(self.key_file, workspace=self.root)


def find_workspace(start: Path) -> Workspace | None:
    """The workspace containing `start` (the nearest marker at or above it), if any."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / MARKER).is_file():
            return Workspace(folder)
    return None


def open_workspace(named: Path | None = None, cwd: Path | None = None) -> Workspace:
    """The workspace named by `--workspace` (or INDICATOR_KIT_WORKSPACE), else the one around
    the current folder; a Vietnamese way out when there is none."""
    if named is not None:
        root = named.resolve()
        if not (root / MARKER).is_file():
            raise NoWorkspaceError(
                f"Thư mục {root} không phải thư mục làm việc của indicator-kit (không có tệp {MARKER}).\n"
                f"Hãy chỉ đúng thư mục đã tạo bằng `indicator-kit init`, hoặc tạo mới: "
                f"indicator-kit init {named}"
            )
        return Workspace(root)
    here = (cwd or Path.cwd()).resolve()
    found = find_workspace(here)
    if found is None:
        raise NoWorkspaceError(
            f"Thư mục {here} không nằm trong thư mục làm việc nào của indicator-kit "
            f"(không tìm thấy tệp {MARKER} ở đây hay ở các thư mục cha).\n"
            "- Tạo thư mục làm việc mới cho đợt thu thập: indicator-kit init <thư mục>, "
            "ví dụ indicator-kit init D:\\ThuThap_PL2\n"
            "- hoặc chuyển vào thư mục làm việc đã có (cd <thư mục>) rồi chạy lại lệnh,\n"
            "- hoặc chỉ rõ thư mục: indicator-kit --workspace <thư mục> <lệnh>."
        )
    return found


def default_campaign() -> Traversable:
    """The Phụ lục 2 campaign shipped inside the package (the repository's workbook_specs/)."""
    return files(DEFAULT_CAMPAIGN)


def _copy_tree(source: Traversable, target: Path) -> None:
    target.mkdir(parents=True)
    for item in sorted(source.iterdir(), key=lambda t: t.name):
        if item.name in _NOT_CAMPAIGN:
            continue
        if item.is_dir():
            _copy_tree(item, target / item.name)
        else:
            (target / item.name).write_bytes(item.read_bytes())


@dataclass(frozen=True)
class Created:
    workspace: Workspace
    key_created: bool  # False: an existing key (INDICATOR_KIT_KEY_FILE) is used


def init_workspace(folder: Path) -> Created:
    """Create a workspace in `folder` (created if needed). Refuses when the folder already holds
    a workspace or any file `init` would write, so nothing is ever overwritten."""
    ws = Workspace(folder.resolve())
    if ws.root.exists() and not ws.root.is_dir():
        raise WorkspaceExistsError(f"{ws.root} là một tệp, không phải thư mục.")
    if ws.marker.exists():
        raise WorkspaceExistsError(
            f"{ws.root} đã là thư mục làm việc của indicator-kit (có tệp {MARKER}); "
            "không tạo lại để khỏi ghi đè. Dùng luôn thư mục này, hoặc chọn một thư mục khác."
        )
    taken = [p.name for p in (ws.spec_dir, ws.inbox, ws.outputs, ws.state_dir, ws.root / GUIDE) if p.exists()]
    if taken:
        raise WorkspaceExistsError(
            f"Thư mục {ws.root} đã có {', '.join(taken)}; `indicator-kit init` không ghi đè. "
            "Hãy chọn một thư mục trống hoặc chưa có."
        )
    made = (ws.spec_dir, ws.inbox, ws.outputs, ws.state_dir, ws.root / GUIDE)  # none existed
    try:
        ws.root.mkdir(parents=True, exist_ok=True)
        _copy_tree(default_campaign(), ws.spec_dir)
        ws.inbox.mkdir()
        ws.outputs.mkdir()
        ws.state_dir.mkdir()
        (ws.root / GUIDE).write_bytes(files("indicator_kit").joinpath(GUIDE).read_bytes())
        key_created = secret.create(ws.key_file)
        # The marker last: a folder is a workspace only once everything in it is in place.
        ws.marker.write_text(MARKER_TEXT, encoding="utf-8")
    except OSError as exc:
        for path in made:  # what this call made, so that `init` can simply be run again
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            elif path.exists():
                path.unlink()
        raise WorkspaceWriteError(
            f"Không tạo được thư mục làm việc {ws.root}: {exc.strerror or exc} ({exc.filename or ws.root}). "
            "Hãy chọn một thư mục mà máy cho phép ghi (còn chỗ trống trên đĩa) rồi chạy lại."
        ) from None
    return Created(ws, key_created)
