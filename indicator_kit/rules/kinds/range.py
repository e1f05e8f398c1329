"""`range`: every value of the selected value types lies within [min, max]."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Self

from indicator_kit.catalog.model import ValueType
from indicator_kit.findings import Code, Severity
from indicator_kit.rules.expr import Num, Ref
from indicator_kit.rules.kind import Check, Relation, Rule, RuleKind, make_check, register

if TYPE_CHECKING:
    from indicator_kit.catalog.spec import Spec

OUT_OF_RANGE = Code(
    "out-of-range",
    Severity.ERROR,
    "A value outside its allowed range (`range`).",
    "Kiểm tra lại giá trị.",
    message='Giá trị {value} của "{label}" nằm ngoài khoảng cho phép ({bounds}) ở cột {column_name}.',
)


@register
@dataclass(frozen=True)
class Range(RuleKind):
    name = "range"
    summary = "every value of rows whose `value_type` is in `value_types` lies in [`min`, `max`]"
    codes = (OUT_OF_RANGE,)
    schema: ClassVar[Mapping[str, Any]] = {
        "value_types": {"type": "array", "minItems": 1, "items": {"enum": [v.value for v in ValueType]}},
        "min": {"type": "number"},
        "max": {"type": "number"},
    }

    value_types: tuple[ValueType, ...]
    min: float | None = None
    max: float | None = None

    @classmethod
    def from_yaml(cls, item: Mapping[str, Any]) -> Self:
        return cls(tuple(ValueType(v) for v in item["value_types"]), item.get("min"), item.get("max"))

    def expand(self, rule: Rule, spec: Spec) -> Iterator[Check]:
        low, high = self.min, self.max
        bounds = f"{'' if low is None else low} – {'' if high is None else high}".strip()
        for row in spec.input_rows:
            if row.value_type not in self.value_types:
                continue
            for column in spec.campaign.columns:
                value = Ref(row.key, column.id)
                for relation, bound in ((Relation.GE, low), (Relation.LE, high)):
                    if bound is None:
                        continue
                    yield make_check(
                        rule,
                        column,
                        anchor=row.key,
                        operands=(value,),
                        lhs=value,
                        relation=relation,
                        rhs=Num(float(bound)),
                        rounding=Num(0),
                        texts={"label": row.label, "bounds": bounds},
                        shown={"value": value},
                    )
