"""Fault injection: real faults from the operating system, then a rerun, then the same checks.

`python -m tests.faults` (make faults) runs every scenario, prints a table and writes it into
docs/ROBUSTNESS.md; CI runs it with --no-write after the tests (.ci/run). The reproduced
failures of issue #15 have fast tests of their own in tests/test_faults.py.

Every scenario runs `indicator-kit` as a separate process (so it can be killed, run as another
user, or fill a real disk), then puts things right as the officer would (waits, frees space,
restores rights, rebuilds the ledger) and reruns. Afterwards: no traceback anywhere, the exit
codes are the documented ones, `ledger check` is clean, every archive entry hashes to its name
(the archive holds the judged bytes: every source_sha256 of the master is there), and the master
is byte-identical to the master of a fault-free run over the same final inbox.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from indicator_kit import kept
from indicator_kit.collect import recall

ROOT = Path(__file__).resolve().parents[1]
SPEC_DIR = ROOT / "workbook_specs"
MASTER_FILES = ("PL2_tong_hop.xlsx", "master_long.csv")
KILL_FILES = 300  # a few hundred returns: a run long enough to be killed at several points
SMALL_FILES = 24

FAULT, FINDINGS, OK = 3, 1, 0


@dataclass
class Outcome:
    scenario: str
    exit_codes: str  # the faulty run's code(s) → the rerun's
    message: str  # what the faulty run said (first line of its message), or why it was skipped
    ledger_check: str
    master_equal: str
    problems: list[str]  # every broken promise; empty when the scenario passed
    skipped: bool = False

    def row(self) -> str:
        cells = (self.scenario, self.exit_codes, self.message, self.ledger_check, self.master_equal)
        return "| " + " | ".join(cells) + " |"


@dataclass
class Ran:
    code: int
    out: str
    err: str

    @property
    def message(self) -> str:
        lines = [x for x in self.err.splitlines() if x.strip() and x.strip() != "Lỗi:"]
        return lines[0] if lines else "—"


# ---------------------------------------------------------------------------------------- inputs


SYNTHESISE = """
import os, sys, random
from pathlib import Path
from indicator_kit.catalog.loader import load_spec
from indicator_kit.generate import identity_for
from indicator_kit.simulate import load_values
from indicator_kit.template.layout import build_layout
from indicator_kit.template.xlsx import Feedback, render_template
spec = load_spec(sys.argv[3])
values = load_values(Path(sys.argv[4]))
out, n = Path(sys.argv[1]), int(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)
rng = random.Random(15)
for i in range(n):
    agency = spec.agencies[i % len(spec.agencies)].slug
    layout = build_layout(spec, agency)
    cells = [(lr.row.key, c.id) for lr in layout.input_rows for c in spec.campaign.columns]
    filled = {cell: values[cell] for cell in cells}
    key = rng.choice(sorted(k for k, v in filled.items() if v >= 10))
    filled[key] = round(filled[key] + i + 1, 2)  # every file different
    path = out / f"r{i:04d}_{agency}.xlsx"
    path.write_bytes(render_template(layout, identity_for(spec, agency), Feedback(filled, {}, {}, [])))
    os.utime(path, (1714600000 + i, 1714600000 + i))
