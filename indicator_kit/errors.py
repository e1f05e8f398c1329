"""Exceptions raised by the library. Only the CLI turns them into printed messages."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import ClassVar


class ExitCode(IntEnum):
    """What a script can read from the exit status (docs/ARCHITECTURE.md lists the same)."""

    OK = 0
    FINDINGS = 1  # the run finished; returns have errors or agencies still have work to do
    USAGE = 2  # the command, its options, the catalog, the workspace or the inbox must change
    FAULT = 3  # the machine refused: permission, disk full, a busy or damaged state folder
    CRASH = 4  # a bug in indicator-kit: an unexpected exception (details in a crash report)
    # The reader of the output went away (`indicator-kit status | head -1`): 128 + SIGPIPE, what a
    # shell reports for a program the closed pipe ended — never 1, which would read "findings".
    OUTPUT_CLOSED = 141


class IndicatorKitError(Exception):
    """Base class: every message is Vietnamese and addressed to the person running the tool.
    The exit code travels with the exception class; the CLI only maps it."""

    exit_code: ClassVar[ExitCode] = ExitCode.USAGE


class FaultError(IndicatorKitError):
    """The environment failed (permissions, disk space, a damaged ledger): not the user's input."""

    exit_code = ExitCode.FAULT


@dataclass(frozen=True)
class SpecProblem:
    file: str
    location: str  # "dòng 12, khóa 'unit'" or "" for the whole file
    problem: str

    def __str__(self) -> str:
        where = f"{self.file}, {self.location}" if self.location else self.file
        return f"{where}: {self.problem}"


class SpecError(IndicatorKitError):
    """One or more spec files are invalid; every problem found is listed, not just the first."""

    def __init__(self, problems: list[SpecProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))

    @classmethod
    def single(cls, file: str, location: str, problem: str) -> SpecError:
        return cls([SpecProblem(file, location, problem)])


class UnknownAgencyError(IndicatorKitError):
    """An agency slug given on the command line is not in agencies.yaml."""


class OutputLockedError(FaultError):
    """An output file cannot be replaced, usually because it is open in Excel."""
