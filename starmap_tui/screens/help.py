"""The help screen, generated from the live bindings of the screen below it.

Nothing here lists keys by hand: it reads ``active_bindings`` of the target
screen (its own keys, the focused widget's and the app's), so a key added,
remapped through the keymap or disabled shows up here as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widgets import Static


@dataclass
class HelpEntry:
    """One action and every key that triggers it."""

    keys: list[str]
    description: str
    enabled: bool


def describe(binding: Binding) -> str:
    """A binding's tooltip or description, or its action made readable."""
    if binding.tooltip or binding.description:
        return binding.tooltip or binding.description
    action = binding.action.rpartition(".")[2].split("(")[0]
    return action.replace("_", " ").capitalize()


# What a person calls Textual's own widgets; ours say it in HELP_NAME.
WIDGET_NAMES: dict[str, str] = {
    "Input": "Text field",
    "TextArea": "Text box",
    "Select": "Drop-down",
    "SelectionList": "Multiple choice",
    "OptionList": "List",
    "RadioSet": "Choices",
    "Checkbox": "Check box",
    "Button": "Button",
    "MarkdownViewer": "Report",
    "Markdown": "Report",
    "Tree": "Contents",
    "VerticalScroll": "Scrolling area",
    "ScrollableContainer": "Scrolling area",
}


def widget_name(node: DOMNode) -> str:
    """A widget's name for people: its HELP_NAME, else its kind in words."""
    own = getattr(node, "HELP_NAME", None)
    if isinstance(own, str):
        return own
    for cls in type(node).__mro__:
        if cls.__name__ in WIDGET_NAMES:
            return WIDGET_NAMES[cls.__name__]
    words = re.findall(r"[A-Z][a-z0-9]*|[a-z0-9]+", type(node).__name__)
    return " ".join(words).capitalize() or "Focused widget"


def group_name(node: DOMNode, target: Screen[object]) -> str:
    """The heading a binding is listed under, by where it is defined."""
    if node is target:
        return target.title or type(target).__name__.removesuffix("Screen")
    if node is target.app:
        return "Everywhere"
    return f"{widget_name(node)} (focused)"


def help_groups(target: Screen[object]) -> dict[str, list[HelpEntry]]:
    """The target's live bindings, grouped by where they are defined."""
    groups: dict[str, dict[tuple[str, str], HelpEntry]] = {}
    for key, active in target.active_bindings.items():
        binding = active.binding
        group = groups.setdefault(group_name(active.node, target), {})
        ident = (binding.action, describe(binding))
        display = target.app.get_key_display(binding.with_key(key))
        if ident in group:
            group[ident].keys.append(display)
        else:
            group[ident] = HelpEntry([display], describe(binding), active.enabled)
    ordered = sorted(groups.items(), key=lambda item: _group_rank(item[0], target))
    return {name: list(entries.values()) for name, entries in ordered}


def _group_rank(name: str, target: Screen[object]) -> int:
    """The screen's own keys first, the app's last, the focused widget's between."""
    if name == group_name(target, target):
        return 0
    return 2 if name == "Everywhere" else 1


def help_table(title: str, entries: list[HelpEntry]) -> Table:
    """One group as a two-column table."""
    table = Table(
        title=Text(title, style="bold"),
        title_justify="left",
        show_header=False,
        box=None,
        padding=(0, 2, 0, 0),
        expand=True,
    )
    table.add_column("keys", style="bold", no_wrap=True, min_width=14)
    table.add_column("does", ratio=1)
    for entry in entries:
        style = "" if entry.enabled else "dim"
        table.add_row(
            Text(" / ".join(entry.keys), style=style),
            Text(entry.description, style=style),
        )
    return table


class HelpScreen(ModalScreen[None]):
    """The keys that work on the screen below, read from its live bindings."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,f1,question_mark", "close", "Close help", id="help.close"),
    ]

    def __init__(self, target_screen: Screen[object]) -> None:
        super().__init__(id="help")
        self.target_screen = target_screen

    def compose(self) -> ComposeResult:
        """A heading and one table per group."""
        groups = help_groups(self.target_screen)
        with Vertical(id="help-box"):
            yield Static(Text("Keys", style="bold"), id="help-title")
            with VerticalScroll(id="help-body"):
                for name, entries in groups.items():
                    yield Static(help_table(name, entries), classes="help-group")
            yield Static(
                Text("esc closes · ctrl+p opens the command palette", style="dim"),
                id="help-hint",
            )

    def action_close(self) -> None:
        """Back to the screen below."""
        self.dismiss(None)
