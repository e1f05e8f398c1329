"""Rule kinds: the registry, and the EBA rounding tolerance on published-style figures.

The tolerance of a sum or a share group is the sum of half a unit of the last reported decimal
of each operand; a share-of check gets what the precision of the share and of its amounts allows.
"""

from __future__ import annotations

import pytest

from indicator_kit.catalog.schemas import checks_schema
from indicator_kit.catalog.spec import Spec
from indicator_kit.findings import CODES, Severity, template_fields
from indicator_kit.plan import Plan
from indicator_kit.rules import KINDS, Check, Ref, Rule, run_check

STRUCTURE = [  # kt.von_dtxh.co_cau: three shares of investment by sector
    "kt.von_dtxh.co_cau.khu_vuc_nha_nuoc",
    "kt.von_dtxh.co_cau.khu_vuc_ngoai_nha_nuoc",
    "kt.von_dtxh.co_cau.khu_vuc_fdi",
]
SECTORS = [  # kt.co_cau_nganh: four shares of GRDP
    "kt.co_cau_nganh.nong_nghiep",
    "kt.co_cau_nganh.cong_nghiep_xay_dung",
    "kt.co_cau_nganh.dich_vu",
    "kt.co_cau_nganh.thue_tru_tro_cap",
]
AMOUNTS = ["kt.von_dtxh.khu_vuc_nha_nuoc", "kt.von_dtxh.khu_vuc_ngoai_nha_nuoc", "kt.von_dtxh.khu_vuc_fdi"]
TOTAL = "kt.von_dtxh.tong_von"


def the_check(plan: Plan, rule_id: str, anchor: str | None = None, column: str = "y2022") -> Check:
    return next(
        c
        for c in plan.checks
        if c.rule.id == rule_id and c.column.id == column and (anchor is None or c.anchor == anchor)
    )


def passes(check: Check, values: dict[str, float]) -> bool:
    outcome = run_check(check, lambda ref: values.get(ref.key))
    assert outcome is not None
    return outcome.passed


@pytest.mark.parametrize(
    ("shares", "ok"),
    [
        ([4.33, 20.33, 75.33], True),  # 99,99: each may be off by 0,005
        ([33.3, 33.3, 33.4], True),
        ([33, 33, 33], True),  # each 33 is a correctly rounded 33,33
        ([33, 33, 32], False),  # 98: three whole numbers cannot be off by 2
        ([33.7, 33.7, 33.6], False),  # 101 from one-decimal shares
        ([33.4, 33.4, 33.4], False),  # 100,2: off by more than 3 × 0,05
        ([40.0, 35.0, 25.1], True),  # 100,1 within 3 × 0,05
    ],
)
def test_shares_100_tolerance_adds_up_half_units(plan: Plan, shares: list[float], ok: bool) -> None:
    check = the_check(plan, "von-dtxh-co-cau-100")
    assert passes(check, dict(zip(STRUCTURE, shares, strict=True))) is ok


@pytest.mark.parametrize(
    ("shares", "ok"),
    [
        ([3.40, 53.34, 37.76, 5.50], True),  # Hải Phòng 2023 as published
        ([14.68, 34.23, 41.12, 9.97], True),  # Việt Nam 2018 as published
        ([11.96, 37.12, 42.54, 8.38], True),  # Việt Nam 2023 as published
        ([3.4, 53.3, 37.8, 5.5], True),  # the same, to one decimal
        ([3, 53, 38, 6], True),  # ... and to whole numbers
        ([12, 37, 43, 8], True),
        ([11.96, 37.12, 42.54, 8.30], False),  # a typo: 99,92
        ([3, 53, 38, 3], False),  # 97: off by more than 4 × 0,5
    ],
)
def test_published_structures_pass(plan: Plan, shares: list[float], ok: bool) -> None:
    check = the_check(plan, "co-cau-nganh-100")
    assert passes(check, dict(zip(SECTORS, shares, strict=True))) is ok


@pytest.mark.parametrize(
    ("total", "parts", "ok"),
    [
        (180621.7, [40136.1, 108251.3, 32234.3], True),  # adds up exactly
        (180622, [40136.1, 108251.3, 32234.3], True),  # total rounded to whole billions
        (180623, [40136.1, 108251.3, 32234.3], False),  # 1,3 off; rounding explains 0,65
        (96435.9, [21010.4, 50212.5, 25213.1], True),  # 96 436,0: within 4 × 0,05
        (96435.9, [21010.4, 50212.5, 25213.4], False),  # 96 436,3
    ],
)
def test_sum_tolerance_adds_up_half_units(plan: Plan, total: float, parts: list[float], ok: bool) -> None:
    check = the_check(plan, "von-dtxh-tong")
    assert passes(check, {TOTAL: total, **dict(zip(AMOUNTS, parts, strict=True))}) is ok


