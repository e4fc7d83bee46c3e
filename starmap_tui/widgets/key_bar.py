"""The key bar at the foot of every screen."""

from __future__ import annotations

from textual.widgets import Footer

# Below this many columns the palette's hint gives its room to the keys.
ROOM_FOR_PALETTE_HINT = 110


class KeyBar(Footer):
    """Textual's footer, compact, so a screen's keys fit at 80 columns.

    The palette's hint is what the bar can spare when narrow: ctrl+p is in
    the help, a screen's own keys are not anywhere else.
    """

    def __init__(self) -> None:
        super().__init__(compact=True)

    def on_resize(self) -> None:
        """Show the palette's hint only where the keys leave room for it."""
        wanted = self.size.width >= ROOM_FOR_PALETTE_HINT
        if self.show_command_palette != wanted:
            self.show_command_palette = wanted
