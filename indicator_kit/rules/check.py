"""A `Check`: one rule on one column, "lhs relation rhs within tol, when every operand is
reported", and its compiled form (`Program`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING, NamedTuple

from indicator_kit.collect.numbers import format_number
from indicator_kit.findings import Code, Severity
from indicator_kit.rules.expr import Compiled, Expr, Ref, Values, compile_expr

if TYPE_CHECKING:
    from indicator_kit.catalog.model import Column
    from indicator_kit.rules.kind import Rule


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

    def message(self, outcome: Outcome) -> str:
        """The rule's Vietnamese message for a failure, from its template."""
        values = {name: format_number(v) for name, v in outcome.values.items()}
        return self.code.message.format_map(
            {**self.texts, **values, "diff": format_number(outcome.lhs - outcome.rhs)}
        )


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
