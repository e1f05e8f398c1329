"""Rules from checks.yaml expanded into concrete checks, each an expression tree.

A `Check` says, for one rule and one column, "lhs relation rhs within tol, when every operand
is reported". The same tree is evaluated in Python by the collector and rendered as an Excel
formula for the template's live "Kiểm tra" column (`template.formulas`), so the logic of a rule
is written once.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Literal, NamedTuple

from indicator_kit.catalog.model import Column, PeriodAggregate, Row, Rule, Spec

# --- expressions ------------------------------------------------------------------------


@dataclass(frozen=True)
class Ref:
    key: str
    column: str


@dataclass(frozen=True)
class Num:
    value: float


@dataclass(frozen=True)
class Add:
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class Sub:
    a: Expr
    b: Expr


@dataclass(frozen=True)
class Mul:
    a: Expr
    b: Expr


@dataclass(frozen=True)
class Div:
    a: Expr
    b: Expr


@dataclass(frozen=True)
class Abs:
    a: Expr


@dataclass(frozen=True)
class Max:
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class HalfUnit:
    """Half a unit of the last decimal the operand was typed with (12,5 → 0,05)."""

    ref: Ref


@dataclass(frozen=True)
class AverageGrowth:
    """Average annual growth (%) from yearly growth rates (%): geometric mean of (1 + g)."""

    args: tuple[Expr, ...]


Expr = Ref | Num | Add | Sub | Mul | Div | Abs | Max | HalfUnit | AverageGrowth
Relation = Literal["eq", "le", "ge"]


@lru_cache(maxsize=4096)  # an operand is in several checks; formatting it is the costly part
def decimals(value: float) -> int:
    """Decimals of a number as a spreadsheet shows it (15 significant digits)."""
    text = format(abs(value), ".15g")
    if "e" in text or "." not in text:
        return 0
    return len(text.split(".")[1])


Compiled = Callable[[list[float]], float]


def _compile(expr: Expr, slot: dict[Ref, int]) -> Compiled:
    """An expression tree as nested closures over the check's operand values, by position
    (built once per check; no text is evaluated and no cell is looked up twice)."""
    match expr:
        case Ref():
            i = slot[expr]
            return lambda v: v[i]
        case Num(value):
            return lambda v: value
        case Add(args) if all(isinstance(a, Ref) for a in args):  # a total of cells: most checks
            at = [slot[a] for a in args]  # type: ignore[index]
            return lambda v: math.fsum([v[i] for i in at])
        case Add(args):
            parts = [_compile(a, slot) for a in args]
            return lambda v: math.fsum(f(v) for f in parts)
        case Sub(a, b):
            fa, fb = _compile(a, slot), _compile(b, slot)
            return lambda v: fa(v) - fb(v)
        case Mul(a, b):
            fa, fb = _compile(a, slot), _compile(b, slot)
            return lambda v: fa(v) * fb(v)
        case Div(a, b):
            fa, fb = _compile(a, slot), _compile(b, slot)
            return lambda v: fa(v) / fb(v)
        case Abs(a):
            fa = _compile(a, slot)
            return lambda v: abs(fa(v))
        case Max(args) if all(isinstance(a, HalfUnit) for a in args):  # the usual rounding tolerance
            at = [slot[a.ref] for a in args]  # type: ignore[union-attr]
            return lambda v: 0.5 * 10 ** -min(decimals(v[i]) for i in at)  # the least precise
        case Max(args):
            parts = [_compile(a, slot) for a in args]
            return lambda v: max(f(v) for f in parts)
        case HalfUnit(ref):
            i = slot[ref]
            return lambda v: 0.5 * 10 ** -decimals(v[i])
        case AverageGrowth(args):
            parts = [_compile(a, slot) for a in args]

            def average(v: list[float]) -> float:
                product = math.prod(1 + f(v) / 100 for f in parts)
                if product <= 0:
                    raise ZeroDivisionError("growth below -100 %")
                return (product ** (1 / len(parts)) - 1) * 100

            return average
    raise TypeError(expr)


# --- checks -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    rule: Rule
    column: Column
    anchor: str  # row key where a failure is reported
    operands: tuple[Ref, ...]  # must all be reported numbers for the check to run
    lhs: Expr
    relation: Relation
    rhs: Expr
    tol: Expr
    texts: dict[str, str] = field(default_factory=dict)  # message placeholders known up front
    shown: dict[str, Expr] = field(default_factory=dict)  # message placeholders to compute

    @property
    def cells(self) -> tuple[Ref, ...]:
        return self.operands


class Program:
    """A check's expressions as closures. The tolerance is compiled the first time a check is not
    met exactly, the message's values the first time it fails: most checks never need them, and
    each worker process compiles the checks of every agency it meets."""

    def __init__(self, check: Check) -> None:
        self.check = check
        self.slot = {ref: i for i, ref in enumerate(check.operands)}
        self.lhs, self.rhs = _compile(check.lhs, self.slot), _compile(check.rhs, self.slot)
        self.holds = _HOLDS[check.relation]

    def passes(self, values: list[float]) -> bool | None:
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
        return _compile(self.check.tol, self.slot)

    @cached_property
    def shown(self) -> tuple[tuple[str, Compiled], ...]:
        return tuple((name, _compile(e, self.slot)) for name, e in self.check.shown.items())


_PROGRAMS: dict[int, Program] = {}


def program(check: Check) -> Program:
    """The check compiled, once per process."""
    found = _PROGRAMS.get(id(check))
    if found is None or found.check is not check:  # holding `check` keeps its id its own
        found = _PROGRAMS[id(check)] = Program(check)
    return found


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


def check_values(check: Check, values: list[float]) -> Outcome | None:
    """`run_check` with every operand's value given, in `check.operands` order."""
    compiled = program(check)
    passed = compiled.passes(values)
    if passed is None:
        return None
    lhs, rhs = compiled.lhs(values), compiled.rhs(values)
    epsilon = 1e-9 * max(1.0, abs(lhs), abs(rhs))
    if compiled.holds(lhs, rhs, epsilon):  # exact: the tolerance is not needed
        return Outcome(check, True, lhs, rhs, epsilon, {})
    shown = {} if passed else {name: f(values) for name, f in compiled.shown}
    return Outcome(check, passed, lhs, rhs, compiled.tol(values) + epsilon, shown)


