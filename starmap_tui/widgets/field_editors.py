"""One editor widget per field type, each with its label, help and inline message.

Every editor shows the field's label (with ``*`` when required) and help as
plain text, never markup, because generated questions are untrusted text. An
editor reports a changed answer with :class:`FieldEditor.Changed` (only when
the answer really changed) and focus leaving it with :class:`FieldEditor.Left`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.events import DescendantBlur
from textual.message import Message
from textual.widgets import (
    Button,
    Input,
    Label,
    RadioButton,
    RadioSet,
    Select,
    SelectionList,
    Static,
    TextArea,
)
from textual.widgets.selection_list import Selection

from starmap_tui.questionnaire.fields import Field, FieldType
from starmap_tui.questionnaire.validation import (
    coerce_value,
    is_number,
    validate_value,
)

T = FieldType
OTHER_LABEL = "Other…"
OTHER_KEY = "\x00other"
RADIO_LIMIT = 4
DATE_PLACEHOLDER = "yyyy-mm-dd"


def editor_id(field_id: str) -> str:
    """The DOM id of the editor for a field (ids may start with a digit)."""
    return f"field-{field_id}"


def label_content(field: Field) -> Content:
    """The label as plain text, with a red ``*`` for a required field."""
    if field.required:
        return Content.assemble(field.label, (" *", "bold $text-error"))
    return Content(field.label)


class FieldEditor(Vertical):
    """Label, help, the controls for one answer, and its inline message."""

    validate_while_typing: ClassVar[bool] = True

    class Changed(Message):
        """The answer in an editor was changed by the user."""

        def __init__(self, editor: FieldEditor) -> None:
            super().__init__()
            self.editor = editor

        @property
        def control(self) -> FieldEditor:
            """The editor whose answer changed."""
            return self.editor

    class Left(Message):
        """Focus moved out of the editor."""

        def __init__(self, editor: FieldEditor) -> None:
            super().__init__()
            self.editor = editor

        @property
        def control(self) -> FieldEditor:
            """The editor that lost focus."""
            return self.editor

    def __init__(self, field: Field, value: Any = None) -> None:
        super().__init__(id=editor_id(field.id), classes="field-editor")
        self.field = field
        self.initial = value
        self.error: str | None = None
        self._armed = False
        self._last: Any = None

    def compose(self) -> ComposeResult:
        """Label, help, the type's controls and the message line."""
        yield Label(label_content(self.field), classes="field-label")
        if self.field.help:
            yield Static(Content(self.field.help), classes="field-help")
        yield from self.compose_controls()
        yield Static(classes="field-error")

    def compose_controls(self) -> ComposeResult:
        """The widgets that hold the answer; each editor type supplies its own."""
        raise NotImplementedError

    @property
    def value(self) -> Any:
        """The answer as it would be stored."""
        raise NotImplementedError

    def on_mount(self) -> None:
        """Start reporting changes once the initial value has settled."""
        self.call_after_refresh(self._arm)

    def _arm(self) -> None:
        self._last = self.value
        self._armed = True

    def check(self) -> str | None:
        """Validate the answer now, show the message (or clear it) and return it."""
        message = validate_value(self.field, self.value)
        self.show_error(message)
        return message

    def show_error(self, message: str | None) -> None:
        """Show ``message`` under the field, or hide the message line."""
        self.error = message
        self.query_one(".field-error", Static).update(Content(message or ""))
        self.set_class(message is not None, "-invalid")

    def focus_control(self) -> None:
        """Put the cursor in the editor's first control."""
        for widget in self.query("*"):
            if widget.focusable and widget.display:
                widget.focus()
                return

    def commit_pending(self) -> None:
        """Take in anything typed but not yet confirmed (a custom value)."""

    def notify_changed(self) -> None:
        """Report the answer if it differs from the last one reported."""
        if not self._armed:
            return
        value = self.value
        if value == self._last:
            return
        self._last = value
        if self.validate_while_typing or self.error is not None:
            self.check()
        self.post_message(self.Changed(self))

    def on_descendant_blur(self, event: DescendantBlur) -> None:
        """Validate and tell the screen when focus leaves the whole editor."""
        focused = self.screen.focused
        if not self._armed or (focused is not None and self in focused.ancestors):
            return
        self.commit_pending()
        self.check()
        self.post_message(self.Left(self))


