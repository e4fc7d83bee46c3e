"""Text charts for the report: the delivery timeline and the budget ranges.

The charts read the report's JSON as plain dicts, because stored reports may
predate the current schema or have been hand-edited: anything odd is skipped,
never raised. Labels come from the report, so they are added to ``Text`` as
plain strings and never parsed as markup.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from rich.console import Console, ConsoleOptions, RenderResult
from rich.style import Style
from rich.text import Text
from textual.widgets import Static

from starmap_tui.widgets.safe_text import clean

FULL = "█"
RANGE = "░"
MIN_BAR_WIDTH = 8
LABEL_MAX = 28
EN_DASH = "\u2013"
CURRENCY_SIGNS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}


@dataclass(frozen=True)
class ChartStyles:
    """The rich styles a chart paints with; plain by default (for tests)."""

    title: Style = field(default_factory=Style)
    label: Style = field(default_factory=Style)
    bar: Style = field(default_factory=Style)
    range: Style = field(default_factory=Style)
    muted: Style = field(default_factory=Style)
    total: Style = field(default_factory=Style)


@dataclass(frozen=True)
class Span:
    """One row of a chart: a label and a stretch of the axis (or none)."""

    label: str
    start: float | None
    end: float | None
    note: str


# -- reading odd data ------------------------------------------------------------


def _number(value: Any) -> float | None:
    """A finite, non-negative number, or None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.replace(",", "").strip())
        except ValueError:
            return None
    if not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        return None
    return float(value)


def _date(value: Any) -> date | None:
    """An ISO date, or None."""
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _mappings(value: Any) -> list[Mapping[str, Any]]:
    """The dict entries of a list; anything else is dropped."""
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, Mapping)]


def _text(value: Any) -> str:
    """One line of display text."""
    return " ".join(clean(value).split()) if value is not None else ""


def _weeks(value: float) -> str:
    """A duration such as ``3 wk`` or ``4.5 wk``."""
    return f"{value:g} wk"


# -- the timeline ------------------------------------------------------------------


def phase_spans(plan: Any) -> list[Span]:
    """Sequential spans of the plan's phases, measured in weeks."""
    spans: list[Span] = []
    cursor = 0.0
    for phase in _mappings(plan.get("phases") if isinstance(plan, Mapping) else []):
        weeks = _number(phase.get("duration_weeks"))
        label = _text(phase.get("name")) or f"Phase {len(spans) + 1}"
        if not weeks:
            spans.append(Span(label, None, None, "—"))
            continue
        spans.append(Span(label, cursor, cursor + weeks, _weeks(weeks)))
        cursor += weeks
    return spans


def milestone_spans(plan: Any) -> list[Span]:
    """Spans of the plan's dated timeline, measured in days from the first start."""
    entries = _mappings(plan.get("timeline") if isinstance(plan, Mapping) else [])
    dated = [(e, _date(e.get("start")), _date(e.get("end"))) for e in entries]
    usable = [(e, s, f) for e, s, f in dated if s and f and f >= s]
    if not usable:
        return []
    origin = min(s for _, s, _ in usable)
    return [
        Span(
            _text(entry.get("label")) or "Milestone",
            float((start - origin).days),
            float((end - origin).days + 1),
            f"{start.isoformat()} → {end.isoformat()}",
        )
        for entry, start, end in usable
    ]


def _date_range(plan: Any) -> str:
    """``first start → last end`` of the dated timeline, or ""."""
    entries = _mappings(plan.get("timeline") if isinstance(plan, Mapping) else [])
    starts = [d for d in (_date(e.get("start")) for e in entries) if d]
    ends = [d for d in (_date(e.get("end")) for e in entries) if d]
    if not starts or not ends or max(ends) < min(starts):
        return ""
    return f"{min(starts).isoformat()} → {max(ends).isoformat()}"


