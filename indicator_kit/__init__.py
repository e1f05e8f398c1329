"""indicator-kit: collect Phụ lục 2 indicators from many agencies through Excel workbooks."""

__version__ = "0.1.0"
