"""`share_of`: each share equals its part ÷ the total × 100, within what the rounding of the
share, the part and the total can explain."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from indicator_kit.findings import Code, Severity
from indicator_kit.rules.expr import Add, Div, HalfUnit, Mul, Num, Ref, ratio_rounding
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

SHARE_MISMATCH = Code(
    "share-mismatch",
    Severity.ERROR,
    "A share disagrees with part ÷ total × 100 (`share_of`), beyond what rounding explains.",
    "Tính lại tỷ trọng từ số tuyệt đối.",
    message=(
        "Tỷ trọng {share_label} ({share}) không khớp {part_label} ÷ {total_label} × 100 = {expected} "
        "ở cột {column_name}."
    ),
    short="Tỷ trọng không khớp số tuyệt đối",
)


@register
@dataclass(frozen=True)
class ShareOf(RuleKind):
    name = "share_of"
    summary = "`shares[i]` = `parts[i]` ÷ `total` × 100"
    codes = (SHARE_MISMATCH,)
    live = True
    schema: ClassVar[Mapping[str, Any]] = {"total": KEY_SCHEMA, "shares": KEYS_SCHEMA, "parts": KEYS_SCHEMA}

    total: str
    shares: tuple[str, ...]
    parts: tuple[str, ...]

    def row_keys(self) -> tuple[str, ...]:
        return (self.total, *self.shares, *self.parts)

    def problems(self, spec: Spec) -> Iterator[tuple[str, str]]:
        if len(self.shares) != len(self.parts):
            yield "shares", "số tỷ trọng phải bằng số thành phần"

    def expand(self, rule: Rule, spec: Spec) -> Iterator[Check]:
        label = spec.row_by_key
        for column in spec.campaign.columns:
            total = Ref(self.total, column.id)
            for share_key, part_key in zip(self.shares, self.parts, strict=True):
                share, part = Ref(share_key, column.id), Ref(part_key, column.id)
                expected = Mul(Div(part, total), Num(100))
                yield make_check(
                    rule,
                    column,
                    anchor=share_key,
                    operands=(share, part, total),
                    lhs=share,
                    relation=Relation.EQ,
                    rhs=expected,
                    # the share's own rounding, and its amounts' carried through the ratio
                    rounding=Add((HalfUnit(share), ratio_rounding(part, total))),
                    texts={
                        "share_label": label[share_key].label,
                        "part_label": label[part_key].label,
                        "total_label": label[self.total].label,
                    },
                    shown={"share": share, "expected": expected},
                )

    def sample_settle(self, values: SampleValues) -> None:
        for share, part in zip(self.shares, self.parts, strict=True):
            if share in values.fixed:
                values[part] = round(values[share] * values[self.total] / 100, 4)
            else:
                values[self.total] = max(values[self.total], values[part] * 2.5)
                values[share] = round(values[part] / values[self.total] * 100, 4)