def timeline_chart(
    plan: Any, width: int, styles: ChartStyles | None = None
) -> Text | None:
    """A Gantt-style chart of the delivery plan, or None when there is nothing.

    Phases are drawn one after another by their weeks; a plan without usable
    phase durations falls back to the dated timeline.
    """
    styles = styles or ChartStyles()
    spans = phase_spans(plan)
    if any(span.end is not None for span in spans):
        total = max(span.end or 0.0 for span in spans)
        title = f"Delivery timeline · {_weeks(round(total, 1))}"
        dates = _date_range(plan)
        title += f" · {dates}" if dates else ""
    else:
        spans = milestone_spans(plan)
        if not spans:
            return None
        total = max(span.end or 0.0 for span in spans)
        title = f"Delivery timeline · {_date_range(plan)}"
    return _draw(title, spans, total, width, styles)


# -- the budget ----------------------------------------------------------------------


def money(amount: float, currency: str) -> str:
    """An amount with its currency: ``$12,500`` or ``CHF 12,500``."""
    figure = f"{amount:,.0f}" if amount >= 100 else f"{amount:,.2f}".rstrip("0")
    figure = figure.rstrip(".")
    sign = CURRENCY_SIGNS.get(currency.upper())
    if sign:
        return f"{sign}{figure}"
    return f"{currency.upper()} {figure}" if currency else figure


def _item_range(item: Mapping[str, Any]) -> tuple[float, float] | None:
    """The (low, high) of an item: one end stands for both; reversed ends swap."""
    low, high = _number(item.get("low")), _number(item.get("high"))
    if low is None and high is None:
        return None
    low = high if low is None else low
    high = low if high is None else high
    assert low is not None and high is not None
    return (min(low, high), max(low, high))


def budget_spans(budget: Any) -> tuple[list[Span], float, float]:
    """The items as spans from low to high, with the low and high totals."""
    currency = _text(budget.get("currency")) if isinstance(budget, Mapping) else ""
    items = _mappings(budget.get("items") if isinstance(budget, Mapping) else [])
    spans: list[Span] = []
    low_total = high_total = 0.0
    for item in items:
        label = _text(item.get("item")) or f"Item {len(spans) + 1}"
        found = _item_range(item)
        if found is None:
            spans.append(Span(label, None, None, "—"))
            continue
        low, high = found
        low_total, high_total = low_total + low, high_total + high
        spans.append(Span(label, low, high, _money_range(low, high, currency)))
    return spans, low_total, high_total


def _money_range(low: float, high: float, currency: str) -> str:
    """``$5,000 to $9,000`` with a dash, or one figure when both ends agree."""
    if low == high:
        return money(low, currency)
    return f"{money(low, currency)} {EN_DASH} {money(high, currency)}"


def budget_chart(
    budget: Any, width: int, styles: ChartStyles | None = None
) -> Text | None:
    """Range bars of the budget items with a total line, or None when there is none.

    The solid part of a bar runs to the low estimate, the light part on to the
    high one, all on one scale so bars compare across items.
    """
    styles = styles or ChartStyles()
    spans, low_total, high_total = budget_spans(budget)
    if not any(span.end for span in spans):
        return None
    currency = _text(budget.get("currency"))
    scale = max(span.end or 0.0 for span in spans)
    title = "Budget" + (f" ({currency.upper()})" if currency else "")
    chart = _draw(title, spans, scale, width, styles, from_zero=True)
    total = _money_range(low_total, high_total, currency)
    chart.append("\n")
    chart.append_text(_total_row(total, _layout(spans, width), styles))
    return chart


# -- drawing -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Layout:
    """Column widths of a chart at one terminal width."""

    label: int
    bar: int
    note: int