@pytest.mark.parametrize(
    ("share", "part", "total", "ok"),
    [
        (22.2, 40136.1, 180621.7, True),  # 22,2214 rounded to one decimal
        (22.22, 40136.1, 180621.7, True),
        (22, 40136.1, 180621.7, True),  # a whole-number share may be off by 0,5
        (22.3, 40136.1, 180621.7, False),  # one decimal: 0,08 off, rounding explains 0,05
        (23, 40136.1, 180621.7, False),
        (33, 333, 1000, True),  # 33,3: small amounts carry their own rounding too
        (33.4, 333, 1000, True),  # 333 may be 333,49 and 1 000 may be 999,5: up to 33,37 + 0,05
        (33.5, 333, 1000, False),
    ],
)
def test_share_of_tolerance_follows_from_share_and_amounts(
    plan: Plan, share: float, part: float, total: float, ok: bool
) -> None:
    check = the_check(plan, "von-dtxh-co-cau-khop", anchor=STRUCTURE[0])
    assert passes(check, {STRUCTURE[0]: share, AMOUNTS[0]: part, TOTAL: total}) is ok


def test_every_kind_is_in_the_schema() -> None:
    rules = checks_schema()["properties"]["rules"]["items"]
    assert rules["properties"]["kind"]["enum"] == sorted(KINDS)
    assert {branch["if"]["properties"]["kind"]["const"] for branch in rules["allOf"]} == set(KINDS)


def test_every_code_of_a_kind_is_registered_with_its_texts() -> None:
    for kind in KINDS.values():
        for code in kind.codes:
            assert CODES[code.code] is code and code.message
        assert any(code.short for code in kind.codes) is kind.live, kind.name


def test_every_message_is_filled_from_its_check(plan: Plan) -> None:
    """Each template names only fields its checks provide, and every field they provide is used
    somewhere in the message (nothing computed in vain)."""
    for check in plan.checks:
        named = set(template_fields(check.code.message))
        given = {*check.texts, *check.shown, "diff"}
        assert named <= given, (check.rule.id, named - given)
        assert set(check.shown) <= named, (check.rule.id, set(check.shown) - named)


def test_failure_message_is_vietnamese_from_the_template(plan: Plan) -> None:
    check = the_check(plan, "von-dtxh-tong")
    values = {TOTAL: 200.0, AMOUNTS[0]: 100.0, AMOUNTS[1]: 50.0, AMOUNTS[2]: 40.0}
    outcome = run_check(check, lambda ref: values.get(ref.key))
    assert outcome is not None and not outcome.passed
    label = plan.spec.row_by_key[TOTAL].label
    assert check.message(outcome) == (f"{label} (200) khác tổng các thành phần (190), chênh 10, ở cột 2022.")


def test_plan_crosses_to_a_spawned_process(plan: Plan) -> None:
    """A spawned worker receives the plan as its spec and compiles it again."""
    import pickle

    copy = pickle.loads(pickle.dumps(plan))
    assert len(copy.checks) == len(plan.checks)
    assert [c.rule.id for c in copy.agency("cuc_thong_ke").checks] == [
        c.rule.id for c in plan.agency("cuc_thong_ke").checks
    ]
    assert isinstance(Ref("a", "b"), Ref)


def test_a_rule_too_long_for_excel_is_a_spec_error(spec: Spec) -> None:
    """A rule whose live formula would pass Excel's 8 192 characters is reported as a problem of
    checks.yaml (exit 2 with the rule named), not a crash."""
    from dataclasses import replace

    from indicator_kit.errors import SpecError
    from indicator_kit.generate import render_agency
    from indicator_kit.plan import compile_plan
    from indicator_kit.rules.kinds.sum import Sum

    parts = tuple(r.key for r in spec.rows_for("cuc_thong_ke") if r.unit == "tỷ.đ")[1:40]
    huge = Rule("qua-dai", Sum(spec.rows_for("cuc_thong_ke")[0].key, parts), Severity.ERROR)
    with pytest.raises(SpecError, match="qua-dai"):
        render_agency(compile_plan(replace(spec, rules=(*spec.rules, huge))), "cuc_thong_ke")
