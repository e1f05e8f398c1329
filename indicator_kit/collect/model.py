"""What the collector learned about one returned file."""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterator, Mapping
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


_STATUSES = list(Status)
_SHARED: dict[tuple[object, ...], tuple[object, ...]] = {}


def _shared(items: tuple[object, ...]) -> tuple[object, ...]:
    """One copy of a key or address tuple for all files of an agency (memory stays flat)."""
    return _SHARED.setdefault(items, items)


class CellTable(Mapping[tuple[str, str], CellResult]):
    """A return's cells, compact: a float, a status byte and a flag per cell in layout order,
    with the keys and addresses shared between files. Reads like a dict of CellResult."""

    __slots__ = ("_addresses", "_index", "_keys", "_status", "_texts", "_usable", "_values")

    def __init__(self, cells: Mapping[tuple[str, str], CellResult]) -> None:
        ordered = list(cells.values())
        self._set(
            tuple((c.key, c.column) for c in ordered),
            tuple(c.cell for c in ordered),
            array("d", [math.nan if c.value is None else c.value for c in ordered]),
            bytes(_STATUSES.index(c.status) for c in ordered),
            bytes(c.usable for c in ordered),
            {i: c.text for i, c in enumerate(ordered) if c.text is not None},
        )

    def _set(
        self,
        keys: tuple[object, ...],
        addresses: tuple[object, ...],
        values: array,
        status: bytes,  # type: ignore[type-arg]
        usable: bytes,
        texts: dict[int, str],
    ) -> None:
        self._keys = _shared(keys)
        self._addresses = _shared(addresses)
        self._index = {k: i for i, k in enumerate(self._keys)}
        self._values, self._status, self._usable, self._texts = values, status, usable, texts

    def __reduce__(self) -> tuple[object, ...]:
        return (
            _rebuild,
            (self._keys, self._addresses, self._values, self._status, self._usable, self._texts),
        )

    def __getitem__(self, key: tuple[str, str]) -> CellResult:
        i = self._index[key]
        value = self._values[i]
        return CellResult(
            key[0],
            key[1],
            self._addresses[i],
            _STATUSES[self._status[i]],  # type: ignore[arg-type]
            None if math.isnan(value) else value,
            self._texts.get(i),
            bool(self._usable[i]),
        )

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._keys)  # type: ignore[arg-type]

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, key: object) -> bool:
        return key in self._index

    def count(self, *statuses: Status) -> int:
        """Cells with one of these statuses, without building a CellResult for each."""
        return sum(self._status.count(_STATUSES.index(status)) for status in statuses)


def _rebuild(*state: object) -> CellTable:
    table = CellTable.__new__(CellTable)
    table._set(*state)  # type: ignore[arg-type]
    return table


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
    cells: Mapping[tuple[str, str], CellResult] = field(default_factory=dict)
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
        if isinstance(self.cells, CellTable):
            return self.cells.count(Status.NUMBER, Status.NO_DATA)
        return sum(1 for c in self.cells.values() if c.status in (Status.NUMBER, Status.NO_DATA))

    @property
    def verdict(self) -> str:
        if self.refused:
            return "refused"
        return "read-with-findings" if self.errors or self.warnings else "read"