class TextEditor(FieldEditor):
    """A one-line text answer, limited to the field's max_length."""

    validate_while_typing = False

    def compose_controls(self) -> ComposeResult:
        """One Input."""
        self.input = Input(
            _as_text(self.initial),
            placeholder=self.field.placeholder,
            max_length=self.field.max_length or 0,
            classes="field-control",
        )
        yield self.input

    @property
    def value(self) -> str:
        """The text without surrounding spaces."""
        return self.input.value.strip()

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        self.notify_changed()


class TextAreaEditor(FieldEditor):
    """A multi-line text answer."""

    validate_while_typing = False

    def compose_controls(self) -> ComposeResult:
        """One TextArea that wraps and lets tab move on to the next field."""
        self.area = TextArea(
            _as_text(self.initial),
            soft_wrap=True,
            tab_behavior="focus",
            show_line_numbers=False,
            placeholder=Content(self.field.placeholder),
            classes="field-control",
        )
        yield self.area

    @property
    def value(self) -> str:
        """The text without surrounding blank space."""
        return self.area.text.strip()

    @on(TextArea.Changed)
    def _typed(self, event: TextArea.Changed) -> None:
        event.stop()
        self.notify_changed()


class SingleSelectEditor(FieldEditor):
    """One choice from a list, with "Other…" revealing a box for a custom value.

    Short lists show as radio buttons, longer ones as a drop-down. When the
    options already include "Other", that option is the custom entry: left
    blank it answers "Other", filled in it answers what was typed.
    """

    def __init__(self, field: Field, value: Any = None) -> None:
        super().__init__(field, value)
        self.other_option = (
            "Other" if field.allow_custom and "Other" in field.options else None
        )
        self.choices = _choices(field, self.other_option)
        self.keys = [key for _, key in self.choices]

    def compose_controls(self) -> ComposeResult:
        """Radio buttons or a Select, then the (hidden) custom-value Input."""
        key, custom = self._initial_choice()
        if len(self.choices) <= RADIO_LIMIT:
            buttons = [RadioButton(Content(t), value=k == key) for t, k in self.choices]
            self.radios: RadioSet | None = RadioSet(*buttons, classes="field-control")
            yield self.radios
        else:
            self.radios = None
            # Rich Text, not Content: the drop-down's type-to-search reads only
            # Text or str prompts, and a str would be parsed as markup.
            options = [(Text(text), k) for text, k in self.choices]
            self.select: Select[str] = Select(
                options,
                value=key if key is not None else Select.NULL,
                prompt="Choose…",
                classes="field-control",
            )
            yield self.select
        self.other = Input(
            custom,
            placeholder=_other_placeholder(self.other_option),
            max_length=self.field.max_length or 0,
            classes="field-other",
        )
        self.other.display = key == OTHER_KEY
        yield self.other

    def _initial_choice(self) -> tuple[str | None, str]:
        value = coerce_value(self.field, self.initial)
        if not isinstance(value, str) or not value:
            return None, ""
        if value == self.other_option:
            return OTHER_KEY, ""
        if value in self.field.options:
            return value, ""
        return (OTHER_KEY, value) if self.field.allow_custom else (None, "")

    @property
    def selected_key(self) -> str | None:
        """The chosen entry's key (an option, or OTHER_KEY), or None."""
        if self.radios is not None:
            index = self.radios.pressed_index
            return self.keys[index] if index >= 0 else None
        value = self.select.value
        return value if isinstance(value, str) else None

    @property
    def value(self) -> str | None:
        """The chosen option, or the custom value as typed (without outer spaces)."""
        key = self.selected_key
        if key != OTHER_KEY:
            return key
        custom = self.other.value.strip()
        if self.other_option is not None:
            return custom or self.other_option
        return custom

    def choose(self, key: str | None) -> None:
        """Pick an entry by key, as a person would."""
        if self.radios is not None:
            if key is not None:
                button = list(self.radios.query(RadioButton))[self.keys.index(key)]
                button.value = True
        else:
            self.select.value = key if key is not None else Select.NULL

    @on(Select.Changed)
    @on(RadioSet.Changed)
    def _chosen(self, event: Select.Changed | RadioSet.Changed) -> None:
        event.stop()
        # The box appears right after the choice, next in the Tab order; focus
        # stays where the person put it, as it does for every other choice.
        self.other.display = self.selected_key == OTHER_KEY
        self.notify_changed()

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        self.notify_changed()


