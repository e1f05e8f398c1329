"""What the collector learned about one returned file."""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import lru_cache

from xlsxwriter.utility import xl_col_to_name

from indicator_kit.collect.envelope import Envelope
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
STATUS_CODE = {status: i for i, status in enumerate(_STATUSES)}
NUMBER = STATUS_CODE[Status.NUMBER]
_SHARED: dict[tuple[object, ...], tuple[tuple[object, ...], dict[object, int]]] = {}


def _shared(items: tuple[object, ...]) -> tuple[tuple[object, ...], dict[object, int]]:
    """One copy of a tuple of row keys (or column ids or positions) and of its index, for all
    files of the same shape: memory stays flat however many files there are."""
    found = _SHARED.get(items)
    if found is None:
        found = _SHARED[items] = (items, {item: i for i, item in enumerate(items)})
    return found


@lru_cache(maxsize=256)
def column_letters(col: int) -> str:
    """0 → A, 25 → Z, 26 → AA (cached: addresses are made for every finding and master cell)."""
    return xl_col_to_name(col)


class CellTableBuilder:
    """Collects one return's cells row by row (every value column of each input row, in column
    order), straight into the compact columns of a `CellTable`."""

    __slots__ = ("columns", "numbers", "rows", "status", "texts", "usable", "values")

    def __init__(self, columns: tuple[str, ...]) -> None:
        self.columns = columns
        self.rows: list[str] = []
        self.values = array("d")
        self.numbers = array("d")  # the value where it is a usable number, else NaN (for the rules)
        self.status = bytearray()
        self.usable = bytearray()
        self.texts: dict[int, str] = {}

    def start_row(self, key: str) -> None:
        """The next len(columns) cells added belong to row `key`."""
        self.rows.append(key)

    def add(self, status: Status, value: float | None, text: str | None, usable: bool) -> None:
        if text is not None:
            self.texts[len(self.values)] = text
        self.values.append(math.nan if value is None else value)
        self.numbers.append(value if status is Status.NUMBER and usable and value is not None else math.nan)
        self.status.append(STATUS_CODE[status])
        self.usable.append(usable)

    def add_numbers(self, key: str, values: list[float]) -> None:
        """A whole row of plain, usable numbers."""
        self.rows.append(key)
        self.values.extend(values)
        self.numbers.extend(values)
        self.status.extend(bytes([NUMBER]) * len(values))
        self.usable.extend(b"\x01" * len(values))

    def build(self, sheet_rows: dict[str, int], sheet_cols: dict[str, int]) -> CellTable:
        """`sheet_rows`/`sheet_cols`: where each catalog row and column was found (0-based)."""
        rows = tuple(self.rows)
        table = CellTable.__new__(CellTable)
        table._set(
            rows,
            self.columns,
            tuple(sheet_rows[k] for k in rows),
            tuple(sheet_cols[c] for c in self.columns),
            self.values,
            bytes(self.status),
            bytes(self.usable),
            self.texts,
        )
        table._numbers = self.numbers
        return table


