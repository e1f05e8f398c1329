"""Work run beside the parent in a forked child: results, errors and the state lock."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from indicator_kit import beside, ledger
from indicator_kit.errors import OutputLockedError

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork is used on Linux only")


def test_result_comes_back_from_the_child() -> None:
    parent = os.getpid()
    finish = beside.start(lambda: (os.getpid(), [Path("a.xlsx")]))
    child, paths = finish()
    assert child != parent and paths == [Path("a.xlsx")]


def test_errors_are_raised_in_the_parent() -> None:
    def locked() -> None:
        raise OutputLockedError("Tệp PL2_tong_hop.xlsx đang mở trong Excel.")

    with pytest.raises(OutputLockedError, match="đang mở"):
        beside.start(locked)()

    class Unpicklable(Exception):  # a local class cannot be pickled back
        pass

    def odd() -> None:
        raise Unpicklable("hỏng")

    with pytest.raises(beside.BesideError, match="hỏng"):
        beside.start(odd)()


def test_a_child_that_dies_is_reported() -> None:
    with pytest.raises(beside.BesideError, match="dừng đột ngột"):
        beside.start(lambda: os._exit(3))()


def test_the_child_leaves_the_state_lock_with_the_parent(tmp_path: Path) -> None:
    other_run = [
        sys.executable,
        "-c",
        "import sys; from pathlib import Path; from indicator_kit import ledger\n"
        "with ledger.exclusive(Path(sys.argv[1])): pass",
        str(tmp_path),
    ]
    with ledger.exclusive(tmp_path):
        assert beside.start(lambda: 42)() == 42
        busy = subprocess.run(other_run, capture_output=True, text=True)
        assert busy.returncode != 0 and "BusyError" in busy.stderr  # still held by this process
    assert subprocess.run(other_run, capture_output=True).returncode == 0
