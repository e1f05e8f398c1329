"""Rules from checks.yaml: rule kinds (one module each in `kinds/`, registered in `kind.KINDS`),
the expression trees their checks are made of, and the checks' evaluation.

A `Check` says, for one rule and one column, "lhs relation rhs within tol, when every operand
is reported". The same tree is evaluated in Python by the collector and rendered as an Excel
formula for the template's live "Kiểm tra" column (`template.formulas`), so the logic of a rule
is written once.
"""

from indicator_kit.rules import kinds as _kinds  # noqa: F401  (registers every kind)
from indicator_kit.rules.expr import (
    Abs,
    Add,
    AverageGrowth,
    Div,
    Expr,
    HalfUnit,
    Max,
    Mul,
    Num,
    Ref,
    Sub,
    decimals,
    half_unit,
)
from indicator_kit.rules.kind import (
    KINDS,
    Check,
    Outcome,
    Program,
    Relation,
    Rule,
    RuleKind,
    SampleValues,
    Scope,
    check_values,
    column_name,
    register,
    run_check,
)

__all__ = [
    "KINDS",
    "Abs",
    "Add",
    "AverageGrowth",
    "Check",
    "Div",
    "Expr",
    "HalfUnit",
    "Max",
    "Mul",
    "Num",
    "Outcome",
    "Program",
    "Ref",
    "Relation",
    "Rule",
    "RuleKind",
    "SampleValues",
    "Scope",
    "Sub",
    "check_values",
    "column_name",
    "decimals",
    "half_unit",
    "register",
    "run_check",
]
