"""Comparison charts as PNG (matplotlib, no display): for one indicator, Hải Phòng's yearly values
and the period value of Hải Phòng, the whole country and the region side by side."""

from __future__ import annotations

import io
import textwrap
from collections.abc import Mapping

from indicator_kit.catalog.spec import Spec
from indicator_kit.merge.annex import vietnamese_number
from indicator_kit.merge.core import MasterCell
from indicator_kit.report.comparison import Indicator, ReportSpec, area_name, usable
from indicator_kit.rules import decimals

PROVINCE_COLOUR, YEAR_COLOUR = "#1F4E79", "#9DC3E6"
OTHER_COLOURS = ("#C55A11", "#548235", "#7F6000")
DPI = 150


def chart_png(
    spec: Spec,
    report: ReportSpec,
    indicator: Indicator,
    cells: Mapping[tuple[str, str], MasterCell],
    places: int,
) -> bytes | None:
    """The chart's PNG bytes (the same bytes for the same values), or None when the indicator
    has no value to show."""
    import matplotlib  # only here: a large import that only the report needs

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.figure import Figure

    key = indicator.row.key
    years = [c for c in spec.campaign.columns if c.is_year and c.area == report.province.area]
    bars: list[tuple[str, float | None, str]] = [
        (c.header, usable(cells.get((key, c.id))), YEAR_COLOUR) for c in years
    ]
    period = f"{report.province.first_year}–{report.province.last_year}"
    compared = [report.province, *report.others]
    colours = (PROVINCE_COLOUR, *OTHER_COLOURS)
    bars += [
        (
            "\n".join([*textwrap.wrap(area_name(spec, c), 11), period]),
            usable(cells.get((key, c.id))),
            colours[i % len(colours)],
        )
        for i, c in enumerate(compared)
    ]
    if all(v is None for _, v, _ in bars):
        return None
    # The serif font matplotlib ships (full Vietnamese coverage): the same picture on every machine.
    plt.rcParams.update({"font.family": "DejaVu Serif"})
    figure = Figure(figsize=(8.0, 3.9), dpi=DPI)
    ax = figure.subplots()
    positions = [i if i < len(years) else i + 0.6 for i in range(len(bars))]
    heights = [v or 0.0 for _, v, _ in bars]
    ax.bar(positions, heights, color=[c for _, _, c in bars], width=0.7)
    for x, (_, value, _) in zip(positions, bars, strict=True):
        if value is not None:
            ax.annotate(
                vietnamese_number(value, places),
                (x, value),
                ha="center",
                va="bottom" if value >= 0 else "top",
                fontsize=8,
                xytext=(0, 2 if value >= 0 else -2),
                textcoords="offset points",
            )
        else:
            ax.annotate("chưa có", (x, 0), ha="center", va="bottom", fontsize=7, color="#7F7F7F")
    ax.set_xticks(positions, [label for label, _, _ in bars], fontsize=7.5)
    ax.axhline(0, color="#404040", linewidth=0.6)
    ax.axvline(len(years) - 0.2, color="#BFBFBF", linewidth=0.8, linestyle="--")
    ax.set_title(f"{indicator.title} ({indicator.row.unit})", fontsize=11)
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(axis="y", labelsize=8)
    ax.set_ylim(top=max([*heights, 0]) * 1.15 or None)
    ticks = ax.get_yticks()
    tick_places = min(2, max(decimals(round(t, 6)) for t in ticks))  # one notation for every tick
    ax.yaxis.set_major_formatter(lambda v, _: vietnamese_number(v, tick_places))
    figure.tight_layout()
    buffer = io.BytesIO()
    # No timestamp or software version in the file: the same values give the same bytes.
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()
