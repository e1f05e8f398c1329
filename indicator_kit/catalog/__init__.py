"""The catalog: rows, agencies, campaign and rules, loaded from a spec folder (`workbook_specs/`)."""

from indicator_kit.catalog.loader import default_spec_dir, load_spec
from indicator_kit.catalog.model import Agency, Campaign, Column, Row, RowKind, Spec, ValueType
from indicator_kit.rules.kind import Rule

__all__ = [
    "Agency",
    "Campaign",
    "Column",
    "Row",
    "RowKind",
    "Rule",
    "Spec",
    "ValueType",
    "default_spec_dir",
    "load_spec",
]
