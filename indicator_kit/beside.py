"""Run one piece of work in a forked child process while the parent does another.

After collecting, rendering the master workbook is the longest step and uses one core; the
parent can meanwhile write the findings and feedback workbooks. Where fork is not the way
processes start (Windows, macOS), the work simply runs when its result is asked for.
"""

from __future__ import annotations

import multiprocessing
import sys
from collections.abc import Callable
from typing import TypeVar

from indicator_kit.errors import FaultError

T = TypeVar("T")


class BesideError(FaultError):
    """The child process running a step stopped without an answer."""


def start(work: Callable[[], T]) -> Callable[[], T]:
    """Begin `work`; the returned function waits for its result, or raises its exception."""
    if not sys.platform.startswith("linux"):
        return work
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)

    def child() -> None:
        try:
            outcome: tuple[bool, object] = (True, work())
        except BaseException as exc:  # every failure goes back to the parent, which reports it
            outcome = (False, exc)
        try:
            send.send(outcome)
        except Exception:  # an exception that cannot be pickled: its text still reaches the parent
            send.send((False, BesideError(str(outcome[1]))))

    # The child leaves with os._exit, so nothing it inherited (the state folder's lock above all)
    # is released or finalised by it.
    process = context.Process(target=child, daemon=True)
    process.start()
    send.close()

    def finish() -> T:
        try:
            ok, value = receive.recv()
        except EOFError:
            raise BesideError("Tiến trình phụ dừng đột ngột; hãy chạy lại lệnh.") from None
        finally:
            receive.close()
            process.join()
        if ok:
            return value  # type: ignore[return-value]
        raise value  # type: ignore[misc]

    return finish