def _layout(spans: Iterable[Span], width: int) -> _Layout:
    """Share the width between labels, bars and notes; notes go first when tight."""
    spans = list(spans)
    note = max([len(span.note) for span in spans] + [len("Total")])
    label = min(max([len(span.label) for span in spans] + [5]), LABEL_MAX)
    label = min(label, max(width // 4, 5))
    bar = width - label - note - 2
    if bar < MIN_BAR_WIDTH:
        note = 0
        bar = max(width - label - 1, 1)
    return _Layout(label, bar, note)


def _bar(
    span: Span, scale: float, cells: int, styles: ChartStyles, from_zero: bool
) -> Text:
    """One bar, ``cells`` wide: blank, then solid (and light for a range)."""
    if span.start is None or span.end is None or scale <= 0:
        return Text(" " * cells)
    start = round(span.start / scale * cells)
    end = max(round(span.end / scale * cells), start + (1 if span.end else 0))
    end = min(end, cells)
    bar = Text()
    if from_zero:
        bar.append(FULL * max(start, 1 if span.start else 0), styles.bar)
        bar.append(RANGE * (end - len(bar)), styles.range)
    else:
        bar.append(" " * start)
        bar.append(FULL * (end - start), styles.bar)
    bar.append(" " * (cells - len(bar)))
    return bar


def _fit(text: str, cells: int) -> str:
    """``text`` padded or cut with an ellipsis to exactly ``cells`` cells."""
    if len(text) <= cells:
        return text.ljust(cells)
    return text[: max(cells - 1, 0)] + "…" if cells else ""


def _row(
    label: str, bar: Text | None, note: str, layout: _Layout, note_style: Style
) -> Text:
    """One chart line: label, bar (or blank) and note in their columns."""
    row = Text(no_wrap=True, overflow="crop")
    row.append(_fit(label, layout.label))
    row.append(" ")
    row.append_text(bar or Text(" " * layout.bar))
    if layout.note:
        row.append(" ")
        row.append(note.rjust(layout.note), note_style)
    return row


def _total_row(total: str, layout: _Layout, styles: ChartStyles) -> Text:
    """``Total`` and the summed range, right-aligned even when notes are hidden."""
    room = layout.bar + (layout.note + 1 if layout.note else 0)
    return Text(
        _fit("Total", layout.label) + " " + total.rjust(room)[-room:],
        styles.total,
        no_wrap=True,
    )


def _draw(
    title: str,
    spans: list[Span],
    scale: float,
    width: int,
    styles: ChartStyles,
    *,
    from_zero: bool = False,
) -> Text:
    """The title line, then one row per span."""
    layout = _layout(spans, width)
    lines = [Text(_fit(title, width).rstrip(), styles.title, no_wrap=True)]
    for span in spans:
        bar = _bar(span, scale, layout.bar, styles, from_zero)
        row = _row(span.label, bar, span.note, layout, styles.muted)
        row.stylize(styles.label, 0, layout.label)
        lines.append(row)
    return Text("\n", no_wrap=True).join(lines)


# -- widgets ---------------------------------------------------------------------------


class _WidthAware:
    """A rich renderable that builds its text for the width it is given."""

    def __init__(self, build: Callable[[int], Text | None]) -> None:
        self.build = build

    def __rich_console__(
        self, console: Console, options: ConsoleOptions
    ) -> RenderResult:
        """Render the chart at the available width."""
        text = self.build(options.max_width)
        if text is not None:
            yield text


class _Chart(Static):
    """A chart of one part of the report; hidden when that part has no data."""

    COMPONENT_CLASSES = {
        "chart--title",
        "chart--label",
        "chart--bar",
        "chart--range",
        "chart--muted",
        "chart--total",
    }

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes, markup=False)
        self.data: Any = None
        self.display = False

    def chart(self, width: int) -> Text | None:
        """The chart's text at ``width`` cells (None when there is nothing)."""
        raise NotImplementedError

    def show(self, data: Any) -> bool:
        """Chart ``data`` (a part of the report JSON); False if it is hidden."""
        self.data = data
        self.display = self.chart(80) is not None
        self.update(_WidthAware(self.chart))
        return bool(self.display)

    def styles_for_chart(self) -> ChartStyles:
        """The rich styles from this widget's component classes in app.tcss."""
        if not self.is_mounted:
            return ChartStyles()
        get = self.get_component_rich_style
        return ChartStyles(
            title=get("chart--title"),
            label=get("chart--label"),
            bar=get("chart--bar"),
            range=get("chart--range"),
            muted=get("chart--muted"),
            total=get("chart--total"),
        )


class TimelineChart(_Chart):
    """The delivery plan as a horizontal Gantt-style bar chart."""

    def chart(self, width: int) -> Text | None:
        """The timeline at ``width`` cells."""
        return timeline_chart(self.data, width, self.styles_for_chart())


class BudgetChart(_Chart):
    """The budget items as low-to-high range bars with a total line."""

    def chart(self, width: int) -> Text | None:
        """The budget at ``width`` cells."""
        return budget_chart(self.data, width, self.styles_for_chart())
