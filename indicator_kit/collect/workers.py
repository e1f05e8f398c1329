"""Read files in worker processes that can be stopped: the time and memory bounds of collect."""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import TYPE_CHECKING, Any

from indicator_kit import processes, secret
from indicator_kit.collect.inbox import display_name
from indicator_kit.collect.limits import Limits
from indicator_kit.collect.model import Submission
from indicator_kit.findings import Message

if TYPE_CHECKING:
    from indicator_kit.plan import Plan

    ReadOne = Callable[[Path, Path, Plan, Limits, Path | None], list[Submission]]


def _limit_memory(extra_bytes: int) -> None:
    """Cap the worker's address space at what it uses now plus `extra_bytes` (POSIX only)."""
    try:
        import resource

        with open("/proc/self/statm") as handle:
            current = int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        resource.setrlimit(resource.RLIMIT_AS, (current + extra_bytes, current + extra_bytes))
    except (ImportError, OSError, ValueError):
        pass  # Windows and unusual systems: the time limit still applies


def _peak_kb() -> int:
    try:
        import resource

        return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    except ImportError:
        return 0


def _worker(
    conn: Connection, read_one: ReadOne, plan: Plan, limits: Limits, key: bytes, archive: Path | None
) -> None:
    _limit_memory(limits.memory_per_file_bytes)
    secret.adopt(key)  # a spawned worker starts afresh: it knows the command's key only from here
    while True:
        task = conn.recv()
        if task is None:
            return
        path, inbox = task
        started = time.perf_counter()
        subs = read_one(Path(path), Path(inbox), plan, limits, archive)  # several for an e-mail or zip
        subs[0].seconds, subs[0].peak_kb = time.perf_counter() - started, _peak_kb()
        conn.send(subs)


class _Slot:
    def __init__(
        self, context: Any, read_one: ReadOne, plan: Plan, limits: Limits, archive: Path | None
    ) -> None:
        self.conn, child = context.Pipe()
        self.process = context.Process(
            target=_worker, args=(child, read_one, plan, limits, secret.office_key(), archive), daemon=True
        )
        self.process.start()
        child.close()
        self.tasks: deque[tuple[int, Path]] = deque()  # sent, not yet answered; the head is being read
        self.started = 0.0  # when the head started

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.conn.close()


def _refused(path: Path, inbox: Path, message: Message, seconds: float) -> Submission:
    relative = display_name(path, inbox)
    try:
        info = path.stat()
        size, mtime = info.st_size, info.st_mtime
    except OSError:  # gone meanwhile: the verdict stands, there is just no size to show
        size, mtime = 0, 0.0
    sub = Submission(relative, "", size, mtime, refused=True, seconds=seconds)
    sub.findings.append(message.finding(file=relative))
    return sub


# Files sent ahead to each worker, so that it never waits for the parent and the parent can
# collect several results per wake-up instead of waking for every file.
QUEUE_DEPTH = 8
BATCH_SECONDS = 0.002  # the parent lets results gather this long before taking them


def run_isolated(
    read_one: ReadOne,
    paths: list[Path],
    inbox: Path,
    plan: Plan,
    limits: Limits,
    workers: int,
    done: Callable[[Submission], None] | None = None,
    archive: Path | None = None,
) -> list[list[Submission]]:
    """`read_one(path, inbox, plan, limits, archive)` for every path, each in a worker that can be
    stopped: each path's verdicts (several for an e-mail or zip), in order. (`read_one` is passed
    in, a module-level function, so that this module needs nothing of the reader's and spawned
    workers can import it by name.) `done` is called in this process with each file's result as
    it arrives (a progress bar). Forked workers share the compiled plan; a spawned one receives it
    as its spec and compiles it again (Plan.__reduce__)."""
    context = processes.context()
    slots = [_Slot(context, read_one, plan, limits, archive) for _ in range(max(1, min(workers, len(paths))))]
    pending = deque(enumerate(paths))
    results: list[list[Submission] | None] = [None] * len(paths)

    def replace(i: int, verdict: Submission, index: int) -> None:
        """The head file gets `verdict`; files queued behind it go to a fresh worker."""
        results[index] = [verdict]
        if done is not None:
            done(verdict)
        slots[i].tasks.popleft()
        pending.extendleft(reversed(slots[i].tasks))
        slots[i].stop()
        slots[i] = _Slot(context, read_one, plan, limits, archive)

    try:
        while pending or any(slot.tasks for slot in slots):
            for slot in slots:
                while len(slot.tasks) < QUEUE_DEPTH and pending:
                    if not slot.tasks:
                        slot.started = time.perf_counter()
                    slot.tasks.append(pending.popleft())
                    slot.conn.send((str(slot.tasks[-1][1]), str(inbox)))
            ready = wait([slot.conn for slot in slots if slot.tasks], timeout=0.5)
            if ready and pending:
                time.sleep(BATCH_SECONDS)
            now = time.perf_counter()
            for i, slot in enumerate(slots):
                if not slot.tasks:
                    continue
                index, path = slot.tasks[0]
                if slot.conn in ready:
                    try:
                        while slot.tasks and slot.conn.poll():  # every result that has arrived
                            index, path = slot.tasks[0]
                            results[index] = received = slot.conn.recv()
                            if done is not None:  # once per inbox file (an e-mail: its worst verdict)
                                done(max(received, key=lambda sub: sub.errors))
                            slot.tasks.popleft()
                            slot.started = now
                    except (EOFError, OSError):  # the worker died: out of memory, or a crash in a reader
                        died = Message("file-too-large", "worker-died")
                        replace(i, _refused(path, inbox, died, now - slot.started), index)
                    continue
                if now - slot.started > limits.seconds_per_file:
                    slow = Message("file-too-slow", "", {"seconds": limits.seconds_per_file})
                    replace(i, _refused(path, inbox, slow, now - slot.started), index)
    finally:
        for slot in slots:
            if slot.tasks:
                slot.stop()
            else:
                slot.conn.send(None)
                slot.process.join(timeout=5)
    return [subs or [] for subs in results]
