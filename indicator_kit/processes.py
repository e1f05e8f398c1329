"""Other processes: how they start on this system (decided here, once), and one step run in a
forked child beside the parent.

fork shares the loaded catalog and modules with a child at no cost, so it is used where it is
the way processes start (Linux); elsewhere (Windows, macOS) workers are spawned, and a step
"beside" simply runs when its result is asked for.
"""

from __future__ import annotations

import multiprocessing
import sys
from collections.abc import Callable
from multiprocessing.context import BaseContext
from typing import TypeVar

from indicator_kit.errors import FaultError

T = TypeVar("T")

# (a test sets "spawn" to run collect on Linux as it runs on Windows)
START_METHOD = "fork" if sys.platform.startswith("linux") else "spawn"


class ChildStoppedError(FaultError):
    """A child process stopped without an answer."""


def context() -> BaseContext:
    """The start method every child of indicator-kit uses."""
    return multiprocessing.get_context(START_METHOD)


def forks() -> bool:
    return START_METHOD == "fork"


def beside(work: Callable[[], T]) -> Callable[[], T]:
    """Begin `work` in a forked child; the returned function waits for its result, or raises its
    exception. Without fork the work runs, in this process, when the result is asked for."""
    if not forks():
        return work
    fork = context()
    receive, send = fork.Pipe(duplex=False)

    def child() -> None:
        try:
            outcome: tuple[bool, object] = (True, work())
        except BaseException as exc:  # every failure goes back to the parent, which reports it
            outcome = (False, exc)
        try:
            send.send(outcome)
        except Exception:  # an exception that cannot be pickled: its text still reaches the parent
            send.send((False, ChildStoppedError(str(outcome[1]))))

    # The child leaves with os._exit, so nothing it inherited (the run's locks above all) is
    # released or finalised by it.
    process = fork.Process(target=child, daemon=True)
    process.start()
    send.close()

    def finish() -> T:
        try:
            ok, value = receive.recv()
        except EOFError:
            raise ChildStoppedError("Tiến trình phụ dừng đột ngột; hãy chạy lại lệnh.") from None
        finally:
            receive.close()
            process.join()
        if ok:
            return value  # type: ignore[return-value]
        raise value  # type: ignore[misc]

    return finish