_HOLDS: dict[Relation, Callable[[float, float, float], bool]] = {
    "eq": lambda lhs, rhs, tol: abs(lhs - rhs) <= tol,
    "le": lambda lhs, rhs, tol: lhs <= rhs + tol,
    "ge": lambda lhs, rhs, tol: lhs >= rhs - tol,
}


def _rounding(refs: list[Ref]) -> Expr:
    return Max(tuple(HalfUnit(r) for r in refs)) if len(refs) > 1 else HalfUnit(refs[0])


def _tolerance(rule: Rule, refs: list[Ref]) -> Expr:
    return Num(rule.tolerance) if rule.tolerance is not None else _rounding(refs)


def column_name(column: Column) -> str:
    return f"{column.group} {column.header}" if column.group and column.group != "Năm" else column.header


def _expand_one(rule: Rule, spec: Spec, column: Column) -> Iterator[Check]:
    o, rows = rule.operands, spec.row_by_key
    label: Callable[[str], str] = lambda key: rows[key].label  # noqa: E731
    col = column.id
    base = {"column": column_name(column)}
    if rule.kind in ("sum", "shares_100", "parts_within"):
        parts = [Ref(k, col) for k in o["parts"]]
        total_of_parts = Add(tuple(parts))
        if rule.kind == "sum":
            total = Ref(o["total"], col)
            yield Check(
                rule,
                column,
                o["total"],
                (total, *parts),
                total,
                "eq",
                total_of_parts,
                _tolerance(rule, [total, *parts]),
                {**base, "total_label": label(o["total"])},
                {"total": total, "sum": total_of_parts},
            )
        elif rule.kind == "shares_100":
            # Reported on the structure's own row ("Cơ cấu"), where the reader looks for it.
            anchor = rows[o["parts"][0]].parent or o["parts"][0]
            yield Check(
                rule,
                column,
                anchor,
                tuple(parts),
                total_of_parts,
                "eq",
                Num(100),
                _tolerance(rule, parts),
                {**base, "group_label": label(anchor)},
                {"sum": total_of_parts},
            )
        else:
            whole_key = o["whole"] if isinstance(o["whole"], str) else None
            whole: Expr = Ref(whole_key, col) if whole_key else Num(float(o["whole"]))
            refs = [*([whole] if isinstance(whole, Ref) else []), *parts]
            yield Check(
                rule,
                column,
                whole_key or o["parts"][0],
                tuple(refs),
                total_of_parts,
                "le",
                whole,
                _tolerance(rule, refs),
                {**base, "whole_label": label(whole_key) if whole_key else "100"},
                {"sum": total_of_parts, "whole": whole},
            )
    elif rule.kind == "share_of":
        total = Ref(o["total"], col)
        for share_key, part_key in zip(o["shares"], o["parts"], strict=True):
            share, part = Ref(share_key, col), Ref(part_key, col)
            expected = Mul(Div(part, total), Num(100))
            # Rounding of share, plus the rounding of part and total carried through the ratio.
            tol: Expr = (
                Num(rule.tolerance)
                if rule.tolerance is not None
                else Add(
                    (
                        HalfUnit(share),
                        Mul(
                            Num(100),
                            Add(
                                (
                                    Div(HalfUnit(part), Abs(total)),
                                    Div(Mul(Abs(part), HalfUnit(total)), Mul(total, total)),
                                )
                            ),
                        ),
                    )
                )
            )
            yield Check(
                rule,
                column,
                share_key,
                (share, part, total),
                share,
                "eq",
                expected,
                tol,
                {
                    **base,
                    "share_label": label(share_key),
                    "part_label": label(part_key),
                    "total_label": label(o["total"]),
                },
                {"share": share, "expected": expected},
            )
    elif rule.kind == "growth":
        previous = _previous_year(spec, column)
        if previous is None:
            return
        growth, level, before = (
            Ref(o["growth"], col),
            Ref(o["level"], col),
            Ref(o["level"], previous.id),
        )
        expected = Mul(Sub(Div(level, before), Num(1)), Num(100))
        yield Check(
            rule,
            column,
            o["growth"],
            (growth, level, before),
            growth,
            "eq",
            expected,
            _tolerance(rule, [growth]),
            {**base, "growth_label": label(o["growth"]), "level_label": label(o["level"])},
            {"growth": growth, "level": level, "previous": before, "expected": expected},
        )


