"""Plausibility bands (`workbook_specs/plausibility.yaml`): how far a reported value may sit from
what is expected before a person should look at it.

Bands are given per value type (levels, growth rates, shares, indices …) and may be replaced per
catalog row. Each band has up to three parts: a plausible `range`, a year-on-year `change`
(in points for percentages, as a factor for levels) and how close a value must be to the
`reference` figure (points or a relative difference). Everything found here is a warning: an
unusual year can be real, and the agency explains it in the row's "Ghi chú" cell.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from indicator_kit.catalog.model import Row, ValueType
from indicator_kit.catalog.yamlfile import line_of, read_yaml
from indicator_kit.errors import SpecError, SpecProblem

PLAUSIBILITY_FILE = "plausibility.yaml"


@dataclass(frozen=True, slots=True)
class Band:
    low: float | None = None  # plausible range
    high: float | None = None
    change_points: float | None = None  # |v[y] − v[y−1]| allowed, in the row's unit
    change_factor: float | None = None  # v[y] / v[y−1] allowed within [1/f, f]
    change_floor: float = 0.0  # changes between two values both below this are not judged
    reference_points: float | None = None  # |v − reference| allowed, in the row's unit
    reference_relative: float | None = None  # |v − reference| / |reference| allowed

    @property
    def judges_change(self) -> bool:
        return self.change_points is not None or self.change_factor is not None

    def change_ok(self, before: float, after: float) -> bool:
        if max(abs(before), abs(after)) < self.change_floor:
            return True
        if self.change_points is not None and abs(after - before) > self.change_points + 1e-9:
            return False
        if self.change_factor is not None and before and after:
            if (before > 0) != (after > 0):
                return False
            ratio = after / before
            if ratio > self.change_factor or ratio < 1 / self.change_factor:
                return False
        return True

    def reference_tolerance(self, reference: float) -> float | None:
        """How far a value may be from `reference` (None: the band does not compare)."""
        allowed = [
            t
            for t in (
                self.reference_points,
                None if self.reference_relative is None else self.reference_relative * abs(reference),
            )
            if t is not None
        ]
        return max(allowed) if allowed else None


NO_BAND = Band()


@dataclass(frozen=True)
class Plausibility:
    by_type: dict[ValueType, Band] = field(default_factory=dict)
    by_key: dict[str, Band] = field(default_factory=dict)

    def band(self, row: Row) -> Band:
        found = self.by_key.get(row.key)
        if found is not None:
            return found
        return self.by_type.get(row.value_type, NO_BAND) if row.value_type else NO_BAND


NO_PLAUSIBILITY = Plausibility()

_NUMBER = {"type": "number"}
_BAND: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "range": {"type": "array", "items": {"type": ["number", "null"]}, "minItems": 2, "maxItems": 2},
        "change": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "points": {**_NUMBER, "exclusiveMinimum": 0},
                "factor": {**_NUMBER, "exclusiveMinimum": 1},
                "ignore_below": {**_NUMBER, "minimum": 0},
            },
        },
        "reference": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "points": {**_NUMBER, "minimum": 0},
                "relative": {**_NUMBER, "minimum": 0},
            },
        },
    },
}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "value_types": {
            "type": "object",
            "additionalProperties": False,
            "properties": {t.value: _BAND for t in ValueType},
        },
        "rows": {"type": "object", "additionalProperties": _BAND},
    },
}


def _band(data: dict[str, Any]) -> Band:
    low, high = data.get("range", (None, None))
    change, reference = data.get("change", {}), data.get("reference", {})
    return Band(
        low,
        high,
        change.get("points"),
        change.get("factor"),
        change.get("ignore_below", 0.0),
        reference.get("points"),
        reference.get("relative"),
    )


def _validator() -> Any:
    import jsonschema  # here: a command whose spec is kept (`kept.load_spec_kept`) never loads it

    return jsonschema.Draft202012Validator(SCHEMA)


def load_plausibility(spec_dir: Path, rows: dict[str, Row]) -> Plausibility:
    path = spec_dir / PLAUSIBILITY_FILE
    if not path.exists():
        return NO_PLAUSIBILITY
    data = read_yaml(path) or {}
    problems = [
        SpecProblem(PLAUSIBILITY_FILE, "", f"{'/'.join(map(str, e.absolute_path)) or 'tệp'}: {e.message}")
        for e in _validator().iter_errors(data)
    ]
    if problems:
        raise SpecError(problems)
    by_key = {}
    for key, band in (data.get("rows") or {}).items():
        if key not in rows or not rows[key].is_input:
            line = line_of(data["rows"], key)
            problems.append(
                SpecProblem(
                    PLAUSIBILITY_FILE,
                    f"dòng {line}" if line else "",
                    f"'{key}' không phải dòng nhập liệu của danh mục",
                )
            )
            continue
        by_key[key] = _band(band)
    if problems:
        raise SpecError(problems)
    by_type = {ValueType(t): _band(b) for t, b in (data.get("value_types") or {}).items()}
    return Plausibility(by_type, by_key)
