"""A one-line status filter: click a choice, or focus it and use left/right."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Static


class FilterBar(Static, can_focus=True):
    """The dashboard's filter choices; one widget, so it costs little to show."""

    HELP_NAME = "Filter"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "step(-1)", "Previous filter", id="filter.previous"),
        Binding("right", "step(1)", "Next filter", id="filter.next"),
    ]

    active: reactive[str] = reactive("", init=False)

    class Changed(Message):
        """The user picked another filter."""

        def __init__(self, bar: FilterBar, name: str) -> None:
            super().__init__()
            self.bar = bar
            self.name = name

        @property
        def control(self) -> FilterBar:
            """The bar that changed (lets ``@on`` match it by selector)."""
            return self.bar

    def __init__(self, names: Sequence[str], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.names = tuple(names)
        self.set_reactive(FilterBar.active, self.names[0])
        self.update(self._markup())

    def _markup(self) -> str:
        # The names are our own fixed words, so markup is safe here.
        parts = []
        for n, name in enumerate(self.names, 1):
            style = "reverse bold" if name == self.active else ""
            label = f"[dim]{n}[/dim] {name.capitalize()}"
            link = f"@click=choose('{name}')"
            parts.append(
                f"[{link} {style}] {label} [/]" if style else f"[{link}] {label} [/]"
            )
        return " ".join(parts)

    def watch_active(self, name: str) -> None:
        """Redraw and tell the screen."""
        self.update(self._markup())
        self.post_message(self.Changed(self, name))

    def action_choose(self, name: str) -> None:
        """Make ``name`` the active filter."""
        if name in self.names:
            self.active = name

    def action_step(self, step: int) -> None:
        """Move to the next (1) or previous (-1) filter, wrapping around."""
        index = self.names.index(self.active)
        self.active = self.names[(index + step) % len(self.names)]
