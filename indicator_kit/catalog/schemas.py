"""JSON Schemas for the spec files: the declarative half of validation.

Structural problems (missing field, wrong type, unknown enum value) are found here, all at
once; cross-references (parents, agencies, rule operands) are checked in `loader`.
"""

from __future__ import annotations

from typing import Any

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

_KEYS = {"type": "array", "minItems": 1, "items": _KEY}
_OPERAND = {"oneOf": [_KEY, {"type": "number"}]}
_RULE_BASE = {
    "id": {"type": "string", "pattern": r"^[a-z0-9]+(-[a-z0-9]+)*$"},
    "kind": {
        "enum": [
            "sum",
            "parts_within",
            "shares_100",
            "share_of",
            "growth",
            "range",
            "period",
            "same_value",
        ]
    },
    "severity": {"enum": ["error", "warning"]},
    "scope": {"enum": ["workbook", "merge"]},
    "tolerance": {"oneOf": [{"const": "rounding"}, {"type": "number", "minimum": 0}]},
    "missing": {"enum": ["skip"]},
    "message": _TEXT,
    "short": _TEXT,
    "note": _TEXT,
}
_KIND_FIELDS: dict[str, dict[str, Any]] = {
    "sum": {"total": _KEY, "parts": _KEYS},
    "parts_within": {"whole": _OPERAND, "parts": _KEYS},
    "shares_100": {"parts": _KEYS},
    "share_of": {"total": _KEY, "shares": _KEYS, "parts": _KEYS},
    "growth": {"growth": _KEY, "level": _KEY},
    "range": {
        "value_types": {"type": "array", "minItems": 1, "items": {"type": "string"}},
        "min": {"type": "number"},
        "max": {"type": "number"},
    },
    "period": {},
    "same_value": {"a": _KEY, "b": _KEY},
}
_REQUIRED_BY_KIND = {
    "sum": ["total", "parts"],
    "parts_within": ["whole", "parts"],
    "shares_100": ["parts"],
    "share_of": ["total", "shares", "parts"],
    "growth": ["growth", "level"],
    "range": ["value_types"],
    "period": [],
    "same_value": ["a", "b"],
}

CHECKS: dict[str, Any] = {
    "type": "object",
    "required": ["defaults", "rules"],
    "additionalProperties": False,
    "properties": {
        "defaults": {
            "type": "object",
            "required": ["messages"],
            "additionalProperties": False,
            "properties": {
                "messages": {"type": "object", "additionalProperties": _TEXT},
                "short": {"type": "object", "additionalProperties": _TEXT},
            },
        },
        "rules": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "kind", "severity"],
                "properties": _RULE_BASE,
                "allOf": [
                    {
                        "if": {"properties": {"kind": {"const": kind}}},
                        "then": {
                            "required": _REQUIRED_BY_KIND[kind],
                            "properties": fields,
                            "additionalProperties": False,
                            "patternProperties": {
                                f"^({'|'.join(_RULE_BASE)})$": {},
                            },
                        },
                    }
                    for kind, fields in _KIND_FIELDS.items()
                ],
            },
        },
    },
}