PERIOD_WORDS = {
    PeriodAggregate.SUM: "tổng",
    PeriodAggregate.MEAN: "trung bình",
    PeriodAggregate.LAST: "giá trị năm cuối",
    PeriodAggregate.AVERAGE_GROWTH: "tốc độ tăng bình quân",
}


def _period_checks(rule: Rule, spec: Spec) -> Iterator[Check]:
    """Period columns whose every year is a year column of the same area, for rows whose
    catalog entry says how the period aggregates."""
    columns = spec.campaign.columns
    for column in columns:
        if column.is_year:
            continue
        years = [
            next((c for c in columns if c.is_year and c.area == column.area and c.first_year == y), None)
            for y in range(column.first_year, column.last_year + 1)
        ]
        if any(y is None for y in years):
            continue
        for row in spec.input_rows:
            if row.period is PeriodAggregate.NONE:
                continue
            value = Ref(row.key, column.id)
            refs = [Ref(row.key, y.id) for y in years if y is not None]
            halves: tuple[Expr, ...] = tuple(HalfUnit(r) for r in (value, *refs))
            if row.period is PeriodAggregate.SUM:
                expected: Expr = Add(tuple(refs))
                tol: Expr = Add(halves)  # rounding of every year adds up in a sum
            elif row.period is PeriodAggregate.MEAN:
                expected, tol = Div(Add(tuple(refs)), Num(len(refs))), Max(halves)
            elif row.period is PeriodAggregate.LAST:
                expected, tol = refs[-1], Max(halves)
            else:
                expected, tol = AverageGrowth(tuple(refs)), Add((Max(halves), Num(0.05)))
            if rule.tolerance is not None:
                tol = Num(rule.tolerance)
            yield Check(
                rule,
                column,
                row.key,
                (value, *refs),
                value,
                "eq",
                expected,
                tol,
                {
                    "column": column_name(column),
                    "aggregate": PERIOD_WORDS[row.period],
                    "years": f"{column.first_year}–{column.last_year}",
                    "label": row.label,
                },
                {"value": value, "expected": expected},
            )


