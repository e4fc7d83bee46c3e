"""The key bar at the foot of the screens keeps every key in view at 80x24."""

from __future__ import annotations

from pathlib import Path

from helpers import wait_until
from test_dashboard import make_app, populate, ready
from textual.pilot import Pilot
from textual.widgets._footer import FooterKey

from starmap_tui.screens.report import ReportScreen
from starmap_tui.storage.repository import Repository
from starmap_tui.widgets.filter_bar import FilterBar


def keys_in_view(screen_width: int, keys: list[FooterKey]) -> set[str]:
    """The descriptions of the keys drawn wholly inside the screen."""
    return {key.description for key in keys if key.region.right <= screen_width}


async def key_bar(pilot: Pilot[None]) -> list[FooterKey]:
    """The keys of the screen shown, once its key bar is up."""
    screen = pilot.app.screen
    await wait_until(lambda: bool(screen.query(FooterKey)))
    await pilot.pause()
    return list(pilot.app.screen.query(FooterKey).results(FooterKey))


async def test_at_80_columns_the_key_bar_shows_every_key_it_lists(db_path: Path):
    app = make_app(db_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app)
        keys = await key_bar(pilot)
        shown = keys_in_view(80, keys)
        assert {"New", "Open", "Retry", "Cancel", "Quit", "Help"} <= shown
        # Nothing is cut at the screen's edge.
        assert all(key.region.right <= 80 for key in keys)
        # The filter choices fit on their one line.
        filters = app.screen.query_one("#filters", FilterBar)
        assert len(str(filters.render())) <= filters.content_region.width


async def test_the_report_screen_shows_quit_and_help_at_80_columns(
    db_path: Path, repo: Repository
):
    await populate(repo, [("Finished work", "completed")])
    app = make_app(db_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, rows=1)
        await pilot.press("enter")
        await wait_until(lambda: isinstance(app.screen, ReportScreen))
        keys = await key_bar(pilot)
        assert {"Back", "Edit", "Export", "Quit", "Help"} <= keys_in_view(80, keys)
        assert all(key.region.right <= 80 for key in keys)


async def test_a_wide_screen_keeps_the_palette_hint(db_path: Path):
    app = make_app(db_path)
    async with app.run_test(size=(140, 30)) as pilot:
        await ready(app)
        await wait_until(lambda: bool(app.screen.query(FooterKey)))
        await pilot.pause()
        assert "palette" in app.export_screenshot()
