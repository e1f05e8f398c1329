"""Templates: spec + agency → layout (pure) → xlsx (xlsxwriter)."""
