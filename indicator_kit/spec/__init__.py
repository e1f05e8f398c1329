"""The spec: catalog, agencies, campaign and rules, loaded from `workbook_specs/`."""

from indicator_kit.spec.loader import DEFAULT_SPEC_DIR, load_spec
from indicator_kit.spec.model import Agency, Campaign, Column, Row, RowKind, Rule, Spec, ValueType

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
