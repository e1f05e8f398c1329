"""`growth`: a growth rate equals the change of its level from the year before (year columns
that have a previous year of the same area)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from indicator_kit.findings import Code, Severity
from indicator_kit.rules.expr import Add, Div, HalfUnit, Mul, Num, Ref, Sub, ratio_rounding
from indicator_kit.rules.kind import (
    KEY_SCHEMA,
    Check,
    Relation,
    Rule,
    RuleKind,
    make_check,
    previous_year,
    register,
)

if TYPE_CHECKING:
    from indicator_kit.catalog.spec import Spec

GROWTH_MISMATCH = Code(
    "growth-mismatch",
    Severity.WARNING,
    "A growth rate disagrees with consecutive levels (`growth`).",
    "Kiểm tra lại tốc độ tăng hoặc số liệu các năm.",
    message=(
        "Tăng trưởng {growth_label} ({growth}) không khớp mức {level_label}: "
        "({level} ÷ {previous} − 1) × 100 = {expected} ở cột {column_name}."
    ),
    short="Tăng trưởng không khớp mức",
)


@register
@dataclass(frozen=True)
class Growth(RuleKind):
    name = "growth"
    summary = "`growth`[y] = (`level`[y] ÷ `level`[y−1] − 1) × 100, on year columns"
    codes = (GROWTH_MISMATCH,)
    live = True
    schema: ClassVar[Mapping[str, Any]] = {"growth": KEY_SCHEMA, "level": KEY_SCHEMA}

    growth: str
    level: str

    def row_keys(self) -> tuple[str, ...]:
        return (self.growth, self.level)

    def expand(self, rule: Rule, spec: Spec) -> Iterator[Check]:
        texts = {
            "growth_label": spec.row_by_key[self.growth].label,
            "level_label": spec.row_by_key[self.level].label,
        }
        for column in spec.campaign.columns:
            previous = previous_year(spec, column)
            if previous is None:
                continue
            growth, level = Ref(self.growth, column.id), Ref(self.level, column.id)
            before = Ref(self.level, previous.id)
            expected = Mul(Sub(Div(level, before), Num(1)), Num(100))
            yield make_check(
                rule,
                column,
                anchor=self.growth,
                operands=(growth, level, before),
                lhs=growth,
                relation=Relation.EQ,
                rhs=expected,
                rounding=Add((HalfUnit(growth), ratio_rounding(level, before))),
                texts=texts,
                shown={"growth": growth, "level": level, "previous": before, "expected": expected},
            )