class CellTable(Mapping[tuple[str, str], CellResult]):
    """A return's cells, compact: a float, a status byte and a flag per cell (row by row), with
    the row keys, column ids and positions shared between files of the same shape. Reads like a
    dict of CellResult keyed by (row key, column id)."""

    __slots__ = (
        "_col_at",
        "_col_index",
        "_columns",
        "_numbers",
        "_row_at",
        "_row_index",
        "_rows",
        "_status",
        "_texts",
        "_usable",
        "_values",
    )

    def _set(
        self,
        rows: tuple[str, ...],
        columns: tuple[str, ...],
        row_at: tuple[int, ...],
        col_at: tuple[int, ...],
        values: array,  # type: ignore[type-arg]
        status: bytes,
        usable: bytes,
        texts: dict[int, str],
    ) -> None:
        self._rows, self._row_index = _shared(rows)  # type: ignore[assignment]
        self._columns, self._col_index = _shared(columns)  # type: ignore[assignment]
        self._row_at, self._col_at = _shared(row_at)[0], _shared(col_at)[0]
        self._values, self._status, self._usable, self._texts = values, status, usable, texts
        self._numbers: array | None = None  # type: ignore[type-arg]

    def __reduce__(self) -> tuple[object, ...]:
        # Only row keys and column ids cross the process boundary, not one key per cell.
        state = (self._rows, self._columns, self._row_at, self._col_at)
        return (_rebuild, (*state, self._values, self._status, self._usable, self._texts))

    def position(self, key: tuple[str, str]) -> int | None:
        """Where the cell sits in `numbers_array` (None when the table has no such cell)."""
        r, c = self._row_index.get(key[0]), self._col_index.get(key[1])
        if r is None or c is None:
            return None
        return r * len(self._columns) + c

    def address(self, key: tuple[str, str]) -> str:
        """The cell's A1 address in the returned sheet."""
        row, col = self._row_at[self._row_index[key[0]]], self._col_at[self._col_index[key[1]]]
        return f"{column_letters(col)}{row + 1}"

    def __getitem__(self, key: tuple[str, str]) -> CellResult:
        i = self.position(key)
        if i is None:
            raise KeyError(key)
        value = self._values[i]
        return CellResult(
            key[0],
            key[1],
            self.address(key),
            _STATUSES[self._status[i]],
            None if math.isnan(value) else value,
            self._texts.get(i),
            bool(self._usable[i]),
        )

    def number(self, key: tuple[str, str]) -> float | None:
        """The cell's value when it is a usable number (what the rules compute with), else None."""
        i = self.position(key)
        if i is None or self._status[i] != NUMBER or not self._usable[i]:
            return None
        return self._values[i]

    @property
    def shape(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Row keys and column ids: the same objects for every table of the same shape."""
        return self._rows, self._columns

    @property
    def numbers_array(self) -> array:  # type: ignore[type-arg]
        """Per position, the value where the cell is a usable number, else NaN."""
        if self._numbers is None:  # not sent between processes: rebuilt on demand
            self._numbers = array(
                "d",
                (
                    v if s == NUMBER and u else math.nan
                    for v, s, u in zip(self._values, self._status, self._usable, strict=True)
                ),
            )
        return self._numbers

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return ((key, column) for key in self._rows for column in self._columns)

    def __len__(self) -> int:
        return len(self._rows) * len(self._columns)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, tuple) and len(key) == 2 and self.position(key) is not None  # type: ignore[arg-type]

    def changed_keys(self, other: CellTable) -> list[tuple[str, str]]:
        """Sorted keys whose status, value or typed text differ between the two tables (every
        key of either table when their shapes differ). Unchanged cells cost nothing to skip."""
        if self._rows is not other._rows or self._columns is not other._columns:
            return sorted(set(self) | set(other))
        width = len(self._columns)
        # values compared as bits (NaN equals NaN), a row at a time: few rows change
        positions = set(_differing(self._values.tobytes(), other._values.tobytes(), 8, width))
        positions.update(_differing(self._status, other._status, 1, width))
        if self._texts != other._texts:
            texts = self._texts.keys() | other._texts.keys()
            positions.update(i for i in texts if self._texts.get(i) != other._texts.get(i))
        return sorted((self._rows[i // width], self._columns[i % width]) for i in positions)

    def count(self, *statuses: Status) -> int:
        """Cells with one of these statuses, without building a CellResult for each."""
        return sum(self._status.count(STATUS_CODE[status]) for status in statuses)


def _differing(mine: bytes, theirs: bytes, size: int, width: int) -> list[int]:
    """Positions of the `size`-byte items that differ, comparing a row of `width` items first."""
    found: list[int] = []
    if mine == theirs:
        return found
    row = size * width
    for start in range(0, len(mine), row):
        if mine[start : start + row] != theirs[start : start + row]:
            for at in range(start, start + row, size):
                if mine[at : at + size] != theirs[at : at + size]:
                    found.append(at // size)
    return found


def _rebuild(*state: object) -> CellTable:
    table = CellTable.__new__(CellTable)
    table._set(*state)  # type: ignore[arg-type]
    return table


EMPTY_TABLE = CellTableBuilder(()).build({}, {})


class Archived(StrEnum):
    """What the worker that judged a file did with its bytes in the evidence archive."""

    NOT = ""  # nothing to keep (the file was not read) or no archive for this command
    PRESENT = "present"  # the archive already holds exactly these bytes
    STAGED = "staged"  # written beside the entry under a temporary name, read back and equal
    REPAIRED = "repaired"  # as STAGED, replacing an entry whose bytes did not match its name
    FAILED = "failed"  # could not be written (see ArchiveNote.errno)


@dataclass(frozen=True, slots=True)
class ArchiveNote:
    state: Archived = Archived.NOT
    partial: str = ""  # STAGED/REPAIRED: the temporary file the parent renames into place
    errno: int = 0  # FAILED: the operating system's error
    path: str = ""  # FAILED: what could not be written


NOT_ARCHIVED = ArchiveNote()


@dataclass
class Submission:
    file: str  # relative to the inbox, NFC
    sha256: str
    size: int
    mtime: float
    kind: str = ""
    agency: str | None = None
    identity: TemplateIdentity | None = None
    identified_by: str = ""
    saved_at: datetime | None = None
    sheet: str = ""
    cells: CellTable = field(default_factory=lambda: EMPTY_TABLE)
    notes: dict[str, str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    refused: bool = False  # nothing could be read from it
    verified: bool = False  # identity signed with the office's key, or accepted by the officer
    seconds: float = 0.0  # time spent reading it (for the robustness report)
    peak_kb: int = 0  # peak memory of the process that read it
    # A workbook taken out of an e-mail or zip: where it came from, and its bytes (there is no
    # file of its own in the inbox to archive it from).
    envelope: Envelope | None = None
    extracted: bytes | None = None
    # An e-mail or zip as received: the locations of the workbooks taken out of it.
    opened: tuple[str, ...] = ()
    # The e-mail's sender against the agency's address in agencies.yaml (None: nothing to compare).
    sender_matches: bool | None = None
    archive: ArchiveNote = NOT_ARCHIVED  # the judged bytes, kept by the worker that read them

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> int:
        """Warnings still to look at; those the agency explained in "Ghi chú" are `explained`."""
        return sum(1 for f in self.findings if f.severity is Severity.WARNING and not f.justification)

    @property
    def explained(self) -> int:
        return sum(1 for f in self.findings if f.explained)

    @property
    def answered(self) -> int:
        return self.cells.count(Status.NUMBER, Status.NO_DATA)

    @property
    def verdict(self) -> str:
        if self.opened:
            return "opened"
        if self.refused:
            return "refused"
        return "read-with-findings" if self.errors or self.warnings else "read"
