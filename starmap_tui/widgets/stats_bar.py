"""The dashboard's counters: total, completed, in progress, failed."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from starmap_tui.storage.records import Stats


def stats_text(stats: Stats | None) -> Text:
    """One line of counters; dashes until the first read has come back."""
    parts = (
        ("Total", None if stats is None else stats.total, "bold"),
        ("Completed", None if stats is None else stats.completed, "bold green"),
        ("In progress", None if stats is None else stats.in_progress, "bold yellow"),
        ("Failed", None if stats is None else stats.failed, "bold red"),
    )
    text = Text(end="")
    for n, (label, value, style) in enumerate(parts):
        if n:
            text.append("   ")
        text.append(f"{label} ", style="dim")
        text.append("\N{EN DASH}" if value is None else f"{value:,}", style=style)
    return text


class StatsBar(Static):
    """Counters of starmaps by status."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(stats_text(None), id=id)
        self.stats: Stats | None = None

    def show(self, stats: Stats) -> None:
        """Show new counts (no repaint when nothing changed)."""
        if stats == self.stats:
            return
        self.stats = stats
        self.update(stats_text(stats))
