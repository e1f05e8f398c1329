"""Rule coverage that cannot rot: walking the catalog, every row that a rule should relate to its
neighbours has that rule, or an exemption with its reason in checks.yaml (`exempt:`).

- a growth rate (value type `growth`) has a `growth` rule tying it to its level;
- a structure — a group printed as "Cơ cấu …", "Tỷ trọng …" or "Về cơ cấu …" — has its
  shares-sum rule (`shares_100`, or `parts_within` 100 when only some shares are listed), or, when
  its rows are amounts, a `sum` rule over them;
- an input row with input children in the same unit and value type (the printed "trong đó" /
  of-which rows) has a `sum` or `parts_within` rule covering those children.
"""

from __future__ import annotations

from collections.abc import Iterator

from indicator_kit.catalog.model import RowKind, ValueType
from indicator_kit.catalog.spec import Spec
from indicator_kit.findings import Severity
from indicator_kit.plan import Plan
from indicator_kit.rules import Check, Relation, run_check
from indicator_kit.rules.kinds.growth import Growth
from indicator_kit.rules.kinds.parts_within import PartsWithin
from indicator_kit.rules.kinds.shares_100 import Shares100
from indicator_kit.rules.kinds.sum import Sum

STRUCTURE_WORDS = ("cơ cấu", "tỷ trọng", "về cơ cấu")


def children(spec: Spec, key: str) -> list:
    return [r for r in spec.input_rows if r.parent == key]


def parts_under(spec: Spec, whole: str | float) -> set[str]:
    """Rows some rule puts below `whole`: parts of a sum with that total, or of a within rule."""
    found: set[str] = set()
    for rule in spec.rules:
        o = rule.operands
        if (isinstance(o, Sum) and o.total == whole) or (isinstance(o, PartsWithin) and o.whole == whole):
            found |= set(o.parts)
    return found


def uncovered(spec: Spec) -> Iterator[tuple[str, str]]:
    """(row key, what is missing) for every row that needs a rule and has none."""
    growth_rules = {r.operands.growth for r in spec.rules if isinstance(r.operands, Growth)}
    share_groups = [
        set(r.operands.parts)
        for r in spec.rules
        if isinstance(r.operands, Shares100)
        or (isinstance(r.operands, PartsWithin) and r.operands.whole == 100)
    ]
    for row in spec.input_rows:
        if row.value_type is ValueType.GROWTH and row.key not in growth_rules:
            yield row.key, "growth rule"
    for row in spec.rows:
        if row.kind is RowKind.GROUP and row.label.casefold().startswith(STRUCTURE_WORDS):
            shares = {r.key for r in children(spec, row.key) if r.value_type is ValueType.SHARE}
            amounts = {r.key for r in children(spec, row.key) if r.value_type is ValueType.AMOUNT}
            if shares and shares not in share_groups:
                yield row.key, "shares-sum rule"
            if amounts and not any(
                amounts <= set(r.operands.parts) for r in spec.rules if isinstance(r.operands, Sum)
            ):
                yield row.key, "sum rule over its amounts"
    for row in spec.input_rows:
        same = {
            c.key for c in children(spec, row.key) if c.unit == row.unit and c.value_type is row.value_type
        }
        for key in sorted(same - parts_under(spec, row.key)):
            yield key, f"sum or within rule under {row.key}"


def test_every_row_that_needs_a_rule_has_one(spec: Spec) -> None:
    exempt = {e.row for e in spec.exemptions}
    missing = [(key, what) for key, what in uncovered(spec) if key not in exempt]
    assert not missing, f"rows without their rule (add one to checks.yaml, or an exemption): {missing}"


def test_every_exemption_is_needed_and_explained(spec: Spec) -> None:
    needed = {key for key, _ in uncovered(spec)}
    for exemption in spec.exemptions:
        assert exemption.row in needed, f"{exemption.row} is covered: drop its exemption"
        assert len(exemption.reason) > 20, exemption.row


def by_rule(plan: Plan, rule_id: str, column: str = "y2022") -> list[Check]:
    return [c for c in plan.checks if c.rule.id == rule_id and c.column.id == column]


def test_listed_parts_are_checked_both_ways(plan: Plan) -> None:
    """von_dtc lists purposes that need not cover the whole allocation: parts above the total
    is an error, a total above its parts a warning, parts within rounding of it nothing."""
    total, parts = (
        "kt.von_dtc",
        [
            "kt.von_dtc.ha_tang",
            "kt.von_dtc.san_xuat",
            "kt.von_dtc.quoc_phong_an_ninh",
            "kt.von_dtc.lien_ket_vung",
            "kt.von_dtc.co_che_chinh_sach",
        ],
    )
    checks = by_rule(plan, "von-dtc-tong")
    assert {(c.relation, c.code.code, c.severity) for c in checks} == {
        (Relation.LE, "parts-exceed-total", Severity.ERROR),
        (Relation.LE, "parts-below-total", Severity.WARNING),
    }

    def failing(total_value: float) -> set[str]:
        values = {total: total_value, **dict(zip(parts, [1200.5, 800.2, 150.0, 320.3, 29.0], strict=True))}
        outcomes = [run_check(c, lambda ref: values.get(ref.key)) for c in checks]
        return {o.check.code.code for o in outcomes if o is not None and not o.passed}

    assert failing(2500.0) == set()  # the parts add up to 2 500,0
    assert failing(2500.2) == set()  # within the rounding of six one-decimal figures
    assert failing(2480.0) == {"parts-exceed-total"}
    assert failing(2650.0) == {"parts-below-total"}


def test_published_figures_pass_every_rule(published_plan: Plan) -> None:
    """Honest values raise nothing: every check whose operands are all published figures
    (workbook_specs/reference/) holds."""
    reference = published_plan.spec.reference
    ran = []
    for check in published_plan.checks:
        outcome = run_check(check, lambda ref: v.value if (v := reference.get(ref.key, ref.column)) else None)
        if outcome is not None:
            ran.append(check.rule.id)
            assert outcome.passed, (check.rule.id, check.column.id, outcome)
    assert "co-cau-nganh-100" in ran  # the published 2023 structure is among them
