"""The wizard's stepper: every step in a row, which is current, which are done."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from textual.content import Content
from textual.widgets import Static

DONE_MARK = "✓"
CURRENT_MARK = "●"
TODO_MARK = "○"
SEPARATOR = " \u203a "


class Stepper(Static):
    """A one-line map of the wizard's steps (titles shortened to fit)."""

    def __init__(
        self,
        steps: Sequence[tuple[str, str]],
        *,
        current: str | None = None,
        id: str | None = None,
    ) -> None:
        self.steps = tuple(steps)
        self.current = current or self.steps[0][0]
        self.completed: frozenset[str] = frozenset()
        super().__init__(self._content(), id=id)

    def show(self, current: str, completed: Iterable[str]) -> None:
        """Mark ``current`` as the step shown and ``completed`` as done."""
        self.current = current
        self.completed = frozenset(completed)
        self._redraw()

    def on_resize(self) -> None:
        """Name every step where they fit on one line, else only the current."""
        self._redraw()

    def _redraw(self) -> None:
        full = self._content()
        width = self.content_region.width
        fits = not width or full.cell_length <= width
        self.update(full if fits else self._content(short=True))

    def describe(self) -> str:
        """The stepper as plain text, e.g. for tests and screen readers."""
        return self._content().plain

    def _content(self, *, short: bool = False) -> Content:
        """Every step's mark, number and title; ``short`` titles the current only."""
        parts: list[str | tuple[str, str]] = []
        for number, (step_id, title) in enumerate(self.steps, start=1):
            if parts:
                parts.append((SEPARATOR, "dim"))
            named = not short or step_id == self.current
            parts.append(
                self._part(step_id, f"{number} {title}" if named else str(number))
            )
        return Content.assemble(*parts)

    def _part(self, step_id: str, text: str) -> tuple[str, str]:
        done = step_id in self.completed
        if step_id == self.current:
            mark = DONE_MARK if done else CURRENT_MARK
            return (f" {mark} {text} ", "bold reverse")
        if done:
            return (f"{DONE_MARK} {text}", "")
        return (f"{TODO_MARK} {text}", "dim")
