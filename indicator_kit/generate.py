"""`generate`: one locked template per agency, plus a manifest proving what was written."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from indicator_kit.catalog.spec import Spec
from indicator_kit.errors import UnknownAgencyError
from indicator_kit.files import sha256_bytes, write_atomic, write_json_atomic
from indicator_kit.plan import Plan
from indicator_kit.template.identity import TemplateIdentity
from indicator_kit.template.layout import TemplateLayout
from indicator_kit.template.xlsx import render_template

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class GeneratedTemplate:
    file: str
    agency: str
    rows: int
    input_cells: int
    checks: int
    sha256: str


def template_file_name(slug: str) -> str:
    return f"PL2_{slug}.xlsx"


def identity_for(spec: Spec, slug: str) -> TemplateIdentity:
    c = spec.campaign
    return TemplateIdentity(c.id, slug, spec.spec_hash, c.template_version).signed()


def render_agency(plan: Plan, slug: str) -> tuple[TemplateLayout, bytes]:
    layout = plan.layout(slug)
    return layout, render_template(layout, identity_for(plan.spec, slug))


def resolve_agencies(spec: Spec, slugs: Iterable[str]) -> list[str]:
    wanted = list(dict.fromkeys(slugs)) or [a.slug for a in spec.agencies]
    unknown = [s for s in wanted if s not in spec.agency_by_slug]
    if unknown:
        known = ", ".join(a.slug for a in spec.agencies)
        raise UnknownAgencyError(
            f"Không có đơn vị {', '.join(repr(u) for u in unknown)} trong agencies.yaml. Các đơn vị: {known}"
        )
    return wanted


def generate(
    plan: Plan,
    out_dir: Path,
    slugs: Iterable[str] = (),
    done: Callable[[GeneratedTemplate], None] | None = None,
) -> list[GeneratedTemplate]:
    """Write the templates and manifest.json; return what was written (`done` sees each one)."""
    spec = plan.spec
    written = []
    for slug in resolve_agencies(spec, slugs):
        layout, data = render_agency(plan, slug)
        name = template_file_name(slug)
        write_atomic(out_dir / name, data)
        written.append(
            GeneratedTemplate(
                file=name,
                agency=slug,
                rows=len(layout.rows),
                input_cells=len(layout.input_rows) * (len(layout.value_columns) + 1),
                checks=len(layout.checks),
                sha256=sha256_bytes(data),
            )
        )
        if done is not None:
            done(written[-1])
    write_json_atomic(
        out_dir / MANIFEST,
        {
            "campaign": spec.campaign.id,
            "spec_hash": spec.spec_hash,
            "template_version": spec.campaign.template_version,
            "templates": [asdict(t) for t in written],
        },
    )
    return written
