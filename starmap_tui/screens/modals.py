"""Small dialogs: confirm, rename, export."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Static

from starmap_tui.exports import export_target
from starmap_tui.widgets.safe_text import literal

EXPORT_FORMATS: tuple[tuple[str, str], ...] = (
    ("md", "Markdown (.md)"),
    ("html", "HTML page (.html)"),
    ("json", "JSON document (.json)"),
)

ExportChoice = tuple[str, Path]


class ConfirmModal(ModalScreen[bool]):
    """Ask a yes/no question; dismisses with True only on an explicit yes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(
        self, question: str, *, yes_label: str = "Yes", no_label: str = "No"
    ) -> None:
        super().__init__(classes="dialog")
        self.question = question
        self.yes_label = yes_label
        self.no_label = no_label

    def compose(self) -> ComposeResult:
        """The question and two buttons."""
        with Vertical(classes="dialog-box"):
            yield Static(literal(self.question, multiline=True), classes="question")
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.yes_label} (y)", variant="error", id="yes")
                yield Button(f"{self.no_label} (n)", id="no")

    def on_mount(self) -> None:
        """Start on No, so a stray enter changes nothing."""
        self.query_one("#no", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        """Close with the answer."""
        self.dismiss(yes)


class RenameModal(ModalScreen[str | None]):
    """Ask for a new title; dismisses with it, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="rename.cancel"),
    ]

    def __init__(self, title: str) -> None:
        super().__init__(classes="dialog")
        self.old_title = title

    def compose(self) -> ComposeResult:
        """A label, the title field, and buttons."""
        with Vertical(classes="dialog-box"):
            yield Label("New title")
            yield Input(self.old_title, id="new-title", select_on_focus=True)
            yield Static("", id="rename-error", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Rename (enter)", variant="primary", id="rename")
                yield Button("Cancel (esc)", id="cancel")

    @on(Input.Submitted)
    @on(Button.Pressed, "#rename")
    def _submit(self) -> None:
        title = self.query_one("#new-title", Input).value.strip()
        if not title:
            self.query_one("#rename-error", Static).update("A title cannot be blank.")
            return
        self.dismiss(title)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        """Close without renaming."""
        self.dismiss(None)


def format_of(path: Path) -> str:
    """The export format a file name suggests (Markdown by default)."""
    suffix = path.suffix.lower().lstrip(".")
    return suffix if suffix in {fmt for fmt, _ in EXPORT_FORMATS} else "md"


class ExportModal(ModalScreen[ExportChoice | None]):
    """Choose a format and a file; dismisses with (format, path) or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="export.cancel"),
    ]

    def __init__(self, default_path: Path) -> None:
        super().__init__(classes="dialog")
        self.default_path = default_path

    def compose(self) -> ComposeResult:
        """Format choices, the path, where it will be written, and buttons."""
        chosen = format_of(self.default_path)
        with Vertical(classes="dialog-box"):
            yield Label("Format")
            with RadioSet(id="export-format"):
                for fmt, label in EXPORT_FORMATS:
                    yield RadioButton(label, value=fmt == chosen, name=fmt)
            yield Label("Save to")
            yield Input(str(self.default_path), id="export-path")
            yield Static("", id="export-where")
            yield Static("", id="export-error", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Export (enter)", variant="primary", id="export")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        """Start in the path field: enter exports at once."""
        self.query_one("#export-path", Input).focus()
        self._show_where()

    @property
    def chosen_format(self) -> str:
        """The format picked in the radio set."""
        button = self.query_one("#export-format", RadioSet).pressed_button
        return button.name if button is not None and button.name else "md"

    @on(RadioSet.Changed)
    def _format_changed(self) -> None:
        field = self.query_one("#export-path", Input)
        if field.value.strip():
            field.value = str(
                Path(field.value.strip()).with_suffix(f".{self.chosen_format}")
            )

    @on(Input.Changed, "#export-path")
    def _show_where(self) -> None:
        # The field may hold a relative path or ~; say exactly where it goes.
        text = self.query_one("#export-path", Input).value.strip()
        where = Text("Writes ", style="dim")
        if text:
            where.append(str(export_target(text)))
        self.query_one("#export-where", Static).update(where if text else "")
        self.query_one("#export-error", Static).update("")

    @on(Input.Submitted)
    @on(Button.Pressed, "#export")
    def _submit(self) -> None:
        text = self.query_one("#export-path", Input).value.strip()
        if not text:
            self.query_one("#export-error", Static).update("Give a file to write.")
            return
        choice = (self.chosen_format, export_target(text))
        target = choice[1]
        if target.exists() and not target.is_dir():
            question = f"{target} already exists. Overwrite it?"
            confirm = ConfirmModal(
                question, yes_label="Overwrite", no_label="Choose another name"
            )
            self.app.push_screen(confirm, partial(self._overwrite_answered, choice))
            return
        self.dismiss(choice)

    def _overwrite_answered(self, choice: ExportChoice, overwrite: bool | None) -> None:
        if overwrite:
            self.dismiss(choice)
            return
        self.query_one("#export-path", Input).focus()
        self.query_one("#export-error", Static).update(
            "That file exists: change the name, or export again to overwrite it."
        )

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        """Close without exporting."""
        self.dismiss(None)
