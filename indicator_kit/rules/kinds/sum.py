"""`sum`: a total equals the sum of its parts.

With `exhaustive: false` the listed parts may leave part of the total out (the purposes of a
budget that need not cover all of it): parts above the total is then an error, a total above
its parts is a finding of the rule's own severity. Templates show only the error live: the
clerk cannot be asked to list what the catalog does not (and both directions, rendered with
their rounding tolerance over ten columns, would not fit Excel's formula length).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from indicator_kit.findings import Code, Severity
from indicator_kit.rules.expr import Add, Expr, Ref, rounding
from indicator_kit.rules.kind import (
    KEY_SCHEMA,
    KEYS_SCHEMA,
    Check,
    Relation,
    Rule,
    RuleKind,
    SampleValues,
    make_check,
    register,
)

if TYPE_CHECKING:
    from indicator_kit.catalog.model import Column
    from indicator_kit.catalog.spec import Spec

SUM_MISMATCH = Code(
    "sum-mismatch",
    Severity.ERROR,
    "A total differs from the sum of its parts (rule kind `sum`).",
    "Kiểm tra lại số tổng hoặc các số thành phần.",
    message="{total_label} ({total}) khác tổng các thành phần ({sum}), chênh {diff}, ở cột {column_name}.",
    short="Tổng ≠ tổng các thành phần",
)
PARTS_EXCEED_TOTAL = Code(
    "parts-exceed-total",
    Severity.ERROR,
    "Listed parts that need not cover the whole total add up to more than it (`sum`, `exhaustive: false`).",
    "Kiểm tra lại số tổng hoặc các số thành phần.",
    message="Tổng các thành phần ({sum}) lớn hơn {total_label} ({total}), chênh {diff}, ở cột {column_name}.",
    short="Các thành phần lớn hơn tổng",
)
PARTS_BELOW_TOTAL = Code(
    "parts-below-total",
    Severity.WARNING,
    "A total is above the sum of listed parts that need not cover all of it (`sum`, `exhaustive: false`).",
    "Kiểm tra xem còn thành phần nào chưa được báo cáo không.",
    message=(
        "{total_label} ({total}) lớn hơn tổng các thành phần được liệt kê ({sum}), chênh {diff}, "
        "ở cột {column_name}."
    ),
)


@register
@dataclass(frozen=True)
class Sum(RuleKind):
    name = "sum"
    summary = (
        "`total` = sum of `parts`; `exhaustive: false`: parts above the total is an error, "
        "a total above them has the rule's severity"
    )
    codes = (SUM_MISMATCH, PARTS_EXCEED_TOTAL, PARTS_BELOW_TOTAL)
    live = True
    schema: ClassVar[Mapping[str, Any]] = {
        "total": KEY_SCHEMA,
        "parts": KEYS_SCHEMA,
        "exhaustive": {"type": "boolean"},
    }

    total: str
    parts: tuple[str, ...]
    exhaustive: bool = True

    def row_keys(self) -> tuple[str, ...]:
        return (self.total, *self.parts)

    def expand(self, rule: Rule, spec: Spec) -> Iterator[Check]:
        texts = {"total_label": spec.row_by_key[self.total].label}
        for column in spec.campaign.columns:
            yield from self._column(rule, column, texts)

    def _column(self, rule: Rule, column: Column, texts: dict[str, str]) -> Iterator[Check]:
        total = Ref(self.total, column.id)
        parts = tuple(Ref(k, column.id) for k in self.parts)
        of_parts = Add(parts)

        def check(lhs: Expr, relation: Relation, rhs: Expr, code: Code | None = None) -> Check:
            return make_check(
                rule,
                column,
                anchor=self.total,
                operands=(total, *parts),
                lhs=lhs,
                relation=relation,
                rhs=rhs,
                rounding=rounding((total, *parts)),
                texts=texts,
                shown={"total": total, "sum": of_parts},
                code=code,
                severity=Severity.ERROR if code is PARTS_EXCEED_TOTAL else None,
            )

        if self.exhaustive:
            yield check(total, Relation.EQ, of_parts)
        else:
            yield check(of_parts, Relation.LE, total, PARTS_EXCEED_TOTAL)
            yield check(total, Relation.LE, of_parts, PARTS_BELOW_TOTAL)

    def sample_settle(self, values: SampleValues) -> None:
        values[self.total] = round(sum(values[p] for p in self.parts), 4)
