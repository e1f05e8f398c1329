"""`shares_100`: the shares of a structure ("Cơ cấu") add up to 100."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from indicator_kit.findings import Code, Severity
from indicator_kit.rules.expr import Add, Num, Ref, rounding
from indicator_kit.rules.kind import (
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

SHARES_NOT_100 = Code(
    "shares-not-100",
    Severity.ERROR,
    "Structure shares do not sum to 100 (`shares_100`), beyond what their rounding explains.",
    "Điều chỉnh các tỷ trọng để tổng bằng 100.",
    message='Tổng các tỷ trọng của "{group_label}" bằng {sum}, không phải 100, ở cột {column_name}.',
    short="Tổng tỷ trọng ≠ 100",
)


def even_split(n: int) -> list[float]:
    """n shares with one decimal summing to exactly 100 (33,3 + 33,3 + 33,4)."""
    each = round(100 / n, 1)
    return [each] * (n - 1) + [round(100 - each * (n - 1), 1)]


@register
@dataclass(frozen=True)
class Shares100(RuleKind):
    name = "shares_100"
    summary = "sum of `parts` = 100 (a structure's shares)"
    codes = (SHARES_NOT_100,)
    live = True
    schema: ClassVar[Mapping[str, Any]] = {"parts": KEYS_SCHEMA}

    parts: tuple[str, ...]

    def row_keys(self) -> tuple[str, ...]:
        return self.parts

    def expand(self, rule: Rule, spec: Spec) -> Iterator[Check]:
        # Reported on the structure's own row ("Cơ cấu"), where the reader looks for it.
        anchor = spec.row_by_key[self.parts[0]].parent or self.parts[0]
        texts = {"group_label": spec.row_by_key[anchor].label}
        for column in spec.campaign.columns:
            parts = tuple(Ref(k, column.id) for k in self.parts)
            of_parts = Add(parts)
            yield make_check(
                rule,
                column,
                anchor=anchor,
                operands=parts,
                lhs=of_parts,
                relation=Relation.EQ,
                rhs=Num(100),
                rounding=rounding(parts),
                texts=texts,
                shown={"sum": of_parts},
            )

    def sample_seed(self, values: SampleValues) -> None:
        values.fixed.update(self.parts)
        for key, share in zip(self.parts, even_split(len(self.parts)), strict=True):
            values[key] = share
