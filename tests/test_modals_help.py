"""The dialogs (confirm, rename, export), the help screen built from the live
bindings, and the command palette's commands."""

from __future__ import annotations

import html
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

from helpers import wait_until
from textual.app import App
from textual.binding import Binding
from textual.pilot import Pilot
from textual.widgets import Input, RadioButton

from starmap_tui.app import StarmapApp
from starmap_tui.config import Settings
from starmap_tui.screens.dashboard import DashboardScreen
from starmap_tui.screens.help import HelpScreen, help_groups
from starmap_tui.screens.modals import ConfirmModal, ExportModal, RenameModal
from starmap_tui.worker.runner import RunnerSettings

SIZE = (120, 36)


def make_app(db_path: Path) -> StarmapApp:
    """The app on the test's store, with a quick runner."""
    return StarmapApp(
        Settings(),
        db_path,
        runner_settings=RunnerSettings(
            concurrency=1, poll_seconds=0.05, heartbeat_seconds=0.2
        ),
    )


def screen_text(app: App[Any]) -> str:
    """What the terminal shows, line by line, read from a screenshot."""
    svg = app.export_screenshot()
    lines: dict[float, list[str]] = defaultdict(list)
    pattern = r'<text[^>]*\by="([\d.]+)"[^>]*>([^<]*)</text>'
    for y, chunk in re.findall(pattern, svg):
        lines[float(y)].append(html.unescape(chunk).replace("\xa0", " "))
    return "\n".join("".join(parts) for _, parts in sorted(lines.items()))


class DialogHost(App[None]):
    """A bare app that shows one dialog and keeps what it returned."""

    def __init__(self, dialog: Any) -> None:
        super().__init__()
        self.dialog = dialog
        self.results: list[Any] = []

    def on_mount(self) -> None:
        """Show the dialog."""
        self.push_screen(self.dialog, self.results.append)


async def dialog_result(pilot: Pilot[None]) -> Any:
    """Wait for the dialog to close and give its result."""
    app = pilot.app
    assert isinstance(app, DialogHost)
    await wait_until(lambda: bool(app.results), message="the dialog to close")
    return app.results[0]


# -- confirm -------------------------------------------------------------------


async def test_confirm_yes_no_escape_and_buttons():
    for keys, expected in ((["y"], True), (["n"], False), (["escape"], False)):
        app = DialogHost(ConfirmModal("Delete it?"))
        async with app.run_test() as pilot:
            await pilot.press(*keys)
            assert await dialog_result(pilot) is expected
    app = DialogHost(ConfirmModal("Delete it?", yes_label="Delete"))
    async with app.run_test() as pilot:
        await pilot.click("#yes")
        assert await dialog_result(pilot) is True


async def test_confirm_enter_on_the_default_button_says_no():
    app = DialogHost(ConfirmModal("Delete it?"))
    async with app.run_test() as pilot:
        await pilot.press("enter")
        assert await dialog_result(pilot) is False


# -- rename --------------------------------------------------------------------


async def test_rename_returns_the_new_title_trimmed():
    app = DialogHost(RenameModal("Old"))
    async with app.run_test() as pilot:
        field = app.screen.query_one("#new-title", Input)
        assert field.value == "Old"
        field.value = "  New title  "
        await pilot.press("enter")
        assert await dialog_result(pilot) == "New title"


async def test_rename_refuses_blank_and_escape_cancels():
    app = DialogHost(RenameModal("Old"))
    async with app.run_test() as pilot:
        app.screen.query_one("#new-title", Input).value = " "
        await pilot.press("enter")
        assert "blank" in screen_text(app)
        assert app.results == []
        await pilot.press("escape")
        assert await dialog_result(pilot) is None


# -- export --------------------------------------------------------------------


async def test_export_returns_format_and_path(tmp_path: Path):
    app = DialogHost(ExportModal(tmp_path / "plan.md"))
    async with app.run_test() as pilot:
        await pilot.press("enter")
        assert await dialog_result(pilot) == ("md", tmp_path / "plan.md")


async def test_export_format_choice_changes_the_suffix(tmp_path: Path):
    app = DialogHost(ExportModal(tmp_path / "plan.md"))
    async with app.run_test() as pilot:
        await pilot.click(app.screen.query(RadioButton)[1])
        field = app.screen.query_one("#export-path", Input)
        await wait_until(lambda: field.value.endswith("plan.html"))
        await pilot.click("#export")
        assert await dialog_result(pilot) == ("html", tmp_path / "plan.html")


async def test_export_default_format_follows_the_suffix_and_escape_cancels(
    tmp_path: Path,
):
    app = DialogHost(ExportModal(tmp_path / "answers.json"))
    async with app.run_test() as pilot:
        assert app.screen.chosen_format == "json"  # type: ignore[attr-defined]
        app.screen.query_one("#export-path", Input).value = ""
        await pilot.press("enter")
        assert "Give a file" in screen_text(app)
        await pilot.press("escape")
        assert await dialog_result(pilot) is None