"""


def environment(work: Path) -> dict[str, str]:
    """One office key for the scenario, readable by the unprivileged user too."""
    env = dict(os.environ)
    env["INDICATOR_KIT_KEY_FILE"] = str(work / "office.key")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.pop("PYTHONPATH", None)
    return env


def make_inbox(work: Path, n: int) -> Path:
    inbox = work / "inbox"
    work.mkdir(parents=True, exist_ok=True)
    (work / "office.key").write_text(os.urandom(32).hex(), encoding="ascii")  # readable by `nobody`
    subprocess.run(
        [
            sys.executable,
            "-c",
            SYNTHESISE,
            str(inbox),
            str(n),
            str(SPEC_DIR),
            str(ROOT / "examples" / "sample_values.csv"),
        ],
        check=True,
        env=environment(work),
        cwd=work,
    )
    return inbox


# ------------------------------------------------------------------------------------------ runs


CLI = [sys.executable, "-m", "indicator_kit.cli"]


def command(*args: str | Path) -> list[str]:
    return [*CLI, *map(str, args), "--spec-dir", str(SPEC_DIR)]


def collect_args(inbox: Path, ws: Path) -> list[str]:
    """collect in the workspace `ws` (its evidence in .indicator-kit/, its outputs in ket_qua/)."""
    return [*CLI, "--workspace", str(ws), "collect", str(inbox)]


def evidence(ws: Path) -> Path:
    return ws / ".indicator-kit"


def masters(ws: Path) -> Path:
    return ws / "ket_qua" / "master"


def new_workspace(ws: Path, work: Path) -> Path:
    ran = run([*CLI, "init", str(ws)], work)
    if ran.code != 0:
        raise RuntimeError(f"init failed: {ran.err}")
    return ws


def ledger_args(action: str, ws: Path, *extra: str | Path) -> list[str]:
    return [*CLI, "--workspace", str(ws), "ledger", action, *map(str, extra)]


def run(args: list[str], work: Path, user: str | None = None) -> Ran:
    if user:
        ids = [
            subprocess.run(["id", flag, user], capture_output=True, text=True, check=True).stdout.strip()
            for flag in ("-u", "-g")
        ]
        args = ["setpriv", f"--reuid={ids[0]}", f"--regid={ids[1]}", "--clear-groups", "--", *args]
    done = subprocess.run(args, capture_output=True, text=True, env=environment(work), cwd=work, timeout=600)
    return Ran(done.returncode, done.stdout, done.stderr)


def start(args: list[str], work: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        args,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(work),
        cwd=work,
        start_new_session=True,  # its own process group: kill -9 takes the workers too
    )


# ---------------------------------------------------------------------------------------- checks


class Judge:
    """Collects the broken promises of one scenario."""

    def __init__(self, work: Path, reference: Path) -> None:
        self.work, self.reference = work, reference
        self.problems: list[str] = []
        self.check = "—"
        self.equal = "—"

    def no_traceback(self, *runs: Ran) -> None:
        for ran in runs:
            if "Traceback" in ran.out + ran.err or ran.code == 4:
                self.problems.append(f"traceback or crash (exit {ran.code}): {ran.err[-300:]}")

    def code(self, ran: Ran, *expected: int) -> None:
        if ran.code not in expected:
            self.problems.append(f"exit {ran.code}, expected {expected}: {ran.err[-300:] or ran.out[-300:]}")

    def settled(self, ws: Path) -> None:
        """After the rerun: ledger check clean, archive = judged bytes, master = fault-free master."""
        checked = run(ledger_args("check", ws), self.work)
        self.no_traceback(checked)
        self.check = "sạch" if checked.code == 0 else f"lỗi ({checked.code})"
        if checked.code != 0:
            self.problems.append(f"ledger check: {checked.out[-400:]}")
        archive = evidence(ws) / "archive"
        for entry in archive.iterdir() if archive.exists() else []:
            if entry.name.startswith("."):
                self.problems.append(f"temporary file left in the archive: {entry.name}")
            elif hashlib.sha256(entry.read_bytes()).hexdigest() != entry.name.split(".")[0]:
                self.problems.append(f"archive entry does not hash to its name: {entry.name}")
        long_csv = masters(ws) / "master_long.csv"
        if long_csv.exists():
            held = {p.name.split(".")[0] for p in archive.iterdir()} if archive.exists() else set()
            import csv

            with long_csv.open(encoding="utf-8-sig") as handle:
                sources = {row["source_sha256"] for row in csv.DictReader(handle) if row["source_sha256"]}
            if sources - held:
                self.problems.append(
                    f"master cites {len(sources - held)} source(s) the archive does not hold"
                )
        same = all(
            (masters(ws) / name).exists()
            and (masters(ws) / name).read_bytes() == (masters(self.reference) / name).read_bytes()
            for name in MASTER_FILES
        )
        self.equal = "bằng" if same else "KHÁC"
        if not same:
            self.problems.append(
                "master differs from the fault-free run's master: "
                + _first_difference(
                    masters(ws) / "master_long.csv", masters(self.reference) / "master_long.csv"
                )
            )


def _first_difference(ours: Path, theirs: Path) -> str:
    if not ours.exists():
        return f"{ours.name} missing"
    mine, other = (
        ours.read_text(encoding="utf-8-sig").splitlines(),
        theirs.read_text(encoding="utf-8-sig").splitlines(),
    )
    for a, b in zip(mine, other, strict=False):
        if a != b:
            return f"{a!r} ≠ {b!r}"
    return f"{len(mine)} ≠ {len(other)} lines" if len(mine) != len(other) else "the xlsx differs"


def reference_run(work: Path, inbox: Path) -> Path:
    """A fault-free run over `inbox` (as it is at the end of the scenario)."""
    state = work / "reference"
    shutil.rmtree(state, ignore_errors=True)
    new_workspace(state, work)
    ran = run(collect_args(inbox, state), work)
    if ran.code not in (OK, FINDINGS):
        raise RuntimeError(f"the fault-free run failed: {ran.err}")
    return state


def short(text: str, limit: int = 110) -> str:
    text = text.replace("|", "/").replace(str(tempfile.gettempdir()), "…")
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ------------------------------------------------------------------------------------- scenarios


def kill_at(fraction: float) -> Callable[[Path, Path], Outcome]:
    def play(work: Path, inbox: Path) -> Outcome:
        started = time.perf_counter()
        reference = reference_run(work, inbox)
        full = time.perf_counter() - started
        state = new_workspace(work / "state", work)
        process = start(collect_args(inbox, state), work)
        time.sleep(full * fraction)
        seen = _what_is_there(state)
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        rerun = run(collect_args(inbox, state), work)
        judge = Judge(work, reference)
        judge.no_traceback(rerun)
        judge.code(rerun, OK, FINDINGS)
        judge.settled(state)
        return outcome(
            f"kill -9 at {fraction:.0%} of a run over {KILL_FILES} files ({seen})",
            f"−9 → {rerun.code}",
            rerun.message if rerun.err.strip() else "rerun: no message needed",
            judge,
        )

    return play


def _what_is_there(state: Path) -> str:
    archive = evidence(state) / "archive"
    names = os.listdir(archive) if archive.exists() else []
    partial = sum(n.endswith(".partial") for n in names)
    entries = len(names) - partial
    master = (masters(state) / "master_long.csv").exists()
    return f"{partial} staged, {entries} archived, master {'written' if master else 'not yet'}"


def _wait_until_staged(state: Path, process: subprocess.Popen[str], files: list[Path]) -> None:
    """Until the workers have staged (so read) every one of `files`; most others are not read yet."""
    archive = evidence(state) / "archive"
    wanted = {f".{hashlib.sha256(f.read_bytes()).hexdigest()}{f.suffix}" for f in files}
    deadline = time.perf_counter() + 120
    while process.poll() is None and time.perf_counter() < deadline:
        names = os.listdir(archive) if archive.exists() else []
        if all(any(n.startswith(w) for n in names) for w in wanted):
            return
        time.sleep(0.001)


def changed_during_run(work: Path, inbox: Path) -> Outcome:
    """Two files change after they were read (rewritten in place, deleted), two before (saved over
    by a mail client, deleted). The fault-free equivalent is a run over the inbox as this run saw
    it, then a run over the final inbox: files that left the inbox after they were recorded are
    still counted from the archive (`ledger.vanished`)."""
    files = sorted(inbox.iterdir())
    read_first, gone_early, saved_over, gone_late = files[0], files[1], files[-1], files[-2]
    seen = work / "seen"  # the inbox as the run reads it: the late changes already made
    shutil.copytree(inbox, seen)
    replacement = files[5].read_bytes()
    (seen / saved_over.name).write_bytes(replacement)
    (seen / gone_late.name).unlink()
    state = new_workspace(work / "state", work)
    process = start(collect_args(inbox, state), work)
    _wait_until_staged(state, process, [read_first, gone_early])
    read_first.write_bytes(files[3].read_bytes())  # rewritten in place after it was read
    gone_early.unlink()
    tmp = saved_over.with_name(".saving")
    tmp.write_bytes(replacement)
    os.replace(tmp, saved_over)  # saved over by a mail client before it was read
    gone_late.unlink()
    out, err = process.communicate(timeout=600)
    during = Ran(process.returncode, out, err)
    rerun = run(collect_args(inbox, state), work)
    reference = work / "reference"
    new_workspace(reference, work)
    first_pass = run(collect_args(seen, reference), work)
    second_pass = run(collect_args(inbox, reference), work)
    judge = Judge(work, reference)
    judge.no_traceback(during, rerun, first_pass, second_pass)
    judge.code(during, OK, FINDINGS)
    judge.code(rerun, OK, FINDINGS)
    judge.settled(state)
    changed = [x for x in out.splitlines() if "thay đổi trong khi đọc" in x]
    said = changed[0].split(" — ", 1)[-1] if changed else "(no change was seen while reading)"
    return outcome(
        f"2 files changed after being read, 2 before, during a run over {len(files)} files",
        f"{during.code} → {rerun.code}",
        f"{len(changed)} file(s) with their own verdict: {said}",
        judge,
    )


def read_only(kind: str) -> Callable[[Path, Path], Outcome]:
    """A folder or file the running user may not use. As root (CI), whom file rights do not stop,
    the run is made as `nobody` (setpriv) on a state folder `nobody` owns except the part under
    test; as another user, that user is the unprivileged one."""

    def play(work: Path, inbox: Path) -> Outcome:
        as_root = os.geteuid() == 0
        if as_root and shutil.which("setpriv") is None:
            return skipped(f"read-only {kind}", "running as root and setpriv (util-linux) is missing")
        state = new_workspace(work / "state", work)
        first = run(collect_args(inbox, state), work)
        if kind == "output folder":
            target, expected = masters(state), FAULT
        elif kind == "state folder":
            target, expected = evidence(state), FAULT
        elif kind == "archive folder":
            target, expected = evidence(state) / "archive", FAULT
            path = sorted(inbox.iterdir())[0]
            path.write_bytes(path.read_bytes() + b"\0")  # other bytes: a new entry to archive
        else:  # an inbox file the user may not read
            target, expected = sorted(inbox.iterdir())[2], FINDINGS
        if as_root:
            _give_to_nobody(work, state)
        if target.is_dir():
            target.chmod(0o555)
            if as_root:
                for path in [target, *target.rglob("*")]:
                    os.chown(path, 0, 0)
        else:
            target.chmod(0o000 if not as_root else 0o600)
            if as_root:
                os.chown(target, 0, 0)
        denied = run(collect_args(inbox, state), work, user="nobody" if as_root else None)
        target.chmod(0o755 if target.is_dir() else 0o644)
        if as_root:
            for path in [work, *work.rglob("*")]:
                os.chown(path, 0, 0)
        rerun = run(collect_args(inbox, state), work)
        judge = Judge(work, reference_run(work, inbox))
        judge.no_traceback(first, denied, rerun)
        judge.code(denied, expected)
        judge.code(rerun, OK, FINDINGS)
        judge.settled(state)
        said = denied.message
        if kind == "inbox file":
            said = next((x for x in denied.out.splitlines() if target.name in x), said).split(" — ", 1)[-1]
        user = "nobody" if as_root else f"uid {os.geteuid()}"
        return outcome(f"read-only {kind} (run as {user})", f"{denied.code} → {rerun.code}", said, judge)

    return play


def _give_to_nobody(work: Path, state: Path) -> None:
    """`nobody` may read the inputs and owns the workspace."""
    nobody = int(subprocess.run(["id", "-u", "nobody"], capture_output=True, text=True, check=True).stdout)
    for path in [work, *work.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    for path in [state, *state.rglob("*")]:
        os.chown(path, nobody, nobody)


@contextmanager
def small_disk(where: Path, size: int) -> Iterator[str | None]:
    """A tmpfs of `size` bytes at `where`; yields why not when it cannot be mounted."""
    where.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or shutil.which("mount") is None:
        yield "mounting a small tmpfs needs root"
        return
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(where)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        yield f"cannot mount a tmpfs here ({done.stderr.strip() or done.returncode})"
        return
    try:
        yield None
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


KEPT = (recall.STORE, kept.SPEC)  # in the state folder
ROOM = {
    "archive": "half the archive",
    "outputs": "the archive and a third of the outputs",
    "last outputs": "all but the last 64 KB",
}


def _footprint(folder: Path) -> int:
    """Bytes as tmpfs counts them: whole pages."""
    return sum(-(-p.stat().st_size // 4096) * 4096 for p in folder.rglob("*") if p.is_file())


def disk_full(point: str) -> Callable[[Path, Path], Outcome]:
    """The state folder on a tmpfs too small for `point`; then room is made and the run repeated."""

    def play(work: Path, inbox: Path) -> Outcome:
        measure = new_workspace(work / "measure", work)
        base = _footprint(measure)  # what init wrote (the specs' copy, the guide)
        run(collect_args(inbox, measure), work)
        archive = _footprint(evidence(measure) / "archive")
        # (what is kept to be quicker next time is not an output: a run that cannot write it
        # succeeds, so the outputs' room is measured without it)
        everything = _footprint(measure) - sum(
            -(-path.stat().st_size // 4096) * 4096
            for path in (evidence(measure) / name for name in KEPT)
            if path.exists()
        )
        shutil.rmtree(measure)
        size = (
            base
            + {
                "archive": archive // 2,
                "outputs": archive + (everything - base - archive) // 3,
                "last outputs": everything - base - 64 * 1024,
            }[point]
        )
        size = max(size, base + 64 * 1024) // 4096 * 4096
        mount = work / "disk"
        with small_disk(mount, size) as reason:
            if reason:
                return skipped(f"disk full: room for {ROOM[point]}", reason)
            state = new_workspace(mount / "ws", work)
            full = run(collect_args(inbox, state), work)
            subprocess.run(["mount", "-o", f"remount,size={64 * 2**20}", str(mount)], check=True)
            rerun = run(collect_args(inbox, state), work)
            judge = Judge(work, reference_run(work, inbox))
            judge.no_traceback(full, rerun)
            judge.code(full, FAULT)
            judge.code(rerun, OK, FINDINGS)
            judge.settled(state)
            return outcome(
                f"disk full: a tmpfs of {size // 1024} KB, room for {ROOM[point]}",
                f"{full.code} → {rerun.code}",
                full.message,
                judge,
            )

    return play


def damaged_ledger(damage: str) -> Callable[[Path, Path], Outcome]:
    def play(work: Path, inbox: Path) -> Outcome:
        state = new_workspace(work / "state", work)
        first = run(collect_args(inbox, state), work)
        path = evidence(state) / "ledger.sqlite"
        data = path.read_bytes()
        broken = {
            "truncated": data[: len(data) // 3],
            "zeroed": bytes(len(data)),
            "garbage": random.Random(7).randbytes(len(data)),
            "empty (0 bytes)": b"",
        }[damage]
        path.write_bytes(broken)
        refused = run(collect_args(inbox, state), work)
        judge = Judge(work, reference_run(work, inbox))
        if path.read_bytes() != broken:
            judge.problems.append("the damaged ledger was changed")
        rebuilt = run(ledger_args("rebuild", state, "--inbox", inbox), work)
        rerun = run(collect_args(inbox, state), work)
        judge.no_traceback(first, refused, rebuilt, rerun)
        judge.code(refused, FAULT)
        judge.code(rebuilt, OK)
        judge.code(rerun, OK, FINDINGS)
        judge.settled(state)
        return outcome(
            f"{damage} ledger, then `ledger rebuild`",
            f"{refused.code} → rebuild {rebuilt.code} → {rerun.code}",
            refused.message,
            judge,
        )

    return play


def state_is_a_file(work: Path, inbox: Path) -> Outcome:
    state = new_workspace(work / "state", work)
    shutil.rmtree(evidence(state))
    evidence(state).write_text("not a folder")
    refused = run(collect_args(inbox, state), work)
    evidence(state).unlink()
    rerun = run(collect_args(inbox, state), work)
    judge = Judge(work, reference_run(work, inbox))
    judge.no_traceback(refused, rerun)
    judge.code(refused, FAULT)
    judge.code(rerun, OK, FINDINGS)
    judge.settled(state)
    return outcome("state path is a file", f"{refused.code} → {rerun.code}", refused.message, judge)


def outcome(name: str, codes: str, message: str, judge: Judge) -> Outcome:
    message = message.replace(f"{judge.work}/", "")
    return Outcome(name, codes, short(message), judge.check, judge.equal, judge.problems)


def skipped(name: str, reason: str) -> Outcome:
    return Outcome(name, "—", f"skipped: {reason}", "—", "—", [], skipped=True)


SCENARIOS: dict[str, tuple[int, Callable[[Path, Path], Outcome]]] = {
    "kill-20": (KILL_FILES, kill_at(0.2)),
    "kill-45": (KILL_FILES, kill_at(0.45)),
    "kill-70": (KILL_FILES, kill_at(0.7)),
    "kill-90": (KILL_FILES, kill_at(0.9)),
    "changed": (120, changed_during_run),
    "readonly-output": (SMALL_FILES, read_only("output folder")),
    "readonly-state": (SMALL_FILES, read_only("state folder")),
    "readonly-archive": (SMALL_FILES, read_only("archive folder")),
    "unreadable-file": (SMALL_FILES, read_only("inbox file")),
    "full-archive": (SMALL_FILES, disk_full("archive")),
    "full-outputs": (SMALL_FILES, disk_full("outputs")),
    "full-last": (SMALL_FILES, disk_full("last outputs")),
    "ledger-truncated": (SMALL_FILES, damaged_ledger("truncated")),
    "ledger-zeroed": (SMALL_FILES, damaged_ledger("zeroed")),
    "ledger-garbage": (SMALL_FILES, damaged_ledger("garbage")),
    "ledger-empty": (SMALL_FILES, damaged_ledger("empty (0 bytes)")),
    "state-file": (SMALL_FILES, state_is_a_file),
}


_INBOXES: dict[int, Path] = {}


def play(name: str, base: Path) -> Outcome:
    """Run one scenario in a fresh folder under `base` (inputs built once per size)."""
    files, scenario = SCENARIOS[name]
    if files not in _INBOXES:
        source = base / f"inbox-{files}"
        make_inbox(source, files)
        _INBOXES[files] = source
    work = base / name
    shutil.copytree(_INBOXES[files], work, symlinks=True)
    work.chmod(0o755)
    try:
        return scenario(work, work / "inbox")
    finally:
        if not os.environ.get("IK_FAULTS_KEEP"):  # set it to look at a scenario's folders afterwards
            shutil.rmtree(work, ignore_errors=True)


@contextmanager
def workspace() -> Iterator[Path]:
    """A folder the unprivileged user can enter (pytest's tmp_path is private to root)."""
    base = Path(tempfile.mkdtemp(prefix="ik-faults-"))
    base.chmod(0o755)
    try:
        yield base
    finally:
        _INBOXES.clear()
        if not os.environ.get("IK_FAULTS_KEEP"):
            shutil.rmtree(base, ignore_errors=True)


HEADER = [
    "| scenario | exit code (fault → rerun) | message | ledger check | master equal |",
    "|---|---|---|---|---|",
]
BEGIN, END = "<!-- faults: begin (make faults) -->", "<!-- faults: end -->"


def with_section(text: str, report: str) -> str:
    """docs/ROBUSTNESS.md with the fault-injection section replaced (or added at the end)."""
    if BEGIN in text:
        return text[: text.index(BEGIN)] + report + text[text.index(END) + len(END) :]
    return text.rstrip("\n") + "\n\n" + report + "\n"


def main() -> None:
    started = time.perf_counter()
    with workspace() as base:
        outcomes = [play(name, base) for name in SCENARIOS]
    elapsed = time.perf_counter() - started
    lines = [
        BEGIN,
        "## Fault injection",
        "",
        "Produced by `make faults` (`tests/faults.py`; CI runs it after the tests, `.ci/run`).",
        "Each scenario runs `indicator-kit collect` as its own process",
        "and injects a real fault; then the officer's remedy (wait, free space, restore rights,",
        "`ledger rebuild`) and a rerun. Exit codes: 0 ok, 1 findings, 3 fault (docs/ARCHITECTURE.md);",
        "`−9` is the killed run. After every rerun: no traceback, `ledger check` clean, every",
        "archive entry hashes to its name and holds every source of the master, and the master",
        "(xlsx and csv) is byte-identical to a fault-free run's over the same inbox.",
        "",
        *HEADER,
        *(o.row() for o in outcomes),
        "",
        f"{sum(not o.problems and not o.skipped for o in outcomes)} passed, "
        f"{sum(o.skipped for o in outcomes)} skipped, {sum(bool(o.problems) for o in outcomes)} failed "
        f"in {elapsed:.0f} s on {os.cpu_count()} cores (run as uid {os.geteuid()}).",
        END,
    ]
    report = "\n".join(lines)
    print(report)
    for o in outcomes:
        for problem in o.problems:
            print(f"FAILED {o.scenario}: {problem}", file=sys.stderr)
    if "--no-write" not in sys.argv:
        doc = ROOT / "docs" / "ROBUSTNESS.md"
        doc.write_text(with_section(doc.read_text(encoding="utf-8"), report), encoding="utf-8")
    sys.exit(1 if any(o.problems for o in outcomes) else 0)


if __name__ == "__main__":
    main()
