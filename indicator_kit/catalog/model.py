"""The spec as typed, immutable data: catalog rows, agencies, campaign, rules (`rules.Rule`)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import date
from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from indicator_kit.catalog.plausibility import Plausibility
    from indicator_kit.catalog.reference import Reference
    from indicator_kit.rules.kind import Rule


class RowKind(StrEnum):
    SECTION = "section"
    GROUP = "group"
    INPUT = "input"


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


def _no_plausibility() -> Plausibility:
    from indicator_kit.catalog.plausibility import NO_PLAUSIBILITY  # imports this module

    return NO_PLAUSIBILITY


def _no_reference() -> Reference:
    from indicator_kit.catalog.reference import EMPTY_REFERENCE  # imports this module

    return EMPTY_REFERENCE


@dataclass(frozen=True)
class Exemption:
    """A row no rule covers on purpose (checks.yaml `exempt:`), with the reason."""

    row: str
    reason: str


@dataclass(frozen=True)
class Spec:
    rows: tuple[Row, ...]
    agencies: tuple[Agency, ...]
    campaign: Campaign
    rules: tuple[Rule, ...]
    exemptions: tuple[Exemption, ...] = ()  # rows deliberately without a rule (rule coverage)
    # What returns are compared with (warnings only); not part of `spec_hash`: swapping the
    # reference figures or bands does not make the templates sent out stale.
    plausibility: Plausibility = field(default_factory=lambda: _no_plausibility())
    reference: Reference = field(default_factory=lambda: _no_reference())

    @cached_property
    def row_by_key(self) -> dict[str, Row]:
        return {r.key: r for r in self.rows}

    @cached_property
    def agency_by_slug(self) -> dict[str, Agency]:
        return {a.slug: a for a in self.agencies}

    @cached_property
    def key_set(self) -> frozenset[str]:
        return frozenset(self.row_by_key)

    @property
    def input_rows(self) -> list[Row]:
        return [r for r in self.rows if r.is_input]

    @cached_property
    def _rows_by_agency(self) -> dict[str, tuple[Row, ...]]:
        return {a.slug: tuple(r for r in self.input_rows if a.slug in r.agencies) for a in self.agencies}

    def rows_for(self, slug: str) -> tuple[Row, ...]:
        """Input rows an agency reports, as lead or co-reporter, in printed order."""
        found = self._rows_by_agency.get(slug)
        if found is None:  # not an agency of the spec: whoever names it in a row
            return tuple(r for r in self.input_rows if slug in r.agencies)
        return found

    def ancestors(self, key: str) -> list[Row]:
        chain: list[Row] = []
        parent = self.row_by_key[key].parent
        while parent is not None:
            chain.append(self.row_by_key[parent])
            parent = self.row_by_key[parent].parent
        return chain

    @cached_property
    def spec_hash(self) -> str:
        """Short hash of everything a template depends on: changes when the catalog does."""
        payload = {
            "rows": [asdict(r) for r in self.rows],
            "columns": [asdict(c) for c in self.campaign.columns],
            "campaign": self.campaign.id,
            "rules": [asdict(r) for r in self.rules],
        }
        blob = json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:12]
