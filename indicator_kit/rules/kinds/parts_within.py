"""`parts_within`: the "trong đó" (of which) parts of a whole add up to no more than it. The
whole is a catalog key, or a number (100 for shares of which only some are listed)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from indicator_kit.findings import Code, Severity
from indicator_kit.rules.expr import Add, Expr, Num, Ref, rounding
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
    from indicator_kit.catalog.spec import Spec

PART_EXCEEDS_WHOLE = Code(
    "part-exceeds-whole",
    Severity.ERROR,
    '"Of which" parts exceed their whole (`parts_within`).',
    'Kiểm tra lại các khoản "trong đó" và số tổng.',
    message='Tổng các khoản "trong đó" ({sum}) lớn hơn {whole_label} ({whole}) ở cột {column_name}.',
    short='Phần "trong đó" lớn hơn tổng',
)


@register
@dataclass(frozen=True)
class PartsWithin(RuleKind):
    name = "parts_within"
    summary = "sum of `parts` ≤ `whole` (a key, or a number such as 100)"
    codes = (PART_EXCEEDS_WHOLE,)
    live = True
    schema: ClassVar[Mapping[str, Any]] = {
        "whole": {"oneOf": [KEY_SCHEMA, {"type": "number"}]},
        "parts": KEYS_SCHEMA,
    }

    whole: str | float
    parts: tuple[str, ...]

    def row_keys(self) -> tuple[str, ...]:
        return (*([self.whole] if isinstance(self.whole, str) else []), *self.parts)

    def expand(self, rule: Rule, spec: Spec) -> Iterator[Check]:
        whole_key = self.whole if isinstance(self.whole, str) else None
        label = spec.row_by_key[whole_key].label if whole_key else _number(self.whole)
        for column in spec.campaign.columns:
            parts = tuple(Ref(k, column.id) for k in self.parts)
            whole: Expr = Ref(whole_key, column.id) if whole_key else Num(float(self.whole))
            operands = (whole, *parts) if isinstance(whole, Ref) else parts
            of_parts = Add(parts)
            yield make_check(
                rule,
                column,
                anchor=whole_key or self.parts[0],
                operands=operands,
                lhs=of_parts,
                relation=Relation.LE,
                rhs=whole,
                rounding=rounding(operands),
                texts={"whole_label": label},
                shown={"sum": of_parts, "whole": whole},
            )

    def sample_settle(self, values: SampleValues) -> None:
        total = sum(values[p] for p in self.parts)
        if isinstance(self.whole, str):
            values[self.whole] = max(values[self.whole], round(total * 1.25, 2))
        elif total > self.whole:
            for p in self.parts:
                values[p] = round(self.whole / (len(self.parts) + 1), 1)


def _number(value: str | float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value).replace(".", ",")
