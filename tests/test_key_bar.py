"""The key bar at the foot of the screens keeps every key in view at 80x24."""

from __future__ import annotations

from pathlib import Path

from helpers import wait_until
from test_dashboard import make_app, populate, ready
from textual.widgets._footer import FooterKey

from starmap_tui.screens.report import ReportScreen
from starmap_tui.storage.repository import Repository


def keys_in_view(screen_width: int, keys: list[FooterKey]) -> set[str]:
    """The descriptions of the keys drawn wholly inside the screen."""
    return {key.description for key in keys if key.region.right <= screen_width}


async def test_the_report_screen_shows_quit_and_help_at_80_columns(
    db_path: Path, repo: Repository
):
    await populate(repo, [("Finished work", "completed")])
    app = make_app(db_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, rows=1)
        await pilot.press("enter")
        await wait_until(lambda: isinstance(app.screen, ReportScreen))
        await wait_until(lambda: bool(app.screen.query(FooterKey)))
        await pilot.pause()
        keys = list(app.screen.query(FooterKey).results(FooterKey))
        assert {"Back", "Edit", "Export", "Quit", "Help"} <= keys_in_view(80, keys)
        assert all(key.region.right <= 80 for key in keys)


async def test_a_wide_screen_keeps_the_palette_hint(db_path: Path):
    app = make_app(db_path)
    async with app.run_test(size=(140, 30)) as pilot:
        await ready(app)
        await wait_until(lambda: bool(app.screen.query(FooterKey)))
        await pilot.pause()
        assert "palette" in app.export_screenshot()
