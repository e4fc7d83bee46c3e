"""Each field editor, driven as a person would through a small host app."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Input, RadioSet, Select, SelectionList, Static

from starmap_tui.questionnaire.fields import Field, FieldType
from starmap_tui.questionnaire.stages import STAGE1, STAGE2, STAGE3
from starmap_tui.widgets.field_editors import (
    OTHER_KEY,
    BooleanEditor,
    DateEditor,
    DateRangeEditor,
    FieldEditor,
    MultiSelectEditor,
    NumberEditor,
    SingleSelectEditor,
    TextAreaEditor,
    TextEditor,
    editor_for,
    number_hint,
)
from tests.helpers import wait_until

T = FieldType
STYLESHEET = Path(__file__).parent.parent / "starmap_tui" / "app.tcss"


class EditorHost(App[None]):
    """Hosts editors (and a plain Input to move focus to) and records messages."""

    CSS_PATH = STYLESHEET

    def __init__(self, *editors: FieldEditor) -> None:
        super().__init__()
        self.editors = editors
        self.changes: list[tuple[str, Any]] = []
        self.left: list[str] = []

    def compose(self) -> ComposeResult:
        """The editors, then an Input outside them all."""
        with VerticalScroll():
            yield from self.editors
            yield Input(id="elsewhere")

    def on_field_editor_changed(self, message: FieldEditor.Changed) -> None:
        """Record each reported change."""
        self.changes.append((message.editor.field.id, message.editor.value))

    def on_field_editor_left(self, message: FieldEditor.Left) -> None:
        """Record each time focus left an editor."""
        self.left.append(message.editor.field.id)


async def type_text(pilot: Any, text: str) -> None:
    """Type text key by key into whatever has focus."""
    for char in text:
        await pilot.press("space" if char == " " else char)


def error_text(editor: FieldEditor) -> str:
    """The message shown under the editor."""
    return str(editor.query_one(".field-error", Static).render())


async def test_text_editor_limits_length_and_reports_changes() -> None:
    field = Field("nick", "Nickname", T.TEXT, required=True, max_length=5)
    editor = TextEditor(field)
    app = EditorHost(editor)
    async with app.run_test() as pilot:
        editor.input.focus()
        await type_text(pilot, "abcdefgh")
        await pilot.pause()
        assert editor.value == "abcde"
        assert app.changes[-1] == ("nick", "abcde")


async def test_required_message_shows_on_blur_and_clears_when_fixed() -> None:
    field = Field("who", "Your name", T.TEXT, required=True, min_length=2)
    editor = TextEditor(field)
    app = EditorHost(editor)
    async with app.run_test() as pilot:
        editor.input.focus()
        await pilot.press("a", "tab")
        await pilot.pause()
        assert "at least 2 characters" in error_text(editor)
        assert app.left == ["who"]
        editor.input.focus()
        await pilot.press("end", "b")
        await pilot.pause()
        assert editor.error is None
        assert error_text(editor) == ""


async def test_single_select_other_keeps_custom_value_as_typed() -> None:
    field = STAGE2.field_by_id("org_size")
    assert field is not None and "Other" not in field.options
    editor = SingleSelectEditor(field)
    app = EditorHost(editor)
    async with app.run_test() as pilot:
        control = editor.query_one(".field-control", Select)
        assert not editor.other.display
        control.focus()
        editor.choose(OTHER_KEY)
        await pilot.pause()
        # Focus stays on the choice; the box for the custom value is next.
        assert control.has_focus and editor.other.display
        await pilot.press("tab")
        await wait_until(lambda: editor.other.has_focus, message="other focused")
        await type_text(pilot, "About 40 FTE, [fluctuating]")
        await pilot.pause()
        assert editor.value == "About 40 FTE, [fluctuating]"
        assert app.changes[-1] == ("org_size", "About 40 FTE, [fluctuating]")
        editor.choose("51-200 employees")
        await pilot.pause()
        assert editor.value == "51-200 employees"
        assert not editor.other.display


async def test_single_select_listed_other_answers_other_until_specified() -> None:
    field = STAGE1.field_by_id("requester_department")
    assert field is not None and "Other" in field.options
    editor = SingleSelectEditor(field)
    app = EditorHost(editor)
    async with app.run_test() as pilot:
        editor.choose(OTHER_KEY)
        await pilot.pause()
        assert editor.value == "Other"
        editor.other.focus()
        await type_text(pilot, "People Ops")
        await pilot.pause()
        assert editor.value == "People Ops"


async def test_single_select_restores_a_custom_value() -> None:
    field = STAGE1.field_by_id("requester_department")
    assert field is not None
    editor = SingleSelectEditor(field, "Customer Success")
    app = EditorHost(editor)
    async with app.run_test() as pilot:
        await pilot.pause()
        assert editor.selected_key == OTHER_KEY
        assert editor.other.display
        assert editor.other.value == "Customer Success"
        assert editor.value == "Customer Success"


async def test_short_single_select_is_a_radio_set_chosen_by_keys() -> None:
    field = Field(
        "pace", "Pace", T.SINGLE_SELECT, required=True, options=("Slow", "Fast")
    )
    editor = SingleSelectEditor(field)
    app = EditorHost(editor)
    async with app.run_test() as pilot:
        radios = editor.query_one(RadioSet)
        radios.focus()
        await pilot.press("down", "enter")
        await pilot.pause()
        assert editor.value == "Fast"
        await pilot.press("down", "enter")
        await pilot.pause()
        assert radios.has_focus and editor.other.display
        await pilot.press("tab")
        await wait_until(lambda: editor.other.has_focus, message="other focused")
        await type_text(pilot, "Varies")
        await pilot.pause()
        assert editor.value == "Varies"


async def test_multi_select_adds_custom_values_without_duplicates() -> None:
    field = STAGE2.field_by_id("org_compliance")
    assert field is not None
    editor = MultiSelectEditor(field, ["HIPAA"])
    app = EditorHost(editor)
    async with app.run_test() as pilot:
        assert editor.value == ["HIPAA"]
        editor.other.focus()
        await type_text(pilot, "Joint Commission")
        await pilot.press("enter")
        await type_text(pilot, "joint commission")
        await pilot.press("enter")
        await type_text(pilot, "gdpr")
        await pilot.press("enter")
        await pilot.pause()
        assert editor.value == ["GDPR", "HIPAA", "Joint Commission"]
        listed = editor.values_listed
        assert listed.count("Joint Commission") == 1
        assert "gdpr" not in listed and "joint commission" not in listed
        assert app.changes[-1] == ("org_compliance", editor.value)


async def test_multi_select_toggles_with_space_and_takes_typed_text_on_leave() -> None:
    field = STAGE2.field_by_id("org_stakeholders")
    assert field is not None
    editor = MultiSelectEditor(field)
    app = EditorHost(editor)
    async with app.run_test() as pilot:
        editor.query_one(SelectionList).focus()
        await pilot.press("space", "down", "space")
        await pilot.pause()
        assert editor.value == ["C-Suite", "Board of Directors"]
        editor.other.focus()
        await type_text(pilot, "Regulators")
        app.query_one("#elsewhere").focus()
        await wait_until(lambda: "Regulators" in editor.value, message="custom kept")
        assert editor.other.value == ""


async def test_date_range_refuses_an_end_before_the_start() -> None:
    field = STAGE3.field_by_id("project_timeline")
    assert field is not None
    editor = DateRangeEditor(field)
    app = EditorHost(editor)
    async with app.run_test() as pilot:
        editor.start.focus()
        await type_text(pilot, "2027-06-01")
        await pilot.press("tab")
        await type_text(pilot, "2027-01-31")
        await pilot.press("tab")
        await pilot.pause()
        assert editor.value == {"start": "2027-06-01", "end": "2027-01-31"}
        assert error_text(editor) == "End date must be on or after the start date"
        editor.start.value = "2027-01-02"
        await pilot.pause()
        assert editor.error is None


async def test_date_editor_takes_only_real_dates() -> None:
    field = Field("go_live", "Go-live", T.CALENDAR_DATE, min_date="2026-01-01")
    editor = DateEditor(field)
    app = EditorHost(editor)
    async with app.run_test() as pilot:
        editor.input.focus()
        await type_text(pilot, "2027-02-30x")
        await pilot.press("tab")
        await pilot.pause()
        assert editor.value == "2027-02-30"
        assert error_text(editor) == "Enter a real date as yyyy-mm-dd"
        editor.input.value = "2025-12-31"
        await pilot.pause()
        assert error_text(editor) == "Choose a date on or after 2026-01-01"


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
async def test_date_inputs_show_a_whole_date_with_the_cursor_after_it(
    size: tuple[int, int],
) -> None:
    timeline = STAGE3.field_by_id("project_timeline")
    assert timeline is not None
    date_editor = DateEditor(Field("go_live", "Go-live", T.CALENDAR_DATE))
    range_editor = DateRangeEditor(timeline)
    app = EditorHost(date_editor, range_editor)
    async with app.run_test(size=size) as pilot:
        for date_input in (date_editor.input, range_editor.start, range_editor.end):
            date_input.focus()
            await type_text(pilot, "2027-06-30")
            await pilot.pause()
            assert date_input.cursor_position == len("2027-06-30")
            assert date_input.scroll_offset.x == 0
            assert "2027-06-30" in date_input.render_line(0).text


async def test_number_outside_bounds_is_refused_not_clamped() -> None:
    field = Field(
        "share", "Share online", T.SLIDER, min=0, max=100, step=5, unit="%", default=50
    )
    editor = NumberEditor(field, 50)
    app = EditorHost(editor)
    async with app.run_test() as pilot:
        assert number_hint(field) == "0 to 100 %, step 5"
        assert editor.value == 50
        editor.input.focus()
        await pilot.press("up")
        await pilot.pause()
        assert editor.value == 55
        editor.input.value = ""
        await type_text(pilot, "150")
        await pilot.pause()
        assert editor.value == 150
        assert error_text(editor) == "Must be between 0 and 100"
        await pilot.press("backspace", "backspace")
        await pilot.pause()
        assert editor.value == 1
        assert editor.error is None


async def test_boolean_is_unanswered_until_chosen() -> None:
    field = Field("union", "Is there a works council?", T.BOOLEAN, required=True)
    editor = BooleanEditor(field)
    app = EditorHost(editor)
    async with app.run_test() as pilot:
        assert editor.value is None
        editor.radios.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert editor.value is True
        await pilot.press("right", "enter")
        await pilot.pause()
        assert editor.value is False


async def test_textarea_editor_reports_text() -> None:
    field = Field("why", "Why now?", T.TEXTAREA, placeholder="[b]not markup[/b]")
    editor = TextAreaEditor(field)
    app = EditorHost(editor)
    async with app.run_test() as pilot:
        editor.area.focus()
        await type_text(pilot, "Audit findings")
        await pilot.pause()
        assert editor.value == "Audit findings"
        assert app.changes[-1] == ("why", "Audit findings")


async def test_labels_and_help_are_plain_text() -> None:
    field = Field(
        "odd",
        "[bold]x[/] [link=y]z",
        T.TEXT,
        help="[red]help[/red]",
        required=True,
    )
    app = EditorHost(editor_for(field))
    async with app.run_test():
        label = str(app.query_one(".field-label").render())
        help_text = str(app.query_one(".field-help").render())
        assert label == "[bold]x[/] [link=y]z *"
        assert help_text == "[red]help[/red]"


async def test_editor_for_picks_the_editor_by_type() -> None:
    kinds = {
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
    for kind, editor_class in kinds.items():
        options = ("a", "b") if "select" in kind else ()
        field = Field(f"f_{kind}", "Label", kind, options=options)
        assert type(editor_for(field)) is editor_class
