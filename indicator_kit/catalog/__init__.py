"""The catalog: rows, agencies, campaign and rules, loaded from `workbook_specs/`."""

from indicator_kit.catalog.loader import DEFAULT_SPEC_DIR, load_spec
from indicator_kit.catalog.model import Agency, Campaign, Column, Row, RowKind, Spec, ValueType
from indicator_kit.rules.kind import Rule

__all__ = [
    "DEFAULT_SPEC_DIR",
    "Agency",
    "Campaign",
    "Column",
    "Row",
    "RowKind",
    "Rule",
    "Spec",
    "ValueType",
    "load_spec",
]
