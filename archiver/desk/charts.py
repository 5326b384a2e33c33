"""The archive's charts, drawn with matplotlib (Agg, no display): for the desk's pages and ``stats --plot``.

matplotlib is an optional extra (``pip install 'archiver[plot]'``; ``serve`` brings it too): it is imported when a
chart is drawn, so the rest of the archiver never loads it.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..exceptions import ConfigurationError
from ..storage.timeline import Timeline

if TYPE_CHECKING:
    from matplotlib.axes import Axes

# Series beyond these many are summed into "other": a legend of forty authors helps nobody.
TOP = 6
# Over this many months a chart counts per year: a decade of monthly bars is noise.
MAX_MONTHS = 36
FORMATS = ("svg", "png")


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise ConfigurationError("charts need matplotlib: pip install 'archiver[plot]'") from None
    matplotlib.use("Agg")
    matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: selectable, searchable, read by screen readers
    import matplotlib.pyplot as plt

    return plt


def _period(months: set[str] | list[str]) -> tuple[str, Callable[[str], str]]:
    """"month" and the identity, or "year" and the month's year when there are too many months."""
    if len(set(months)) > MAX_MONTHS:
        return "year", lambda month: month[:4]
    return "month", lambda month: month


def _by_period(counts: dict[str, int], key: Callable[[str], str]) -> dict[str, int]:
    out: Counter[str] = Counter()
    for month, count in counts.items():
        out[key(month)] += count
    return dict(out)


def _nested_by_period(nested: dict[str, dict[str, int]]) -> tuple[str, dict[str, dict[str, int]]]:
    period, key = _period(list(nested))
    out: dict[str, Counter[str]] = {}
    for month, counts in nested.items():
        out.setdefault(key(month), Counter()).update(counts)
    return period, {k: dict(v) for k, v in out.items()}


def _top(nested: dict[str, dict[str, int]]) -> tuple[list[str], list[str], dict[str, list[int]]]:
    """Months, the TOP names by total (then "other"), and each name's count per month."""
    totals: Counter[str] = Counter()
    for counts in nested.values():
        totals.update(counts)
    names = [name for name, _ in totals.most_common(TOP)]
    months = sorted(nested)
    series = {name: [nested[m].get(name, 0) for m in months] for name in names}
    rest = [sum(n for name, n in nested[m].items() if name not in series) for m in months]
    if any(rest):
        names.append("other")
        series["other"] = rest
    return months, names, series


def _ticks(ax: Axes, months: list[str]) -> None:
    step = max(1, len(months) // 12)
    ax.set_xticks(range(0, len(months), step), months[::step], rotation=45, ha="right", fontsize=7)


def _label_articles_over_time(ax: Axes, months: list[str], title: str, names: list[str]) -> None:
    _ticks(ax, months)
    ax.set_title(title)
    ax.set_ylabel("articles")
    if names:
        ax.legend(fontsize=7)


def articles_per_month(ax: Axes, timeline: Timeline) -> None:
    period, nested = _nested_by_period(timeline.articles_per_month)
    months, names, series = _top(nested)
    bottom = [0] * len(months)
    for name in names:
        ax.bar(range(len(months)), series[name], bottom=bottom, label=name, width=0.9)
        bottom = [b + n for b, n in zip(bottom, series[name], strict=True)]
    _label_articles_over_time(ax, months, f"Articles per {period} (UTC) by primary category", names)


def authors_over_time(ax: Axes, timeline: Timeline) -> None:
    period, nested = _nested_by_period(timeline.authors_per_month)
    months, names, series = _top(nested)
    for name in names:
        ax.plot(range(len(months)), series[name], label=name, linewidth=1.2, marker="o", markersize=3)
    _label_articles_over_time(ax, months, f"Articles per {period} (UTC) by author", names)


def credits_by_license(ax: Axes, timeline: Timeline) -> None:
    items = sorted(timeline.credits_by_license.items(), key=lambda item: item[1])
    ax.barh([name for name, _ in items], [n for _, n in items], color="#4c72b0")
    ax.set_title("Image credits by license (current versions)")
    ax.set_xlabel("credits")
    ax.tick_params(axis="y", labelsize=7)


def versions_and_removals(ax: Axes, timeline: Timeline) -> None:
    period, key = _period(set(timeline.changes_per_month) | set(timeline.removals_per_month))
    changes = _by_period(timeline.changes_per_month, key)
    removals = _by_period(timeline.removals_per_month, key)
    months = sorted(set(changes) | set(removals))
    positions = range(len(months))
    ax.bar([p - 0.2 for p in positions], [changes.get(m, 0) for m in months], width=0.4,
           label="new versions (changed articles)")
    ax.bar([p + 0.2 for p in positions], [removals.get(m, 0) for m in months], width=0.4,
           label="removals (taken down, not back)")
    _ticks(ax, months)
    ax.set_title(f"Versions and removals per {period} captured (UTC)")
    ax.legend(fontsize=7)


CHARTS: dict[str, Callable[[Axes, Timeline], None]] = {
    "articles-per-month": articles_per_month,
    "authors-over-time": authors_over_time,
    "credits-by-license": credits_by_license,
    "versions-and-removals": versions_and_removals,
}


def render_chart(name: str, timeline: Timeline, fmt: str = "svg") -> bytes:
    """One chart as SVG or PNG bytes."""
    plt = _pyplot()
    figure, ax = plt.subplots(figsize=(8, 3.6), layout="constrained")
    try:
        CHARTS[name](ax, timeline)
        buffer = io.BytesIO()
        figure.savefig(buffer, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    finally:
        plt.close(figure)
    return buffer.getvalue()


def plot_report(timeline: Timeline, output: Path) -> None:
    """Every chart on one page (SVG or PNG, by the file's suffix), for reports."""
    fmt = output.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ConfigurationError(f"--plot writes .svg or .png files, got {output.name!r}")
    plt = _pyplot()
    figure, axes = plt.subplots(len(CHARTS), 1, figsize=(8, 3.6 * len(CHARTS)), layout="constrained")
    try:
        for ax, draw in zip(axes, CHARTS.values(), strict=True):
            draw(ax, timeline)
        figure.savefig(output, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    finally:
        plt.close(figure)