def _range_checks(rule: Rule, spec: Spec) -> Iterator[Check]:
    o = rule.operands
    types = set(o["value_types"])
    low, high = o.get("min"), o.get("max")
    bounds = f"{'' if low is None else low} – {'' if high is None else high}".strip()
    for row in spec.input_rows:
        if row.value_type is None or row.value_type.value not in types:
            continue
        for column in spec.campaign.columns:
            value = Ref(row.key, column.id)
            texts = {"column": column_name(column), "label": row.label, "bounds": bounds}
            if low is not None:
                yield Check(
                    rule,
                    column,
                    row.key,
                    (value,),
                    value,
                    "ge",
                    Num(float(low)),
                    Num(0),
                    texts,
                    {"value": value},
                )
            if high is not None:
                yield Check(
                    rule,
                    column,
                    row.key,
                    (value,),
                    value,
                    "le",
                    Num(float(high)),
                    Num(0),
                    texts,
                    {"value": value},
                )


def _previous_year(spec: Spec, column: Column) -> Column | None:
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


CELL_RULE_KINDS = ("sum", "shares_100", "parts_within", "share_of", "growth")


def expand(rule: Rule, spec: Spec) -> list[Check]:
    """Every check a rule makes: per column, per share, per row as the kind requires.
    (`same_value` rules compare two agencies' rows and run on the master table.)"""
    if rule.kind == "period":
        return list(_period_checks(rule, spec))
    if rule.kind == "range":
        return list(_range_checks(rule, spec))
    if rule.kind == "same_value":
        return list(_same_value_checks(rule, spec))
    if rule.kind not in CELL_RULE_KINDS:
        return []
    return [check for column in spec.campaign.columns for check in _expand_one(rule, spec, column)]


def _same_value_checks(rule: Rule, spec: Spec) -> Iterator[Check]:
    a_key, b_key = rule.operands["a"], rule.operands["b"]
    for column in spec.campaign.columns:
        a, b = Ref(a_key, column.id), Ref(b_key, column.id)
        yield Check(
            rule,
            column,
            a_key,
            (a, b),
            a,
            "eq",
            b,
            _tolerance(rule, [a, b]),
            {
                "column": column_name(column),
                "a_label": spec.row_by_key[a_key].label,
                "b_label": spec.row_by_key[b_key].label,
            },
            {"a": a, "b": b},
        )


_EXPANDED: dict[int, tuple[Spec, list[tuple[Rule, Check, frozenset[str]]]]] = {}


def expanded(spec: Spec) -> list[tuple[Rule, Check, frozenset[str]]]:
    """Every check of every rule with its operands' row keys, expanded once per spec (each
    worker process would otherwise expand all rules again for every agency)."""
    cached = _EXPANDED.get(id(spec))
    if cached is None or cached[0] is not spec:
        found = [
            (rule, check, frozenset(ref.key for ref in check.operands))
            for rule in spec.rules
            for check in expand(rule, spec)
        ]
        cached = _EXPANDED[id(spec)] = (spec, found)  # holding `spec` keeps its id from being reused
    return cached[1]


def master_checks(spec: Spec) -> list[Check]:
    """Checks no single return can run: operands from several agencies, and `merge` rules."""
    per_agency = [frozenset(r.key for r in spec.rows_for(a.slug)) for a in spec.agencies]
    return [
        check
        for rule, check, operand_keys in expanded(spec)
        if rule.scope == "merge" or not any(operand_keys <= keys for keys in per_agency)
    ]


_RETURN_CHECKS: dict[tuple[int, frozenset[str]], tuple[Spec, list[Check]]] = {}


def return_checks(spec: Spec, rows: Sequence[Row]) -> list[Check]:
    """Every check the collector runs on one agency's return: all operands in its rows.
    Cached per spec and row set: the same agency's returns share their checks."""
    keys = frozenset(r.key for r in rows)
    cached = _RETURN_CHECKS.get((id(spec), keys))
    if cached is not None and cached[0] is spec:
        return cached[1]
    found = [
        check
        for rule, check, operand_keys in expanded(spec)
        if rule.scope == "workbook" and operand_keys <= keys
    ]
    _RETURN_CHECKS[(id(spec), keys)] = (spec, found)  # holding `spec` keeps its id from being reused
    return found


def workbook_checks(spec: Spec, rows: Sequence[Row]) -> list[Check]:
    """Checks whose every operand is one of `rows`: the ones a template can show live."""
    keys = {r.key for r in rows}
    shown = {
        id(rule)  # rules are compared by identity: they are the spec's own objects
        for rule in spec.rules
        if rule.kind in CELL_RULE_KINDS and rule.scope == "workbook" and set(rule.operand_keys()) <= keys
    }
    return [check for rule, check, _ in expanded(spec) if id(rule) in shown]
