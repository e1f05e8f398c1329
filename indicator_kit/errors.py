"""Exceptions raised by the library. Only the CLI turns them into printed messages."""

from __future__ import annotations

from dataclasses import dataclass


class IndicatorKitError(Exception):
    """Base class: every message is Vietnamese and addressed to the person running the tool."""


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


class OutputLockedError(IndicatorKitError):
    """An output file cannot be replaced, usually because it is open in Excel."""
