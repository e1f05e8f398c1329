"""Rules, their kinds and their checks, in one module because each refers to the others: a
`Rule` (one entry of checks.yaml) holds its kind's operands, a `RuleKind` expands a rule into
`Check`s, and a check knows its rule.

Rule kinds: each is one module in `indicator_kit/rules/kinds/` holding one `RuleKind` class,
registered here with `@register`. The class is the kind's typed operands (a frozen data class
read from checks.yaml) and carries everything else the kind needs: its JSON schema, its finding
code and Vietnamese message template, its expansion into `Check` trees, and how it makes
rule-consistent sample values. A `Check` says, for one rule and one column, "lhs relation rhs
within tol, when every operand is reported"; `Program` is its compiled form.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import MISSING, dataclass, field, fields
from enum import StrEnum
from functools import cached_property
from typing import Any, ClassVar, NamedTuple, Protocol, Self, TypeVar

from indicator_kit.catalog.model import Campaign, Column, Row
from indicator_kit.collect.numbers import format_number
from indicator_kit.findings import Code, Severity, register_code, template_fields
from indicator_kit.rules.expr import Compiled, Expr, Num, Ref, Values, compile_expr


class Catalog(Protocol):
    """What rule kinds read of the spec. `catalog.spec.Catalog` is one; it is not imported here
    because it holds the rules (the spec is built from rules, rules are expanded over a spec)."""

    @property
    def campaign(self) -> Campaign: ...

    @property
    def row_by_key(self) -> Mapping[str, Row]: ...

    @property
    def input_rows(self) -> list[Row]: ...


class Relation(StrEnum):
    EQ = "eq"
    LE = "le"
    GE = "ge"


def column_name(column: Column) -> str:
    return f"{column.group} {column.header}" if column.group and column.group != "Năm" else column.header


@dataclass(frozen=True, eq=False)  # compared by identity: each belongs to one compiled plan
class Check:
    rule: Rule
    column: Column
    anchor: str  # row key where a failure is reported
    operands: tuple[Ref, ...]  # must all be reported numbers for the check to run
    lhs: Expr
    relation: Relation
    rhs: Expr
    tol: Expr
    code: Code  # the finding a failure reports; its template makes the message
    severity: Severity
    texts: Mapping[str, str] = field(default_factory=dict)  # message placeholders known up front
    shown: Mapping[str, Expr] = field(default_factory=dict)  # message placeholders to compute

    @cached_property
    def program(self) -> Program:
        """The check compiled to closures, on first use in this process (the plan compiles every
        check before the collector forks its workers, so they share the result)."""
        return Program(self)

    def __getstate__(self) -> dict[str, object]:
        # closures do not pickle; a process that receives a check compiles it again
        return {k: v for k, v in self.__dict__.items() if k != "program"}

    def fields(self, outcome: Outcome, variant: str = "", **extra: str) -> dict[str, str]:
        """The fields of the message of a failure that its template (`variant`) names: from the
        check's texts, its computed values, `extra`, and {diff}, the left side minus the right."""
        given = {**self.texts, **{name: format_number(v) for name, v in outcome.values.items()}, **extra}
        given["diff"] = format_number(outcome.lhs - outcome.rhs)
        return {name: given[name] for name in template_fields(self.code.templates[variant])}

    def message(self, outcome: Outcome) -> str:
        """The rule's Vietnamese message for a failure, from its template."""
        return self.code.render("", self.fields(outcome))


_HOLDS: dict[Relation, Callable[[float, float, float], bool]] = {
    Relation.EQ: lambda lhs, rhs, tol: abs(lhs - rhs) <= tol,
    Relation.LE: lambda lhs, rhs, tol: lhs <= rhs + tol,
    Relation.GE: lambda lhs, rhs, tol: lhs >= rhs - tol,
}


class Program:
    """A check's expressions as closures. The tolerance is compiled the first time a check is not
    met exactly, the message's values the first time it fails: most checks never need them."""

    def __init__(self, check: Check) -> None:
        self.check = check
        self.slot = {ref: i for i, ref in enumerate(check.operands)}
        self.lhs, self.rhs = compile_expr(check.lhs, self.slot), compile_expr(check.rhs, self.slot)
        self.holds = _HOLDS[check.relation]

    def passes(self, values: Values) -> bool | None:
        """Whether the check holds for its operands' values (None: a divisor is zero). The
        collector asks this of every check; the details are built only for a failure."""
        try:
            lhs, rhs = self.lhs(values), self.rhs(values)
            epsilon = 1e-9 * max(1.0, abs(lhs), abs(rhs))  # binary floating point, not a tolerance
            return self.holds(lhs, rhs, epsilon) or self.holds(lhs, rhs, self.tol(values) + epsilon)
        except ZeroDivisionError:
            return None

    @cached_property
    def tol(self) -> Compiled:
        return compile_expr(self.check.tol, self.slot)

    @cached_property
    def shown(self) -> tuple[tuple[str, Compiled], ...]:
        return tuple((name, compile_expr(e, self.slot)) for name, e in self.check.shown.items())


class Outcome(NamedTuple):
    check: Check
    passed: bool
    lhs: float
    rhs: float
    tol: float
    values: dict[str, float]  # the message's computed placeholders (only for a failure)


def run_check(check: Check, lookup: Callable[[Ref], float | None]) -> Outcome | None:
    """None when the check cannot run (an operand missing, or a zero divisor)."""
    values: list[float] = []
    for ref in check.operands:
        value = lookup(ref)
        if value is None:
            return None
        values.append(value)
    return check_values(check, values)


def check_values(check: Check, values: Values) -> Outcome | None:
    """`run_check` with every operand's value given, in `check.operands` order."""
    compiled = check.program
    passed = compiled.passes(values)
    if passed is None:
        return None
    lhs, rhs = compiled.lhs(values), compiled.rhs(values)
    epsilon = 1e-9 * max(1.0, abs(lhs), abs(rhs))
    if compiled.holds(lhs, rhs, epsilon):  # exact: the tolerance is not needed
        return Outcome(check, True, lhs, rhs, epsilon, {})
    shown = {} if passed else {name: f(values) for name, f in compiled.shown}
    return Outcome(check, passed, lhs, rhs, compiled.tol(values) + epsilon, shown)


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

    def problems(self, spec: Catalog) -> Iterator[tuple[str, str]]:
        """(operand field, Vietnamese problem) the schema cannot see; keys are checked by the loader."""
        return iter(())

    def expand(self, rule: Rule, spec: Catalog) -> Iterator[Check]:
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

    def checks(self, spec: Catalog) -> list[Check]:
        return list(self.operands.expand(self, spec))


def previous_year(spec: Catalog, column: Column) -> Column | None:
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
        {"column_name": column_name(column), **texts},
        shown,
    )
