"""Verdicts of earlier runs, by the bytes they judged: a rerun reads only what is new.

The officer runs collect (and status, merge, reminders) many times a day as returns trickle in,
and most files of the inbox were judged by the run before. A workbook's verdict depends on its
bytes and on nothing else but the catalog, this code, the office key and the reading limits:
the store is signed with the key, the others make its `fingerprint`, and each verdict is kept
under the sha256 of its bytes.
A later run with the same fingerprint reads each inbox file once, hashes it, checks the file's
archive entry against those bytes (`ledger.stage`, as a worker would), and takes the verdict
under the file's own name and arrival instead of judging it again.

Kept: a workbook's own verdict, with whether the officer had accepted it by name. Not kept: an
e-mail's or a zip's (their workbooks carry their envelope), a verdict of the moment
(`twins.holds_for_its_bytes`). The store is one file in the state folder, rewritten whole by every
run that commits (it holds that run's files, so it does not grow with the campaign). A store
that is damaged, stale or not signed with this office's key is ignored, as if absent — its
signature is checked before anything in it is unpickled — and a store that cannot be written
only costs the next run its speed.
"""

from __future__ import annotations

import contextlib
import hashlib
import pickle
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from indicator_kit.catalog.spec import Spec
from indicator_kit.collect.inbox import display_name, read_once
from indicator_kit.collect.limits import Limits
from indicator_kit.collect.model import NOT_ARCHIVED, Submission
from indicator_kit.collect.twins import holds_for_its_bytes, relabelled
from indicator_kit.kept import code_hash, keep, read_signed, signed
from indicator_kit.ledger import stage

STORE = "judged.pickle"  # in the state folder, beside the ledger
_KIND = b"indicator-kit verdicts 1\n"


def fingerprint(spec: Spec, limits: Limits) -> str | None:
    """Everything a workbook's verdict depends on besides its bytes and the office key (the store
    is signed with it): the whole spec (`repr` of its frozen data classes: the catalog, rules,
    agencies, reference figures and bands), this code and its readers, and the limits that decide
    what is read (not the per-file time and memory bounds: verdicts of the moment are not kept;
    not `accepted`: kept per file). None: no store can be trusted (see `kept.code_hash`)."""
    code = code_hash()
    if code is None:
        return None
    reading = replace(limits, accepted=frozenset(), seconds_per_file=0.0, memory_per_file_bytes=0)
    digest = hashlib.sha256(code.encode())
    for part in (repr(spec), repr(reading)):
        digest.update(part.encode("utf-8"))
    return digest.hexdigest()


@dataclass
class Recalled:
    """The verdicts a store holds (sha256 → whether accepted by name, the pickled verdict)."""

    fingerprint: str
    entries: dict[str, tuple[bool, bytes]] = field(default_factory=dict)


def load(state_dir: Path, fingerprint: str | None) -> Recalled | None:
    """The store's verdicts when it was written under `fingerprint` and signed with the office
    key, else none; None when no store can be used. The signature is checked before anything is
    unpickled: a store written by other hands (another workspace, a damaged or crafted file) is
    never read, as if absent."""
    if fingerprint is None:
        return None
    payload = read_signed(state_dir / STORE, _KIND)
    if payload is not None:
        with contextlib.suppress(Exception):  # (signed: only a bug of ours could make it unreadable)
            stored = pickle.loads(payload)
            if stored["fingerprint"] == fingerprint:
                return Recalled(fingerprint, dict(stored["entries"]))
    return Recalled(fingerprint)


def prepared(
    recalled: Recalled, submissions: list[Submission], limits: Limits, carried: Sequence[Submission] = ()
) -> bytes:
    """The store's next bytes: the verdicts of this run's workbooks (recalled ones included), and
    what it held of the bytes of `carried`; signed with the office key."""
    entries: dict[str, tuple[bool, bytes]] = {}
    for sub in submissions:
        if sub.sha256 in entries or not holds_for_its_bytes(sub):
            continue
        blob = recalled.entries.get(sub.sha256)
        accepted = limits.accept(sub.file, sub.sha256)
        if blob is None or blob[0] != accepted:
            neutral = replace(sub, seconds=0.0, peak_kb=0, archive=NOT_ARCHIVED)
            blob = (accepted, pickle.dumps(neutral, protocol=pickle.HIGHEST_PROTOCOL))
        entries[sub.sha256] = blob
    for sub in carried:
        if sub.sha256 not in entries and sub.sha256 in recalled.entries:
            entries[sub.sha256] = recalled.entries[sub.sha256]
    return signed(_KIND, pickle.dumps({"fingerprint": recalled.fingerprint, "entries": entries}, protocol=5))


def save(state_dir: Path, store: bytes) -> None:
    """Replace the store (after the run has committed: a failed run leaves the one before)."""
    keep(state_dir / STORE, store)


def verdicts_for(
    paths: list[Path],
    inbox: Path,
    recalled: Recalled,
    limits: Limits,
    archive: Path | None,
    done: Callable[[Submission], None] | None = None,
) -> dict[Path, list[Submission]]:
    """The verdicts the store holds for these files, each read once here (the others, and any
    file that cannot be read cleanly now, are left to the workers)."""
    found: dict[Path, list[Submission]] = {}
    if not recalled.entries:
        return found
    for path in paths:
        relative = display_name(path, inbox)
        read = read_once(path, relative, limits)
        if isinstance(read, Submission):
            continue  # a worker reads it again and says what is wrong
        data, mtime = read
        sha256 = hashlib.sha256(data).hexdigest()
        entry = recalled.entries.get(sha256)
        if entry is None or entry[0] != limits.accept(relative, sha256):
            continue
        try:
            sub: Submission = pickle.loads(entry[1])
        except Exception:  # (signed, so only a bug of ours could make it unreadable): judge afresh
            continue
        kept = stage(archive, sha256, relative, data, mtime) if archive is not None else NOT_ARCHIVED
        found[path] = [relabelled(sub, relative, mtime, kept)]
        if done is not None:
            done(found[path][0])
    return found
