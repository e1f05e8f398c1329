"""The catalog: rows, agencies, campaign and rules, loaded from a spec folder (`workbook_specs/`).

`loader.load_spec` reads a folder into a `spec.Spec`; its parts are typed in `model`. This file
imports nothing, so importing `catalog.model` does not load the rest of the catalog.
"""