class MultiSelectEditor(FieldEditor):
    """Several choices from a list, plus custom values added with "Other…"."""

    def compose_controls(self) -> ComposeResult:
        """A SelectionList, then an Input and Add button for custom values."""
        chosen = _as_list(coerce_value(self.field, self.initial))
        options = [Selection(Content(o), o, o in chosen) for o in self.field.options]
        customs = [c for c in chosen if c not in self.field.options]
        options += [Selection(Content(c), c, True) for c in customs]
        self.selection: SelectionList[str] = SelectionList(
            *options, classes="field-control"
        )
        yield self.selection
        if self.field.allow_custom:
            with Horizontal(classes="field-other-row"):
                self.other = Input(
                    placeholder=f"{OTHER_LABEL} type a value, then Enter",
                    max_length=self.field.max_length or 120,
                    classes="field-other",
                )
                yield self.other
                yield Button("Add", classes="field-add", compact=True)

    @property
    def values_listed(self) -> list[str]:
        """Every value in the list, chosen or not, in order."""
        count = self.selection.option_count
        return [self.selection.get_option_at_index(i).value for i in range(count)]

    @property
    def value(self) -> list[str]:
        """The chosen values in list order."""
        chosen = set(self.selection.selected)
        return [v for v in self.values_listed if v in chosen]

    def add_custom(self, text: str) -> None:
        """Choose ``text``: an existing entry if it matches one, else a new entry."""
        text = text.strip()
        if not text:
            return
        key = text.casefold()
        match = next((v for v in self.values_listed if v.casefold() == key), None)
        if match is None:
            self.selection.add_option(Selection(Content(text), text, True))
            match = text
        self.selection.select(match)
        self.notify_changed()

    def commit_pending(self) -> None:
        """Add a custom value that was typed but not yet added."""
        if self.field.allow_custom and self.other.value.strip():
            self.add_custom(self.other.value)
            self.other.value = ""

    @on(SelectionList.SelectedChanged)
    def _toggled(self, event: SelectionList.SelectedChanged) -> None:
        event.stop()
        self.notify_changed()

    @on(Input.Submitted)
    @on(Button.Pressed)
    def _add(self, event: Input.Submitted | Button.Pressed) -> None:
        event.stop()
        self.commit_pending()

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        event.stop()


class DateEditor(FieldEditor):
    """A date typed as yyyy-mm-dd, checked when the field is left."""

    validate_while_typing = False

    def compose_controls(self) -> ComposeResult:
        """One Input taking digits and dashes, plus the allowed span if any."""
        self.input = _date_input(_as_text(self.initial))
        yield self.input
        bounds = _date_bounds(self.field)
        if bounds:
            yield Static(Content(bounds), classes="field-hint")

    @property
    def value(self) -> str:
        """The date text."""
        return self.input.value.strip()

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        self.notify_changed()


class DateRangeEditor(FieldEditor):
    """Start and end dates; the end may not come before the start."""

    validate_while_typing = False

    def compose_controls(self) -> ComposeResult:
        """Two date inputs side by side."""
        initial = self.initial if isinstance(self.initial, dict) else {}
        self.start = _date_input(_as_text(initial.get("start")), "field-start")
        self.end = _date_input(_as_text(initial.get("end")), "field-end")
        with Horizontal(classes="field-range"):
            yield Label("Start", classes="field-range-label")
            yield self.start
            yield Label("End", classes="field-range-label")
            yield self.end

    @property
    def value(self) -> dict[str, str] | None:
        """``{"start", "end"}``, or None when both are blank."""
        start, end = self.start.value.strip(), self.end.value.strip()
        if not start and not end:
            return None
        return {"start": start, "end": end}

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        self.notify_changed()


