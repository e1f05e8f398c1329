"""indicator-kit: collect Phụ lục 2 indicators from many agencies through Excel workbooks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    import pandas as pd


def load_master(path: Any) -> pd.DataFrame:
    """master_long.csv as a DataFrame (see docs/master-format.md)."""
    from indicator_kit.merge.outputs import load_master as _load

    return _load(path)
