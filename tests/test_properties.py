"""Property-based tests: the number parser and the unit converter on arbitrary input."""

from __future__ import annotations

import dataclasses
import math

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from indicator_kit.collect import units
from indicator_kit.collect.numbers import Status, parse_cell
from indicator_kit.collect.validate import lay_over
from indicator_kit.plan import Plan
from indicator_kit.rules import (
    Abs,
    Add,
    AverageGrowth,
    Check,
    Div,
    Expr,
    HalfUnit,
    Max,
    Mul,
    Num,
    Ref,
    Relation,
    Sub,
    check_values,
    decimals,
    half_unit,
)
from indicator_kit.simulate import load_values

settings.register_profile("ci", max_examples=300, deadline=None)
settings.load_profile("ci")

DIGITS = set("0123456789")


@given(st.text())
@example("%")  # once crashed the parser: a sign or a percent with no digits
@example("(%)")
@example("+")
def test_parsing_text_never_raises_and_never_invents_a_number(text: str) -> None:
    parsed = parse_cell(text)
    assert parsed.status in set(Status)
    if parsed.status is Status.NUMBER:
        assert DIGITS & set(text)  # a number always comes from digits the clerk typed
        assert parsed.value is not None and math.isfinite(parsed.value)


@given(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.dates(), st.binary()))
def test_parsing_any_cell_value_never_raises(value: object) -> None:
    parse_cell(value)


def vietnamese(value: float, decimals: int) -> str:
    text = f"{abs(value):,.{decimals}f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    return ("-" if value < 0 else "") + text


def english(value: float, decimals: int) -> str:
    return f"{value:,.{decimals}f}"


@given(st.integers(-(10**12), 10**12), st.integers(1, 4))
def test_numbers_round_trip_in_both_notations(cents: int, decimals: int) -> None:
    value = cents / 10**decimals
    for text in (vietnamese(value, decimals), english(value, decimals)):
        parsed = parse_cell(text)
        assert parsed.status is Status.NUMBER, text
        candidates = {parsed.value, parsed.alternative}
        assert any(
            c is not None and math.isclose(c, value, rel_tol=1e-12, abs_tol=1e-9) for c in candidates
        ), text


@given(st.integers(0, 999), st.integers(1, 999).map(lambda x: f"{x:03d}"))
def test_three_decimals_are_flagged_ambiguous(whole: int, frac: str) -> None:
    if whole == 0:
        return
    parsed = parse_cell(f"{whole}.{frac}")
    assert (
        parsed.ambiguous
        and parsed.value == float(f"{whole}.{frac}")
        and parsed.alternative == float(f"{whole}{frac}")
    )


@given(st.text())
def test_unit_comparison_never_raises(text: str) -> None:
    verdict = units.compare(text, "tỷ.đ")
    assert verdict.kind in {"same", "variant", "convert", "unknown"}
    if verdict.kind == "convert":
        assert verdict.factor > 0 and verdict.factor != 1


@given(
    st.sampled_from(["tỷ.đ", "tr.đ", "nghìn đồng", "đồng"]),
    st.sampled_from(["tỷ.đ", "tr.đ", "nghìn đồng", "đồng"]),
)
def test_conversions_are_consistent(a: str, b: str) -> None:
    there, back = units.compare(a, b), units.compare(b, a)
    assert math.isclose(there.factor * back.factor, 1.0)


def _reference(expr: Expr, values: dict[Ref, float]) -> float:
    """The rules' arithmetic written plainly, to check the compiled form against."""
    match expr:
        case Ref():
            return values[expr]
        case Num(value):
            return value
        case Add(args):
            return math.fsum(_reference(a, values) for a in args)
        case Sub(a, b):
            return _reference(a, values) - _reference(b, values)
        case Mul(a, b):
            return _reference(a, values) * _reference(b, values)
        case Div(a, b):
            return _reference(a, values) / _reference(b, values)
        case Abs(a):
            return abs(_reference(a, values))
        case Max(args):
            return max(_reference(a, values) for a in args)
        case HalfUnit(ref):
            return 0.5 * 10 ** -decimals(values[ref])
        case AverageGrowth(args):
            rates = [_reference(a, values) for a in args]
            product = math.prod(1 + r / 100 for r in rates)
            if product <= 0:
                raise ZeroDivisionError
            return (product ** (1 / len(rates)) - 1) * 100
    raise TypeError(expr)


@pytest.fixture(scope="module")
def relational_checks(plan: Plan) -> list[Check]:
    return [check for check in plan.checks if check.rule.kind.name != "range"]


@given(st.data())
def test_compiled_rules_compute_what_the_rules_say(
    relational_checks: list[Check], data: st.DataObject
) -> None:
    """Every check of the real catalog, on values with 0–4 decimals: the compiled form (with its
    shortcuts for totals and rounding) gives exactly the reference arithmetic's result."""
    check = data.draw(st.sampled_from(relational_checks))
    numbers = st.builds(round, st.floats(-1e6, 1e6, allow_nan=False), st.integers(0, 4))
    values = [data.draw(numbers) for _ in check.operands]
    by_ref = dict(zip(check.operands, values, strict=True))
    outcome = check_values(check, values)
    try:
        lhs, rhs = _reference(check.lhs, by_ref), _reference(check.rhs, by_ref)
        tol = _reference(check.tol, by_ref)
    except ZeroDivisionError:
        assert outcome is None
        return
    assert outcome is not None and (outcome.lhs, outcome.rhs) == (lhs, rhs)
    if not outcome.passed or outcome.tol > 1e-9 * max(1.0, abs(lhs), abs(rhs)):  # the tolerance was used
        assert outcome.tol == tol + 1e-9 * max(1.0, abs(lhs), abs(rhs))


