"""`same_value`: two rows are the same quantity (often reported by different agencies, so
checked on the master table: `scope: merge`)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from indicator_kit.findings import Code, Severity
from indicator_kit.rules.expr import Ref, rounding
from indicator_kit.rules.kind import (
    KEY_SCHEMA,
    Check,
    Relation,
    Rule,
    RuleKind,
    SampleValues,
    make_check,
    register,
)

if TYPE_CHECKING:
    from indicator_kit.catalog.spec import Spec

_SAME = '"{a_label}" ({a}) và "{b_label}" ({b}) là cùng một chỉ tiêu nhưng khác nhau ở cột {column_name}.'
AGENCIES_DISAGREE = Code(
    "agencies-disagree",
    Severity.WARNING,
    "Two agencies reported the same cell differently, or a cross-agency rule fails (`same_value`).",
    "Các đơn vị liên quan thống nhất lại số liệu.",
    message=_SAME,
    variants={
        # on the master: the rule's message and where its numbers came from
        "merged": _SAME + " Số trong bảng tổng hợp: {sources}.",
        # two agencies report the same cell (`merge`): each file's number, and what the master keeps
        "cell-kept-lead": (
            '"{label}" cột {column_name}: {told}; bảng tổng hợp giữ {kept:n} của {kept_agency} '
            "(đơn vị chủ trì)."
        ),
        "cell-kept": '"{label}" cột {column_name}: {told}; bảng tổng hợp giữ {kept:n} của {kept_agency}.',
        "cell-none": '"{label}" cột {column_name}: {told}; bảng tổng hợp chưa dùng số nào của ô này.',
    },
)


@register
@dataclass(frozen=True)
class SameValue(RuleKind):
    name = "same_value"
    summary = "`a` = `b` (the same quantity on two rows)"
    codes = (AGENCIES_DISAGREE,)
    schema: ClassVar[Mapping[str, Any]] = {"a": KEY_SCHEMA, "b": KEY_SCHEMA}

    a: str
    b: str

    def row_keys(self) -> tuple[str, ...]:
        return (self.a, self.b)

    def expand(self, rule: Rule, spec: Spec) -> Iterator[Check]:
        texts = {"a_label": spec.row_by_key[self.a].label, "b_label": spec.row_by_key[self.b].label}
        for column in spec.campaign.columns:
            a, b = Ref(self.a, column.id), Ref(self.b, column.id)
            yield make_check(
                rule,
                column,
                anchor=self.a,
                operands=(a, b),
                lhs=a,
                relation=Relation.EQ,
                rhs=b,
                rounding=rounding((a, b)),
                texts=texts,
                shown={"a": a, "b": b},
            )

    def sample_seed(self, values: SampleValues) -> None:
        values[self.b] = values[self.a]
