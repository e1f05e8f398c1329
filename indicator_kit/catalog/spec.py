"""The spec: the catalog's rows, agencies and campaign (`catalog.model`), its rules
(`rules.Rule`), plausibility bands and reference figures, as one immutable object."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from functools import cached_property

from indicator_kit.catalog.model import Agency, Campaign, Exemption, Row
from indicator_kit.catalog.plausibility import NO_PLAUSIBILITY, Plausibility
from indicator_kit.catalog.reference import EMPTY_REFERENCE, Reference
from indicator_kit.rules.kind import Rule


@dataclass(frozen=True)
class Spec:
    rows: tuple[Row, ...]
    agencies: tuple[Agency, ...]
    campaign: Campaign
    rules: tuple[Rule, ...]
    exemptions: tuple[Exemption, ...] = ()  # rows deliberately without a rule (rule coverage)
    # What returns are compared with (warnings only); not part of `spec_hash`: swapping the
    # reference figures or bands does not make the templates sent out stale.
    plausibility: Plausibility = NO_PLAUSIBILITY
    reference: Reference = EMPTY_REFERENCE

    @cached_property
    def row_by_key(self) -> dict[str, Row]:
        return {r.key: r for r in self.rows}

    @cached_property
    def agency_by_slug(self) -> dict[str, Agency]:
        return {a.slug: a for a in self.agencies}

    @cached_property
    def key_set(self) -> frozenset[str]:
        return frozenset(self.row_by_key)

    @property
    def input_rows(self) -> list[Row]:
        return [r for r in self.rows if r.is_input]

    @cached_property
    def _rows_by_agency(self) -> dict[str, tuple[Row, ...]]:
        return {a.slug: tuple(r for r in self.input_rows if a.slug in r.agencies) for a in self.agencies}

    def rows_for(self, slug: str) -> tuple[Row, ...]:
        """Input rows an agency reports, as lead or co-reporter, in printed order."""
        found = self._rows_by_agency.get(slug)
        if found is None:  # not an agency of the spec: whoever names it in a row
            return tuple(r for r in self.input_rows if slug in r.agencies)
        return found

    def ancestors(self, key: str) -> list[Row]:
        chain: list[Row] = []
        parent = self.row_by_key[key].parent
        while parent is not None:
            chain.append(self.row_by_key[parent])
            parent = self.row_by_key[parent].parent
        return chain

    @cached_property
    def spec_hash(self) -> str:
        """Short hash of everything a template depends on: changes when the catalog does."""
        payload = {
            "rows": [asdict(r) for r in self.rows],
            "columns": [asdict(c) for c in self.campaign.columns],
            "campaign": self.campaign.id,
            "rules": [asdict(r) for r in self.rules],
        }
        blob = json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:12]
