"""A progress bar for long runs, shown only to a person at a terminal.

Nothing is drawn (and rich is not even imported) when the output is piped, redirected or JSON:
scripts see exactly what they saw before, and collect's per-file path stays a no-op call.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

Advance = Callable[[bool], None]  # one item done; True when it had an error


def _silent(failed: bool) -> None:
    return None


def wanted(stream: TextIO | None = None) -> bool:
    """Whether a person is watching: the stream is a terminal."""
    stream = stream or sys.stdout
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


@contextmanager
def progress_bar(total: int, what: str, show: bool) -> Iterator[Advance]:
    """Yield `advance(failed)`; with `show`, a bar with items done, errors so far and time left
    (removed when done: the summary that follows says the rest)."""
    if not show or total < 2:
        yield _silent
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn(f"{what}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("lỗi: {task.fields[errors]}"),
        TextColumn("còn"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(file=sys.stdout), transient=True) as bar:
        task = bar.add_task(what, total=total, errors=0)
        errors = 0

        def advance(failed: bool) -> None:
            nonlocal errors
            errors += failed
            bar.update(task, advance=1, errors=errors)

        yield advance
