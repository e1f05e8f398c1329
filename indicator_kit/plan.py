"""`compile_plan(spec) → Plan`: everything derived from the spec, built once per run.

The plan holds every rule's checks (compiled to closures), each agency's template layout and the
checks its returns are validated with (laid over the cell positions of a standard return), and
the master table's cross-agency checks. Generate, collect and merge receive it
explicitly; it is the one object the collector's worker processes share (inherited when they
are forked, compiled again from the spec when they are spawned). The office key is not part of
it: `secret` holds it for the process, and hands it to spawned workers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from indicator_kit.catalog.model import Agency, Row
from indicator_kit.catalog.spec import Spec
from indicator_kit.collect.validate import CheckPositions, lay_over
from indicator_kit.rules import Check, Scope
from indicator_kit.template.layout import TemplateLayout, build_layout

Shape = tuple[tuple[str, ...], tuple[str, ...]]  # a cell table's row keys and column ids


@dataclass(frozen=True, eq=False)
class AgencyPlan:
    agency: Agency
    rows: tuple[Row, ...]  # the input rows it reports, lead or co-reporting, in printed order
    layout: TemplateLayout  # its template; `layout.checks` are the ones shown live
    checks: tuple[Check, ...]  # what the collector runs on its returns: every operand in `rows`
    shape: Shape  # the cell table of a return that has every row and column of the template
    positions: CheckPositions  # `checks` laid over `shape`

    def positions_for(self, shape: Shape) -> CheckPositions:
        """The checks laid over a return's cell table (rows missing or moved: laid anew)."""
        return self.positions if shape == self.shape else lay_over(self.checks, *shape)


@dataclass(frozen=True, eq=False)
class Plan:
    spec: Spec
    checks: tuple[Check, ...]  # every check of every rule
    agencies: Mapping[str, AgencyPlan]
    master_checks: tuple[Check, ...]  # checks no single return can run, and `scope: merge` rules

    def agency(self, slug: str) -> AgencyPlan:
        return self.agencies[slug]

    def layout(self, slug: str) -> TemplateLayout:
        return self.agencies[slug].layout

    def __reduce__(self) -> tuple[object, ...]:
        # compiled closures do not pickle: a spawned worker compiles the plan from the spec
        return (compile_plan, (self.spec,))


def compile_plan(spec: Spec) -> Plan:
    checks = tuple(check for rule in spec.rules for check in rule.checks(spec))
    for check in checks:
        check.program  # noqa: B018  (compiled now, before any worker is forked)
    operand_keys = {check: frozenset(ref.key for ref in check.operands) for check in checks}
    agencies = {}
    per_agency = []
    for agency in spec.agencies:
        rows = spec.rows_for(agency.slug)
        keys = frozenset(r.key for r in rows)
        per_agency.append(keys)
        own = tuple(c for c in checks if c.rule.scope is Scope.WORKBOOK and operand_keys[c] <= keys)
        # a template shows a rule live only when all of the rule's rows are in it
        live = tuple(c for c in own if c.rule.live and c.code.short and set(c.rule.row_keys()) <= keys)
        layout = build_layout(spec, agency.slug, live)
        shape = (tuple(lr.row.key for lr in layout.input_rows), tuple(c.id for c in spec.campaign.columns))
        agencies[agency.slug] = AgencyPlan(agency, rows, layout, own, shape, lay_over(own, *shape))
    master_checks = tuple(
        c
        for c in checks
        if c.rule.scope is Scope.MERGE or not any(operand_keys[c] <= keys for keys in per_agency)
    )
    return Plan(spec, checks, agencies, master_checks)
