"""JSON Schemas for the spec files: the declarative half of validation.

Structural problems (missing field, wrong type, unknown enum value) are found here, all at
once; cross-references (parents, agencies, rule operands) are checked in `loader`.
"""

from __future__ import annotations

from typing import Any

from indicator_kit.rules import KINDS, Scope

_KEY = {"type": "string", "pattern": r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$"}
_SLUG = {"type": "string", "pattern": r"^[a-z][a-z0-9_]*$"}
_TEXT = {"type": "string", "minLength": 1}

CATALOG: dict[str, Any] = {
    "type": "object",
    "required": ["rows"],
    "additionalProperties": False,
    "properties": {
        "rows": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["key", "seed_line", "tt", "label", "kind"],
                "additionalProperties": False,
                "properties": {
                    "key": _KEY,
                    "seed_line": {"type": "integer", "minimum": 1},
                    "tt": {"type": "string"},
                    "label": _TEXT,
                    "kind": {"enum": ["section", "group", "input"]},
                    "parent": _KEY,
                    "italic": {"type": "boolean"},
                    "unit": _TEXT,
                    "value_type": {"enum": ["amount", "count", "share", "growth", "rate", "index", "ratio"]},
                    "period": {"enum": ["sum", "mean", "average_growth", "last", "none"]},
                    "period_level": _KEY,
                    "agencies": {"type": "array", "minItems": 1, "items": _SLUG},
                    "printed": {"type": "object", "additionalProperties": {"type": "string"}},
                    "source_note": _TEXT,
                },
            },
        }
    },
}

AGENCIES: dict[str, Any] = {
    "type": "object",
    "required": ["agencies"],
    "additionalProperties": False,
    "properties": {
        "agencies": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["slug", "name", "short_name"],
                "additionalProperties": False,
                "properties": {
                    "slug": _SLUG,
                    "name": _TEXT,
                    "short_name": _TEXT,
                    "aliases": {"type": "array", "items": _TEXT},
                    "email": {"type": "string"},
                    "contact_person": {"type": "string"},
                    "phone": {"type": "string"},
                },
            },
        }
    },
}

_CONTACT = {
    "type": "object",
    "required": ["name", "short_name"],
    "additionalProperties": False,
    "properties": {
        "name": _TEXT,
        "short_name": _TEXT,
        "email": {"type": "string"},
        "contact_person": {"type": "string"},
        "phone": {"type": "string"},
    },
}

CAMPAIGN: dict[str, Any] = {
    "type": "object",
    "required": ["campaign"],
    "additionalProperties": False,
    "properties": {
        "campaign": {
            "type": "object",
            "additionalProperties": False,
            "required": [
                "id",
                "title",
                "annex",
                "annex_title",
                "legal_basis",
                "issuer",
                "issued",
                "deadline",
                "deadline_text",
                "template_version",
                "protection_password",
                "recipient",
                "areas",
                "columns",
            ],
            "properties": {
                "id": {"type": "string", "pattern": r"^[a-z0-9][a-z0-9-]*$"},
                "title": _TEXT,
                "annex": _TEXT,
                "annex_title": _TEXT,
                "legal_basis": _TEXT,
                "issuer": _TEXT,
                "issued": {"type": "string", "format": "date"},
                "deadline": {"type": "string", "format": "date"},
                "deadline_text": _TEXT,
                "reply_working_days": {"type": "integer", "minimum": 1, "maximum": 30},
                "holidays": {"type": "array", "items": {"type": "string", "format": "date"}},
                "template_version": _TEXT,
                "protection_password": _TEXT,
                "recipient": _CONTACT,
                "areas": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["id", "name"],
                        "additionalProperties": False,
                        "properties": {"id": _SLUG, "name": _TEXT},
                    },
                },
                "columns": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["id", "number", "header", "area", "first_year", "last_year"],
                        "additionalProperties": False,
                        "properties": {
                            "id": _SLUG,
                            "number": _TEXT,
                            "header": _TEXT,
                            "group": _TEXT,
                            "area": _SLUG,
                            "first_year": {"type": "integer"},
                            "last_year": {"type": "integer"},
                        },
                    },
                },
            },
        }
    },
}


def checks_schema() -> dict[str, Any]:
    """checks.yaml's schema: the fields every rule has, and each registered kind's operands."""
    base = {
        "id": {"type": "string", "pattern": r"^[a-z0-9]+(-[a-z0-9]+)*$"},
        "kind": {"enum": sorted(KINDS)},
        "severity": {"enum": ["error", "warning"]},
        "scope": {"enum": [s.value for s in Scope]},
        "tolerance": {"oneOf": [{"const": "rounding"}, {"type": "number", "minimum": 0}]},
        "note": _TEXT,
    }
    return {
        "type": "object",
        "required": ["rules"],
        "additionalProperties": False,
        "properties": {
            "rules": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "kind", "severity"],
                    "properties": base,
                    "allOf": [
                        {
                            "if": {"properties": {"kind": {"const": name}}},
                            "then": {
                                "required": kind.required(),
                                "properties": dict(kind.schema),
                                "additionalProperties": False,
                                "patternProperties": {f"^({'|'.join(base)})$": {}},
                            },
                        }
                        for name, kind in sorted(KINDS.items())
                    ],
                },
            },
            "exempt": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["row", "reason"],
                    "additionalProperties": False,
                    "properties": {"row": _KEY, "reason": _TEXT},
                },
            },
        },
    }


def kinds_table() -> str:
    """The table of rule kinds in docs/spec-format.md, from the registry (a test keeps them equal)."""
    from dataclasses import MISSING, fields

    lines = ["| kind | operands | check |", "|---|---|---|"]
    for name, kind in sorted(KINDS.items()):
        operands = [f"`{f.name}`" if f.default is MISSING else f"`{f.name}` (optional)" for f in fields(kind)]
        lines.append(f"| `{name}` | {', '.join(operands) or '—'} | {kind.summary} |")
    return "\n".join(lines) + "\n"
