"""Rule kinds: each is one module in `indicator_kit/rules/kinds/` holding one `RuleKind` class,
registered here with `@register`. The class is the kind's typed operands (a frozen data class
read from checks.yaml) and carries everything else the kind needs: its JSON schema, its finding
code and Vietnamese message template, its expansion into `Check` trees, and how it makes
rule-consistent sample values.
"""

from __future__ import annotations

import string
from collections.abc import Iterator, Mapping
from dataclasses import MISSING, dataclass, fields
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeVar

from indicator_kit.findings import Code, Severity, register_code
from indicator_kit.rules.check import Check, Relation, column_name
from indicator_kit.rules.expr import Expr, Num, Ref

if TYPE_CHECKING:
    from indicator_kit.catalog.model import Column, Spec

KEY_SCHEMA: dict[str, Any] = {"type": "string", "pattern": r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$"}
KEYS_SCHEMA: dict[str, Any] = {"type": "array", "minItems": 1, "items": KEY_SCHEMA}


class Scope(StrEnum):
    WORKBOOK = "workbook"  # checked in each return (and shown live in the template when it can be)
    MERGE = "merge"  # checked on the master table only


class SampleValues:
    """Values the sample generator is settling, one per input row (year columns alike), and the
    rows whose value a kind has fixed so that others must follow them."""

    def __init__(self, values: dict[str, float]) -> None:
        self.values = values
        self.fixed: set[str] = set()

    def __getitem__(self, key: str) -> float:
        return self.values[key]

    def __setitem__(self, key: str, value: float) -> None:
        self.values[key] = value


@dataclass(frozen=True)
class RuleKind:
    """Base of every rule kind. Subclasses are frozen data classes whose fields are the kind's
    operands as checks.yaml names them; the class variables describe the kind."""

    name: ClassVar[str]  # as written in checks.yaml (`kind: sum`)
    summary: ClassVar[str]  # one line for docs/spec-format.md (English)
    codes: ClassVar[tuple[Code, ...]]  # the findings its checks report, with their message templates
    # rendered as live formulas in the template's "Kiểm tra" column: its checks whose code has a
    # `short` text (the others are the collector's alone)
    live: ClassVar[bool] = False
    schema: ClassVar[Mapping[str, Any]] = {}  # JSON schema of each operand field

    @classmethod
    def from_yaml(cls, item: Mapping[str, Any]) -> Self:
        """The operands from a checks.yaml entry already validated by `schema` (lists → tuples)."""
        values = {}
        for f in fields(cls):
            if f.name in item:
                value = item[f.name]
                values[f.name] = tuple(value) if isinstance(value, list) else value
        return cls(**values)

    @classmethod
    def required(cls) -> list[str]:
        return [f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING]

    def row_keys(self) -> tuple[str, ...]:
        """Every catalog key the rule reads."""
        return ()

    def problems(self, spec: Spec) -> Iterator[tuple[str, str]]:
        """(operand field, Vietnamese problem) the schema cannot see; keys are checked by the loader."""
        return iter(())

    def expand(self, rule: Rule, spec: Spec) -> Iterator[Check]:
        """Every check the rule makes (per column, per share, per row as the kind requires)."""
        raise NotImplementedError

    def sample_seed(self, values: SampleValues) -> None:
        """Sample generation, first step: values this kind decides outright (once)."""

    def sample_settle(self, values: SampleValues) -> None:
        """Sample generation, repeated: move values towards satisfying the rule."""


KINDS: dict[str, type[RuleKind]] = {}
K = TypeVar("K", bound=type[RuleKind])


def register(kind: K) -> K:
    """Class decorator of a rule kind's module: the one place a kind becomes known."""
    if kind.name in KINDS:
        raise ValueError(f"rule kind {kind.name!r} registered twice")
    for code in kind.codes:
        if not code.message:
            raise ValueError(f"rule kind {kind.name!r}: code {code.code!r} needs its message template")
        register_code(code)
    if kind.live and not any(code.short for code in kind.codes):
        raise ValueError(f"rule kind {kind.name!r} is live but no code has a short text")
    KINDS[kind.name] = kind
    return kind


def template_fields(template: str) -> set[str]:
    """The {placeholders} a message template names."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@dataclass(frozen=True)
class Rule:
    """One entry of checks.yaml."""

    id: str
    operands: RuleKind
    severity: Severity
    scope: Scope = Scope.WORKBOOK
    tolerance: float | None = None  # None: from the rounding of the operands
    note: str | None = None

    @property
    def kind(self) -> type[RuleKind]:
        return type(self.operands)

    @property
    def live(self) -> bool:
        """Shown in the template's "Kiểm tra" column (when its operands are in the template)."""
        return self.kind.live and self.scope is Scope.WORKBOOK

    def row_keys(self) -> tuple[str, ...]:
        return self.operands.row_keys()

    def checks(self, spec: Spec) -> list[Check]:
        return list(self.operands.expand(self, spec))


def previous_year(spec: Spec, column: Column) -> Column | None:
    if not column.is_year:
        return None
    return next(
        (
            c
            for c in spec.campaign.columns
            if c.is_year and c.area == column.area and c.first_year == column.first_year - 1
        ),
        None,
    )


def make_check(
    rule: Rule,
    column: Column,
    *,
    anchor: str,
    operands: tuple[Ref, ...],
    lhs: Expr,
    relation: Relation,
    rhs: Expr,
    rounding: Expr,
    texts: Mapping[str, str],
    shown: Mapping[str, Expr],
    code: Code | None = None,
    severity: Severity | None = None,
) -> Check:
    """A check of `rule`; its tolerance is the rule's own when checks.yaml gives one, else
    `rounding` (what the rounding of the operands can explain). The code and severity are the
    kind's first and the rule's unless given."""
    return Check(
        rule,
        column,
        anchor,
        operands,
        lhs,
        relation,
        rhs,
        Num(rule.tolerance) if rule.tolerance is not None else rounding,
        code or rule.kind.codes[0],
        severity or rule.severity,
        {"column": column_name(column), **texts},
        shown,
    )