async def test_export_asks_before_replacing_a_file_and_shows_where(tmp_path: Path):
    existing = tmp_path / "plan.md"
    existing.write_text("keep", encoding="utf-8")
    app = DialogHost(ExportModal(existing))
    async with app.run_test(size=SIZE) as pilot:
        export = app.screen
        assert f"Writes {existing}" in screen_text(app)
        await pilot.press("enter")
        await wait_until(lambda: isinstance(app.screen, ConfirmModal))
        assert "Overwrite (y)" in screen_text(app)
        await pilot.press("escape")
        await wait_until(lambda: app.screen is export)
        assert app.results == []
        assert "That file exists" in screen_text(app)

        await pilot.press("enter")
        await wait_until(lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("y")
        assert await dialog_result(pilot) == ("md", existing)
    assert existing.read_text(encoding="utf-8") == "keep"


async def test_export_of_a_relative_path_shows_the_full_path(
    tmp_path: Path, monkeypatch: Any
):
    monkeypatch.chdir(tmp_path)
    app = DialogHost(ExportModal(Path("plan.md")))
    async with app.run_test(size=SIZE) as pilot:
        field = app.screen.query_one("#export-path", Input)
        assert f"Writes {tmp_path / 'plan.md'}" in screen_text(app)
        field.value = "~/r.md"
        await wait_until(lambda: f"Writes {Path.home() / 'r.md'}" in screen_text(app))
        field.value = "deep/../new.md"
        await pilot.press("enter")
        assert await dialog_result(pilot) == ("md", tmp_path / "new.md")


# -- help ----------------------------------------------------------------------


async def open_help(pilot: Pilot[None], key: str = "f1") -> HelpScreen:
    """Press ``key`` and wait for the help screen."""
    await pilot.press(key)
    await wait_until(lambda: isinstance(pilot.app.screen, HelpScreen))
    screen = pilot.app.screen
    assert isinstance(screen, HelpScreen)
    return screen


async def test_help_lists_every_dashboard_binding(db_path: Path):
    app = make_app(db_path)
    async with app.run_test(size=(120, 60)) as pilot:
        await wait_until(lambda: app.store_ready)
        await open_help(pilot)
        text = screen_text(app)
        for binding in Binding.make_bindings(DashboardScreen.BINDINGS):
            assert binding.description in text, binding.description
        assert "Everywhere" in text and "Quit" in text
        await pilot.press("escape")
        await wait_until(lambda: isinstance(app.screen, DashboardScreen))

        await open_help(pilot, "question_mark")
        await pilot.press("q")
        await wait_until(lambda: isinstance(app.screen, DashboardScreen))


async def test_help_shows_bindings_added_or_remapped_at_runtime(db_path: Path):
    app = make_app(db_path)
    async with app.run_test(size=(120, 60)) as pilot:
        await wait_until(lambda: app.store_ready)
        app.bind("f9", "bell", description="Ring the terminal bell")
        app.update_keymap({"dashboard.export": "ctrl+e"})
        help_screen = await open_help(pilot)
        groups = help_groups(help_screen.target_screen)
        everywhere = {e.description: e.keys for e in groups["Everywhere"]}
        assert everywhere["Ring the terminal bell"] == ["f9"]
        dashboard = {e.description: e.keys for e in groups["Dashboard"]}
        assert dashboard["Export"] == [app.get_key_display(Binding("ctrl+e", ""))]
        assert "Ring the terminal bell" in screen_text(app)


async def test_help_dims_actions_that_cannot_run(db_path: Path):
    app = make_app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(lambda: app.store_ready)
        help_screen = await open_help(pilot)
        entries = {
            e.description: e.enabled
            for e in help_groups(help_screen.target_screen)["Dashboard"]
        }
        assert entries["Delete"] is False
        assert entries["New"] is True


async def test_help_names_the_focused_widget_in_words(db_path: Path):
    app = make_app(db_path)
    async with app.run_test(size=(120, 60)) as pilot:
        await wait_until(lambda: app.store_ready)
        help_screen = await open_help(pilot)
        assert "Starmap table (focused)" in help_groups(help_screen.target_screen)
        await pilot.press("escape")
        await pilot.press("slash")
        help_screen = await open_help(pilot)
        names = list(help_groups(help_screen.target_screen))
        assert "Text field (focused)" in names
        # No class name such as "JobTable" or "FilterBar" reaches the user.
        assert not [n for n in names if re.search(r"[a-z][A-Z]", n)], names


def test_snapshot_help_screen(snap_compare, db_path: Path):
    async def show_help(pilot: Pilot[None]) -> None:
        await wait_until(lambda: pilot.app.store_ready)  # type: ignore[attr-defined]
        await open_help(pilot)
        await pilot.pause()

    assert snap_compare(make_app(db_path), terminal_size=SIZE, run_before=show_help)


# -- the command palette -------------------------------------------------------


async def test_palette_offers_app_and_dashboard_commands(db_path: Path, repo: Any):
    await repo.create_starmap("One")
    app = make_app(db_path)
    async with app.run_test(size=SIZE):
        await wait_until(lambda: app.store_ready)
        dashboard = app.screen
        assert isinstance(dashboard, DashboardScreen)
        await wait_until(lambda: dashboard.selected_id is not None)
        titles = {command.title for command in app.get_system_commands(dashboard)}
        expected = {"New starmap", "Help", "Quit", "Retry", "Delete", "Export"}
        assert expected <= titles


async def test_palette_runs_new_starmap(db_path: Path):
    app = make_app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(lambda: app.store_ready)
        await pilot.press("ctrl+p")
        await wait_until(lambda: type(app.screen).__name__ == "CommandPalette")
        await pilot.press(*"new starmap")
        await wait_until(lambda: "Start a new starmap" in screen_text(app))
        await pilot.press("enter")
        await wait_until(lambda: type(app.screen).__name__ == "WizardScreen")
        assert app.screen.starmap_id is None