class NumberInput(Input):
    """An Input for numbers where up and down step the value."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "step(1)", "Increase", id="number.up", show=False),
        Binding("down", "step(-1)", "Decrease", id="number.down", show=False),
    ]

    def __init__(self, field: Field, value: str, **kwargs: Any) -> None:
        super().__init__(value, restrict=r"[-+0-9.,]*", max_length=24, **kwargs)
        self.field = field

    def action_step(self, direction: int) -> None:
        """Move by one step within min..max."""
        current = coerce_value(self.field, self.value)
        start = self.field.min if self.field.min is not None else 0
        base = current if is_number(current) else start
        moved = base + direction * (self.field.step or 1)
        if self.field.min is not None:
            moved = max(moved, self.field.min)
        if self.field.max is not None:
            moved = min(moved, self.field.max)
        self.value = _number_text(moved)
        self.cursor_position = len(self.value)


class NumberEditor(FieldEditor):
    """A number (or slider) within min..max; values outside are refused."""

    def compose_controls(self) -> ComposeResult:
        """One number Input with the range, step and unit beside it."""
        with Horizontal(classes="field-number"):
            self.input = NumberInput(
                self.field, _number_text(self.initial), classes="field-control"
            )
            yield self.input
            yield Static(Content(number_hint(self.field)), classes="field-hint")

    @property
    def value(self) -> Any:
        """A number, the text when it is not one, or None when blank."""
        return coerce_value(self.field, self.input.value)

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        self.notify_changed()


class BooleanEditor(FieldEditor):
    """Yes or no, unanswered until one is chosen."""

    def compose_controls(self) -> ComposeResult:
        """Two radio buttons side by side."""
        initial = coerce_value(self.field, self.initial)
        self.radios = RadioSet(
            RadioButton("Yes", value=initial is True),
            RadioButton("No", value=initial is False),
            classes="field-control field-boolean",
        )
        yield self.radios

    @property
    def value(self) -> bool | None:
        """True, False, or None before a choice."""
        index = self.radios.pressed_index
        return None if index < 0 else index == 0

    @on(RadioSet.Changed)
    def _chosen(self, event: RadioSet.Changed) -> None:
        event.stop()
        self.notify_changed()


EDITORS: dict[FieldType, type[FieldEditor]] = {
    T.TEXT: TextEditor,
    T.TEXTAREA: TextAreaEditor,
    T.SINGLE_SELECT: SingleSelectEditor,
    T.MULTI_SELECT: MultiSelectEditor,
    T.CALENDAR_DATE: DateEditor,
    T.CALENDAR_RANGE: DateRangeEditor,
    T.SLIDER: NumberEditor,
    T.NUMBER: NumberEditor,
    T.BOOLEAN: BooleanEditor,
}


def editor_for(field: Field, value: Any = None) -> FieldEditor:
    """The editor that fits the field's type, showing ``value``."""
    return EDITORS[field.type](field, value)


def number_hint(field: Field) -> str:
    """The allowed range, step and unit, e.g. ``0 to 100 %, step 5``."""
    unit = f" {field.unit}" if field.unit else ""
    low = _number_text(field.min) if field.min is not None else None
    high = _number_text(field.max) if field.max is not None else None
    if low is not None and high is not None:
        span = f"{low} to {high}{unit}"
    elif low is not None:
        span = f"at least {low}{unit}"
    elif high is not None:
        span = f"at most {high}{unit}"
    else:
        span = f"any number{unit}"
    step = field.step or 1
    return span if step == 1 else f"{span}, step {_number_text(step)}"


def _choices(field: Field, other_option: str | None) -> list[tuple[str, str]]:
    """(label, key) for each entry of a single select, "Other…" where it fits."""
    choices = [
        (OTHER_LABEL, OTHER_KEY) if option == other_option else (option, option)
        for option in field.options
    ]
    if field.allow_custom and other_option is None:
        choices.append((OTHER_LABEL, OTHER_KEY))
    return choices


def _other_placeholder(other_option: str | None) -> str:
    if other_option is not None:
        return "Say which (optional)"
    return "Type your own answer"


def _date_input(value: str, classes: str = "field-control") -> Input:
    return Input(
        value,
        placeholder=DATE_PLACEHOLDER,
        restrict=r"[0-9-]*",
        max_length=10,
        classes=f"field-date {classes}",
    )


def _date_bounds(field: Field) -> str:
    if field.min_date and field.max_date:
        return f"Between {field.min_date} and {field.max_date}"
    if field.min_date:
        return f"On or after {field.min_date}"
    if field.max_date:
        return f"On or before {field.max_date}"
    return ""


def _as_text(value: Any) -> str:
    return "" if value is None else str(value)


def _as_list(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _number_text(value: Any) -> str:
    """A number as people type it: 10 rather than 10.0; other values as text."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
