"""Expression trees: the arithmetic of a check, written once.

The collector compiles a tree into nested closures over the check's operand values (by
position), and renders it as Python source for the checks it runs on every return
(`python_source`); `template.formulas` renders the same tree as an Excel formula. A LibreOffice
test recalculates templates to prove both give the same verdict, and a property test that the
closures and the source compute exactly the plain arithmetic.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Ref:
    """One cell: a catalog row and a campaign column."""

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


@lru_cache(maxsize=4096)  # an operand is in several checks; formatting it is the costly part
def decimals(value: float) -> int:
    """Decimals of a number as a spreadsheet shows it (15 significant digits)."""
    text = format(abs(value), ".15g")
    if "e" in text or "." not in text:
        return 0
    return len(text.split(".")[1])


def half_unit(value: float) -> float:
    """Half a unit of the value's last decimal: the most its rounding can have moved it."""
    return 0.5 * 10 ** -decimals(value)


def rounding(refs: list[Ref] | tuple[Ref, ...]) -> Expr:
    """The EBA tolerance of a sum of reported figures: each operand may be off by half a unit of
    its last reported decimal, and those errors add up (33 + 33 + 33 may be 33,33 × 3 = 100)."""
    return Add(tuple(HalfUnit(r) for r in refs)) if len(refs) > 1 else HalfUnit(refs[0])


def ratio_rounding(numerator: Ref, denominator: Ref, scale: float = 100.0) -> Expr:
    """How far scale × numerator ÷ denominator can move when both were rounded: the first-order
    error of a ratio, scale × (h(n) ÷ |d| + |n| × h(d) ÷ d²)."""
    return Mul(
        Num(scale),
        Add(
            (
                Div(HalfUnit(numerator), Abs(denominator)),
                Div(Mul(Abs(numerator), HalfUnit(denominator)), Mul(denominator, denominator)),
            )
        ),
    )


Values = list[float]
Compiled = Callable[[Values], float]


def compile_expr(expr: Expr, slot: dict[Ref, int]) -> Compiled:
    """An expression tree as nested closures over the check's operand values, by position
    (built once per check; no text is evaluated and no cell is looked up twice)."""
    match expr:
        case Ref():
            i = slot[expr]
            return lambda v: v[i]
        case Num(value):
            return lambda v: value
        case Add(args):
            cells = [slot[a] for a in args if isinstance(a, Ref)]
            if len(cells) == len(args):  # a total of cells: most checks
                return lambda v: math.fsum([v[i] for i in cells])
            halves = [slot[a.ref] for a in args if isinstance(a, HalfUnit)]
            if len(halves) == len(args):  # the usual rounding tolerance
                return lambda v: math.fsum([half_unit(v[i]) for i in halves])
            parts = [compile_expr(a, slot) for a in args]
            return lambda v: math.fsum(f(v) for f in parts)
        case Sub(a, b):
            fa, fb = compile_expr(a, slot), compile_expr(b, slot)
            return lambda v: fa(v) - fb(v)
        case Mul(a, b):
            fa, fb = compile_expr(a, slot), compile_expr(b, slot)
            return lambda v: fa(v) * fb(v)
        case Div(a, b):
            fa, fb = compile_expr(a, slot), compile_expr(b, slot)
            return lambda v: fa(v) / fb(v)
        case Abs(a):
            fa = compile_expr(a, slot)
            return lambda v: abs(fa(v))
        case Max(args):
            parts = [compile_expr(a, slot) for a in args]
            return lambda v: max(f(v) for f in parts)
        case HalfUnit(ref):
            i = slot[ref]
            return lambda v: half_unit(v[i])
        case AverageGrowth(args):
            parts = [compile_expr(a, slot) for a in args]
            return lambda v: average_growth(tuple(f(v) for f in parts))
    raise TypeError(expr)


def average_growth(rates: tuple[float, ...]) -> float:
    """`AverageGrowth` of these yearly rates (%); ZeroDivisionError below -100 %."""
    product = math.prod(1 + rate / 100 for rate in rates)
    if product <= 0:
        raise ZeroDivisionError("growth below -100 %")
    return (product ** (1 / len(rates)) - 1) * 100


# What `python_source` text may call: nothing else is in the namespace it is compiled in.
SOURCE_NAMES = {"fsum": math.fsum, "half_unit": half_unit, "average_growth": average_growth}


def python_source(expr: Expr, name: Callable[[Ref], str]) -> str:
    """The tree as a Python expression over a local name per operand (`name`), with the same
    operations in the same order as `compile_expr`'s closures, so the result is the same float.
    Rendered from the typed tree alone: the only text in it is these names, the functions of
    `SOURCE_NAMES` and `repr` of the tree's numbers (nothing a spec file wrote is evaluated)."""

    def each(args: tuple[Expr, ...]) -> str:
        return "".join(python_source(a, name) + ", " for a in args)

    match expr:
        case Ref():
            return name(expr)
        case Num(value):
            if not math.isfinite(value):
                raise ValueError(f"not a finite number: {value!r}")
            return repr(float(value))
        case Add(args):
            return f"fsum(({each(args)}))"
        case Sub(a, b):
            return f"({python_source(a, name)} - {python_source(b, name)})"
        case Mul(a, b):
            return f"({python_source(a, name)} * {python_source(b, name)})"
        case Div(a, b):
            return f"({python_source(a, name)} / {python_source(b, name)})"
        case Abs(a):
            return f"abs({python_source(a, name)})"
        case Max(args):
            return f"max({each(args)})" if len(args) > 1 else f"max(({each(args)}))"
        case HalfUnit(ref):
            return f"half_unit({name(ref)})"
        case AverageGrowth(args):
            return f"average_growth(({each(args)}))"
    raise TypeError(expr)
