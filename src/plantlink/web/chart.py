"""A bar chart of records changed per hour, laid out here and drawn as inline SVG.

Server-side layout keeps the page free of scripts; each bar carries a ``<title>`` and
the figure a text summary (plus the numbers as a table) for screen readers.
"""

from __future__ import annotations

from dataclasses import dataclass

from plantlink.core.timeutil import from_us

BAR_WIDTH = 10
PLOT_HEIGHT = 100
LABEL_SPACE = 16


@dataclass(frozen=True)
class Bar:
    x: int
    y: float
    width: int
    height: float
    value: int
    #: Start of the hour, e.g. ``Nov 24 14:00`` (UTC).
    hour: str
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    plot_height: int
    bars: list[Bar]
    peak: int
    total: int
    summary: str
    hours: int


def _hour(us: int) -> str:
    return from_us(us).strftime("%b %d %H:00")


def records_chart(points: list[tuple[int, int]]) -> Chart:
    """Bars for ``(hour start µs, records)`` points, scaled to the busiest hour."""
    peak = max((n for _, n in points), default=0)
    total = sum(n for _, n in points)
    bars = []
    for i, (start, n) in enumerate(points):
        height = 0.0 if not n else max(1.0, PLOT_HEIGHT * n / peak)
        end = from_us(start + 3_600_000_000).strftime("%H:00")
        bars.append(
            Bar(
                x=i * BAR_WIDTH,
                y=PLOT_HEIGHT - height,
                width=BAR_WIDTH - 2,
                height=height,
                value=n,
                hour=_hour(start),
                label=f"{_hour(start)} to {end} UTC: {n:,} records",
            )
        )
    if total:
        busiest = max(points, key=lambda p: p[1])
        summary = (
            f"{total:,} records changed in the last {len(points)} hours; the busiest hour was "
            f"{_hour(busiest[0])} UTC with {busiest[1]:,}."
        )
    else:
        summary = f"No records changed in the last {len(points)} hours."
    return Chart(
        width=len(points) * BAR_WIDTH,
        height=PLOT_HEIGHT + LABEL_SPACE,
        plot_height=PLOT_HEIGHT,
        bars=bars,
        peak=peak,
        total=total,
        summary=summary,
        hours=len(points),
    )
