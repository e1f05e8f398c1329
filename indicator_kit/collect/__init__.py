"""collect: read every returned workbook, identify it, check it, and report findings."""
