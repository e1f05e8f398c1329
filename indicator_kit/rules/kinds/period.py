"""`period`: a period column (2019–2023) follows its years, as the catalog's `period` field of
each row says (sum, mean, last year, average growth). Only where every year of the period is a
year column of the same area."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from indicator_kit.catalog.model import PeriodAggregate
from indicator_kit.findings import Code, Severity
from indicator_kit.rules.expr import Add, AverageGrowth, Div, Expr, HalfUnit, Num, Ref
from indicator_kit.rules.kind import Check, Relation, Rule, RuleKind, make_check, register

if TYPE_CHECKING:
    from indicator_kit.catalog.spec import Spec

PERIOD_MISMATCH = Code(
    "period-mismatch",
    Severity.WARNING,
    "A period column disagrees with the yearly values (`period`).",
    "Kiểm tra lại số liệu cả giai đoạn hoặc số liệu các năm.",
    message="Cột {column_name} ({value}) không khớp {aggregate} các năm {years} ({expected}).",
)

WORDS = {
    PeriodAggregate.SUM: "tổng",
    PeriodAggregate.MEAN: "trung bình",
    PeriodAggregate.LAST: "giá trị năm cuối",
    PeriodAggregate.AVERAGE_GROWTH: "tốc độ tăng bình quân",
}


@register
@dataclass(frozen=True)
class Period(RuleKind):
    name = "period"
    summary = "period columns against their years, as each row's `period` says"
    codes = (PERIOD_MISMATCH,)

    def expand(self, rule: Rule, spec: Spec) -> Iterator[Check]:
        columns = spec.campaign.columns
        for column in columns:
            if column.is_year:
                continue
            found = [
                next((c for c in columns if c.is_year and c.area == column.area and c.first_year == y), None)
                for y in range(column.first_year, column.last_year + 1)
            ]
            years = [y for y in found if y is not None]
            if len(years) < len(found):
                continue
            for row in spec.input_rows:
                if row.period is PeriodAggregate.NONE:
                    continue
                value = Ref(row.key, column.id)
                refs = tuple(Ref(row.key, y.id) for y in years)
                own, each = HalfUnit(value), tuple(HalfUnit(r) for r in refs)
                expected: Expr
                if row.period is PeriodAggregate.SUM:
                    expected, tol = Add(refs), Add((own, *each))  # every year's rounding adds up
                elif row.period is PeriodAggregate.MEAN:
                    expected, tol = Div(Add(refs), Num(len(refs))), Add((own, Div(Add(each), Num(len(each)))))
                elif row.period is PeriodAggregate.LAST:
                    expected, tol = refs[-1], Add((own, each[-1]))
                else:  # about the mean of the rates' roundings, and 0,05 for the compounding
                    expected = AverageGrowth(refs)
                    tol = Add((own, Div(Add(each), Num(len(each))), Num(0.05)))
                yield make_check(
                    rule,
                    column,
                    anchor=row.key,
                    operands=(value, *refs),
                    lhs=value,
                    relation=Relation.EQ,
                    rhs=expected,
                    rounding=tol,
                    texts={
                        "aggregate": WORDS[row.period],
                        "years": f"{column.first_year}–{column.last_year}",
                        "label": row.label,
                    },
                    shown={"value": value, "expected": expected},
                )