@given(st.data())
def test_generated_checks_fail_exactly_where_the_closures_do(
    relational_checks: list[Check], data: st.DataObject
) -> None:
    """The source `validate` generates for a return's checks, on values with 0–4 decimals, zeros
    and cells that are not numbers (NaN): a check is reported failing exactly when its compiled
    closures say it is not met (`passes` is False: not None for a zero divisor or a missing
    operand)."""
    check = data.draw(st.sampled_from(relational_checks))
    rows = tuple(dict.fromkeys(ref.key for ref in check.operands))
    columns = tuple(dict.fromkeys(ref.column for ref in check.operands))
    laid = lay_over((check,), rows, columns)
    number = st.one_of(
        st.builds(round, st.floats(-1e6, 1e6, allow_nan=False), st.integers(0, 4)),
        st.sampled_from([0.0, math.nan, 100.0]),
    )
    numbers = [data.draw(number) for _ in range(len(rows) * len(columns))]
    width = len(columns)
    values = [numbers[rows.index(ref.key) * width + columns.index(ref.column)] for ref in check.operands]
    runs_and_fails = all(v == v for v in values) and check.program.passes(values) is False
    assert laid.others == (0,)  # (no relational check of the catalog is a bound)
    assert laid.failing(numbers) == ([0] if runs_and_fails else [])


@given(
    st.sampled_from(list(Relation)),
    st.sampled_from([0.15, 1.0, 0.005]),
    st.lists(
        st.builds(round, st.floats(-1e4, 1e4, allow_nan=False), st.integers(0, 3)), min_size=2, max_size=4
    ),
    st.integers(-3, 3),
    st.booleans(),
)
def test_generated_checks_meet_every_relation_at_its_tolerance(
    relational_checks: list[Check],
    relation: Relation,
    tolerance: float,
    parts: list[float],
    ulps: int,
    above: bool,
) -> None:
    """A check of each relation (the catalog has no ≥ one yet) with a tolerance of its own, its
    left side a few floats from the right side ± (tolerance + the binary epsilon): the generated
    function says what the closures say, to the last bit."""
    template = next(c for c in relational_checks if c.rule.kind.name == "sum" and len(c.operands) > 2)
    total, *cells = template.operands[: len(parts) + 1]
    check = dataclasses.replace(
        template,
        operands=(total, *cells),
        lhs=total,
        rhs=Add(tuple(cells)),
        relation=relation,
        tol=Num(tolerance),
    )
    rhs = math.fsum(parts[: len(cells)])
    edge = rhs + (tolerance + 1e-9 * max(1.0, abs(rhs))) * (1 if above else -1)
    for _ in range(abs(ulps)):
        edge = math.nextafter(edge, math.inf if ulps > 0 else -math.inf)
    values = [edge, *parts[: len(cells)]]
    rows = tuple(dict.fromkeys(ref.key for ref in check.operands))
    columns = tuple(dict.fromkeys(ref.column for ref in check.operands))
    numbers = [math.nan] * (len(rows) * len(columns))
    for ref, value in zip(check.operands, values, strict=True):
        numbers[rows.index(ref.key) * len(columns) + columns.index(ref.column)] = value
    laid = lay_over((check,), rows, columns)
    assert laid.failing(numbers) == ([0] if check.program.passes(values) is False else [])


def test_generated_checks_agree_with_the_closures_near_every_boundary(plan: Plan) -> None:
    """Every agency's checks on the honest sample values (met, many only within their rounding
    tolerance) and on each operand moved by a few units of its last decimal, up and down: the
    generated function reports exactly the checks the closures say are not met."""
    values = load_values()
    compared = failed = 0
    for agency in plan.agencies.values():
        laid, (rows, columns) = agency.positions, agency.shape
        honest = [values.get((key, column), math.nan) for key in rows for column in columns]
        moved = {position for number in laid.others for position in laid.operands[number]}
        for position in sorted(moved):
            value = honest[position]
            for step in (0.0, -1.0, 1.0, -5.0, 5.0, -50.0):
                numbers = list(honest)
                numbers[position] = value + step * half_unit(value) * 2 if value == value else value
                expected = []
                for number in laid.others:
                    operands = [numbers[i] for i in laid.operands[number]]
                    if (
                        all(v == v for v in operands)
                        and agency.checks[number].program.passes(operands) is False
                    ):
                        expected.append(number)
                assert laid.failing(numbers) == expected, (agency.agency.slug, position, step)
                compared += 1
                failed += bool(expected)
    assert compared > 1000 and 0 < failed < compared  # both verdicts were met, many times
