"""The catalog's parts as typed, immutable data: rows, agencies, columns, the campaign.

`catalog.spec.Spec` holds them together with the rules, plausibility bands and reference
figures; this module imports none of those, so they can all use these types."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class RowKind(StrEnum):
    SECTION = "section"
    GROUP = "group"
    INPUT = "input"


# The catalog's units that count in percent (a value typed as 8,5 means 8,5 %).
PERCENT_UNITS = frozenset({"%", "%/năm"})


class ValueType(StrEnum):
    AMOUNT = "amount"  # money, area, per-capita values: decimal
    COUNT = "count"  # whole number >= 0
    SHARE = "share"  # percent that cannot exceed 100 (structure, coverage, attainment)
    GROWTH = "growth"  # percent change, may be negative
    RATE = "rate"  # other percent, may be negative or exceed 100
    INDEX = "index"  # index or score (PCI, HDI, IIP)
    RATIO = "ratio"  # coefficient (ICOR, doctors per 10 000 people)


class PeriodAggregate(StrEnum):
    SUM = "sum"
    MEAN = "mean"
    AVERAGE_GROWTH = "average_growth"
    LAST = "last"
    NONE = "none"


@dataclass(frozen=True)
class Row:
    key: str
    tt: str
    label: str
    kind: RowKind
    parent: str | None
    seed_line: int
    unit: str | None = None
    value_type: ValueType | None = None
    period: PeriodAggregate = PeriodAggregate.NONE
    period_level: str | None = None  # average growth: the level row it can be computed from
    printed_agencies: tuple[str, ...] = ()  # as written on this row (after corrections)
    agencies: tuple[str, ...] = ()  # effective: own or inherited, lead first
    italic: bool = False
    source_note: str | None = None
    printed: dict[str, str] = field(default_factory=dict)

    @property
    def is_input(self) -> bool:
        return self.kind is RowKind.INPUT

    @property
    def lead(self) -> str:
        return self.agencies[0]


@dataclass(frozen=True)
class Agency:
    slug: str
    name: str
    short_name: str
    aliases: tuple[str, ...] = ()
    email: str = ""
    contact_person: str = ""
    phone: str = ""


@dataclass(frozen=True)
class Column:
    id: str
    number: str
    header: str
    area: str
    first_year: int
    last_year: int
    group: str | None = None

    @property
    def is_year(self) -> bool:
        return self.first_year == self.last_year

    @property
    def title(self) -> str:
        """The column as the printed table heads it: "Năm 2021", "Giai đoạn 2014–2018",
        "Giai đoạn 2019–2023 – Hải Phòng" (for lists people read, not for rule messages)."""
        if not self.group:
            return self.header
        return f"{self.group} {self.header}" if self.group == "Năm" else f"{self.group} – {self.header}"


@dataclass(frozen=True)
class Contact:
    name: str
    short_name: str
    email: str = ""
    contact_person: str = ""
    phone: str = ""


@dataclass(frozen=True)
class Campaign:
    id: str
    title: str
    annex: str
    annex_title: str
    legal_basis: str
    issuer: str
    issued: date
    deadline: date
    deadline_text: str
    template_version: str
    protection_password: str
    recipient: Contact
    areas: dict[str, str]
    columns: tuple[Column, ...]
    # After the deadline, reminders and correction requests ask for a reply this many working
    # days after the day they are written (Saturdays, Sundays and `holidays` are not counted).
    reply_working_days: int = 3
    holidays: tuple[date, ...] = ()

    def column(self, column_id: str) -> Column:
        return next(c for c in self.columns if c.id == column_id)


@dataclass(frozen=True)
class Exemption:
    """A row no rule covers on purpose (checks.yaml `exempt:`), with the reason."""

    row: str
    reason: str
