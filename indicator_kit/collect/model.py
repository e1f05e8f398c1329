"""What the collector learned about one returned file."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from indicator_kit.collect.numbers import Status
from indicator_kit.findings import Finding, Severity
from indicator_kit.template.identity import TemplateIdentity


@dataclass(frozen=True, slots=True)
class CellResult:
    key: str
    column: str
    cell: str  # A1 address in the returned file
    status: Status
    value: float | None  # in the catalog's unit
    text: str | None = None  # what was typed, when it was text
    usable: bool = True  # False when this cell has an error finding


@dataclass
class Submission:
    file: str  # relative to the inbox
    sha256: str
    size: int
    mtime: float
    kind: str = ""
    agency: str | None = None
    identity: TemplateIdentity | None = None
    identified_by: str = ""
    saved_at: datetime | None = None
    sheet: str = ""
    cells: dict[tuple[str, str], CellResult] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    refused: bool = False  # nothing could be read from it
    verified: bool = False  # identity signed with the office's key, or accepted by the officer
    seconds: float = 0.0  # time spent reading it (for the robustness report)
    peak_kb: int = 0  # peak memory of the process that read it

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.WARNING)

    @property
    def answered(self) -> int:
        return sum(1 for c in self.cells.values() if c.status in (Status.NUMBER, Status.NO_DATA))

    @property
    def verdict(self) -> str:
        if self.refused:
            return "refused"
        return "read-with-findings" if self.errors or self.warnings else "read"
