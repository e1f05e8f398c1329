"""Limits that keep a hostile or broken file from hanging the run or exhausting the machine,
and the files the officer accepts despite an unverified identity.

Sizes are checked from the zip directory before any parser runs; time and memory are bounded by
reading each file in a worker process that is stopped when it overruns. Defaults are generous
for real returns (a template is ~50 KB) and small next to the machine.
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from indicator_kit.findings import Message

MB = 2**20


class Arrival(StrEnum):
    """What a return's first arrival is judged by (`--arrival`)."""

    INBOX = "inbox"  # the time the file landed in the inbox folder (its modification time)
    MAIL_DATE = "mail-date"  # for a workbook that came in an e-mail: the message's Date header


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int = 25 * MB  # the file as received
    max_uncompressed_bytes: int = 200 * MB  # all zip members together, as the directory states
    max_members: int = 2000  # zip members (a workbook has a few dozen)
    max_cells: int = 500_000  # cells in one sheet, from its dimensions (a template has ~3 000)
    seconds_per_file: float = 30.0  # a worker reading one file longer than this is stopped
    memory_per_file_bytes: int = 1024 * MB  # address space a worker may add while reading a file
    max_depth: int = 5  # e-mails and zips inside each other (a forwarded, zipped return is 3)
    accepted: frozenset[str] = frozenset()  # files (path, name or sha256) accepted despite their identity

    arrival: Arrival = Arrival.INBOX

    def accept(self, file: str, sha256: str) -> bool:
        return bool(self.accepted & {file, file.rsplit("/", 1)[-1], sha256})

    def unmatched(self, files: list[tuple[str, str]]) -> list[str]:
        """The --accept names that accepted none of these (file, sha256): a typo would otherwise
        leave the file unverified without a word."""
        seen = {name for file, sha256 in files for name in (file, file.rsplit("/", 1)[-1], sha256)}
        return sorted(self.accepted - seen)


DEFAULT_LIMITS = Limits()


def too_large(data: bytes, members: Sequence[zipfile.ZipInfo], limits: Limits) -> Message | None:
    """Why the file exceeds a size limit (a `file-too-large` message), from the zip directory only."""
    if len(data) > limits.max_file_bytes:
        return Message(
            "file-too-large", "file", {"size_mb": len(data) / MB, "limit_mb": limits.max_file_bytes / MB}
        )
    if len(members) > limits.max_members:
        return Message("file-too-large", "members", {"count": len(members), "limit": limits.max_members})
    inflated = sum(m.file_size for m in members)
    if inflated > limits.max_uncompressed_bytes:
        return Message(
            "file-too-large",
            "inflated",
            {"size_mb": inflated / MB, "limit_mb": limits.max_uncompressed_bytes / MB},
        )
    return None
