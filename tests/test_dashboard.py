"""The dashboard, driven as a user would: counters, filter, search, paging,
the highlight through refreshes and deletes, live updates from a second
connection, and the actions on the highlighted starmap."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from helpers import sample_answers, wait_until
from textual.pilot import Pilot
from textual.widgets import Footer, Input, Static

from starmap_tui.app import StarmapApp
from starmap_tui.config import Settings
from starmap_tui.screens import dashboard as dashboard_module
from starmap_tui.screens.dashboard import DashboardScreen
from starmap_tui.storage.repository import Repository
from starmap_tui.widgets.filter_bar import FilterBar
from starmap_tui.widgets.job_table import JobTable, progress_bar
from starmap_tui.widgets.starmap_preview import StarmapPreview
from starmap_tui.widgets.stats_bar import StatsBar
from starmap_tui.worker.runner import RunnerEvent, RunnerSettings

SIZE = (120, 36)
# Leases held by this test process: alive, so the app's runner never takes
# them over, and long, so they never run out during a test.
OWNER = f"{socket.gethostname()}:{os.getpid()}:dashboard-test"
LEASE = 3600.0

REPORT: dict[str, Any] = {
    "summary": {
        "problem_statement": "Intake errors cost two hours of rework a day.",
        "objectives": ["Cut intake errors 30%", "Onboard in 2 weeks"],
    },
    "delivery_plan": {
        "phases": [
            {"name": "Discover", "duration_weeks": 2},
            {"name": "Pilot", "duration_weeks": 4},
        ]
    },
}


def make_app(db_path: Path) -> StarmapApp:
    """The app on the test's store, with a quick runner."""
    return StarmapApp(
        Settings(),
        db_path,
        runner_settings=RunnerSettings(
            concurrency=2, poll_seconds=0.05, heartbeat_seconds=0.2
        ),
    )


async def add_starmap(repo: Repository, title: str, status: str = "draft") -> str:
    """A starmap brought to ``status`` through the repository's job protocol."""
    record = await repo.create_starmap(title, stage_answers=sample_answers())
    if status == "draft":
        return record.id
    await repo.enqueue(record.id, "final")
    if status == "queued":
        return record.id
    if status == "cancelled":
        await repo.cancel(record.id)
        return record.id
    job = await repo.claim(OWNER, LEASE, provider="offline", model="test")
    assert job is not None and job.starmap_id == record.id
    if status == "completed":
        await repo.complete_job(job.id, OWNER, result=REPORT, markdown="# Report\n")
    elif status == "failed":
        await repo.fail_job(job.id, OWNER, "The provider refused the key (401).")
    return record.id


async def populate(repo: Repository, spec: Iterable[tuple[str, str]]) -> list[str]:
    """Create starmaps from (title, status) pairs; returns their ids in order."""
    return [await add_starmap(repo, title, status) for title, status in spec]


MIXED = (
    ("Alpha onboarding", "draft"),
    ("Beta sales coaching", "draft"),
    ("Gamma safety refresher", "processing"),
    ("Delta onboarding", "completed"),
    ("Epsilon compliance", "completed"),
    ("Zeta negotiation", "failed"),
    ("Eta leadership", "cancelled"),
)


def dashboard(app: StarmapApp) -> DashboardScreen:
    """The dashboard screen (bottom of the stack)."""
    screen = app.screen_stack[1] if len(app.screen_stack) > 1 else app.screen
    assert isinstance(screen, DashboardScreen)
    return screen


def table_of(app: StarmapApp) -> JobTable:
    """The dashboard's table."""
    return dashboard(app).query_one("#starmaps", JobTable)


def page_info(app: StarmapApp) -> str:
    """The line under the table."""
    return str(dashboard(app).query_one("#page-info", Static).render())


def rows(first: int, last: int, total: int) -> str:
    """The start of the page line, such as "rows 1 to 5 of 12" with a dash."""
    return f"rows {first}\N{EN DASH}{last} of {total}"


def shown_titles(app: StarmapApp) -> list[str]:
    """The titles in the table, top to bottom."""
    table = table_of(app)
    return [table.cell_text(row_id, "title") for row_id in table.row_ids]


async def ready(app: StarmapApp, rows: int | None = None) -> None:
    """Wait until the store is open and the table has been filled."""
    await wait_until(lambda: app.store_ready, message="the store to open")
    await wait_until(lambda: table_of(app).loaded, message="the first page")
    if rows is not None:
        await wait_until(
            lambda: table_of(app).row_count == rows, message=f"{rows} rows"
        )


async def highlight(pilot: Pilot[None], app: StarmapApp, starmap_id: str) -> None:
    """Move the cursor with the arrow keys until it is on ``starmap_id``."""
    table = table_of(app)
    target = table.row_ids.index(starmap_id)
    key = "down" if target > table.cursor_row else "up"
    for _ in range(abs(target - table.cursor_row)):
        await pilot.press(key)
    await wait_until(lambda: table.highlighted_id == starmap_id)


# -- counters and filters ------------------------------------------------------


async def test_stats_and_filters_count_by_status(db_path: Path, repo: Repository):
    await populate(repo, MIXED)
    app = make_app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, rows=7)
        stats = dashboard(app).query_one("#stats", StatsBar)
        assert (stats.stats.total, stats.stats.completed) == (7, 2)
        assert (stats.stats.in_progress, stats.stats.failed) == (3, 1)
        text = str(stats.render())
        assert "Total 7" in text and "In progress 3" in text and "Failed 1" in text

        expected = {"2": 2, "3": 1, "4": 2, "5": 1, "1": 7}
        for key, count in expected.items():
            await pilot.press(key)
            await wait_until(
                lambda count=count: page_info(app).endswith(f"of {count}"),
                message=f"filter {key} to show {count}",
            )
            assert table_of(app).row_count == count
        await pilot.press("5")
        await wait_until(lambda: table_of(app).row_count == 1)
        only = table_of(app).row_ids[0]
        assert table_of(app).cell_text(only, "status") == "failed"
        assert "Press r to retry" in preview_text(app)


def preview_text(app: StarmapApp) -> str:
    """The preview pane's text."""
    preview = dashboard(app).query_one("#preview", StarmapPreview)
    return str(preview.query_one("#preview-body", Static).render())


async def test_filter_bar_moves_with_arrow_keys(db_path: Path, repo: Repository):
    await populate(repo, MIXED)
    app = make_app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, rows=7)
        dashboard(app).query_one("#filters", FilterBar).focus()
        await pilot.press("right")
        await wait_until(lambda: page_info(app).endswith("of 2"))
        assert {
            table_of(app).cell_text(i, "status") for i in table_of(app).row_ids
        } == {"draft"}
        await pilot.press("left", "left")
        await wait_until(lambda: page_info(app).endswith("of 1"))
        assert table_of(app).cell_text(table_of(app).row_ids[0], "status") == "failed"


async def test_processing_filter_covers_queued_and_processing(
    db_path: Path, repo: Repository
):
    await populate(repo, [("Running", "processing"), ("Draft", "draft")])
    app = make_app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, rows=2)
        await pilot.press("3")
        await wait_until(lambda: shown_titles(app) == ["Running"])
        status = table_of(app).cell_text(table_of(app).row_ids[0], "status")
        assert status == "processing"


# -- search --------------------------------------------------------------------


async def test_search_filters_titles_and_escape_clears(db_path: Path, repo: Repository):
    await populate(repo, MIXED)
    app = make_app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, rows=7)
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"onboard")
        await wait_until(lambda: table_of(app).row_count == 2)
        assert sorted(shown_titles(app)) == ["Alpha onboarding", "Delta onboarding"]
        assert page_info(app).startswith(rows(1, 2, 2))

        await pilot.press("escape")
        await wait_until(lambda: table_of(app).row_count == 7)
        assert app.focused is table_of(app)
        assert dashboard(app).query_one("#search", Input).value == ""


async def test_search_with_no_match_says_so(db_path: Path, repo: Repository):
    await populate(repo, MIXED[:2])
    app = make_app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, rows=2)
        await pilot.press("slash", *"zzz_%", "enter")
        await wait_until(lambda: table_of(app).row_count == 0)
        assert page_info(app).startswith("No starmaps match")
        assert app.focused is table_of(app)
        # Starmaps exist: the preview does not invite starting the first one.
        await wait_until(lambda: "matches the filter" in preview_text(app))
        assert "Press n" not in preview_text(app)


# -- the highlight stays on the same starmap -----------------------------------


async def test_highlight_follows_the_starmap_through_a_refresh(
    db_path: Path, repo: Repository
):
    ids = await populate(repo, MIXED[:4])
    app = make_app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, rows=4)
        chosen = table_of(app).row_ids[2]
        await highlight(pilot, app, chosen)
        # Another writer touches a different starmap: it moves to the top,
        # which shifts the chosen one down a row.
        other = next(i for i in ids if i != chosen and i != table_of(app).row_ids[0])
        second = await Repository.open(db_path)
        try:
            await second.rename(other, "Renamed elsewhere")
        finally:
            await second.close()
        await wait_until(lambda: shown_titles(app)[0] == "Renamed elsewhere")
        assert table_of(app).highlighted_id == chosen
        assert table_of(app).cursor_row == 3


async def test_highlight_kept_through_filter_when_still_shown(
    db_path: Path, repo: Repository
):
    await populate(repo, MIXED)
    app = make_app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, rows=7)
        table = table_of(app)
        completed = [
            i for i in table.row_ids if table.cell_text(i, "status") == "completed"
        ]
        chosen = completed[-1]
        await highlight(pilot, app, chosen)

        await pilot.press("4")
        await wait_until(lambda: table_of(app).row_count == 2)
        assert table_of(app).highlighted_id == chosen
        await pilot.press("1")
        await wait_until(lambda: table_of(app).row_count == 7)
        assert table_of(app).highlighted_id == chosen
        await pilot.press("5")
        await wait_until(lambda: table_of(app).row_count == 1)
        assert table_of(app).cursor_row == 0


async def test_delete_confirmed_moves_highlight_to_neighbour(
    db_path: Path, repo: Repository
):
    await populate(repo, MIXED[:4])
    app = make_app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, rows=4)
        before = table_of(app).row_ids
        doomed, neighbour = before[1], before[2]
        await highlight(pilot, app, doomed)
        await pilot.press("d")
        await wait_until(lambda: type(app.screen).__name__ == "ConfirmModal")
        assert "Delete" in str(app.screen.query_one(".question", Static).render())
        await pilot.press("y")
        await wait_until(lambda: table_of(app).row_count == 3)
        assert await repo.get_starmap(doomed) is None
        assert doomed not in table_of(app).row_ids
        assert table_of(app).highlighted_id == neighbour


async def test_delete_of_last_row_moves_up_and_cancel_keeps_it(
    db_path: Path, repo: Repository
):
    await populate(repo, MIXED[:3])
    app = make_app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, rows=3)
        before = table_of(app).row_ids
        await highlight(pilot, app, before[2])

        await pilot.press("d")
        await wait_until(lambda: type(app.screen).__name__ == "ConfirmModal")
        await pilot.press("escape")
        await wait_until(lambda: isinstance(app.screen, DashboardScreen))
        assert await repo.get_starmap(before[2]) is not None

        await pilot.press("d")
        await wait_until(lambda: type(app.screen).__name__ == "ConfirmModal")
        await pilot.press("n")
        await wait_until(lambda: isinstance(app.screen, DashboardScreen))
        assert await repo.get_starmap(before[2]) is not None
        assert table_of(app).row_count == 3

        await pilot.press("d")
        await wait_until(lambda: type(app.screen).__name__ == "ConfirmModal")
        await pilot.press("y")
        await wait_until(lambda: table_of(app).row_count == 2)
        assert table_of(app).highlighted_id == before[1]


# -- rename --------------------------------------------------------------------


async def test_rename_through_the_modal(db_path: Path, repo: Repository):
    (starmap_id,) = await populate(repo, [("Old title", "draft")])
    app = make_app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, rows=1)
        await pilot.press("e")
        await wait_until(lambda: type(app.screen).__name__ == "RenameModal")
        field = app.screen.query_one("#new-title", Input)
        assert field.value == "Old title"
        field.value = ""
        await pilot.press(*"New title", "enter")
        await wait_until(lambda: shown_titles(app) == ["New title"])
        record = await repo.get_starmap(starmap_id)
        assert record is not None and record.title == "New title"


async def test_rename_cancelled_or_blank_changes_nothing(
    db_path: Path, repo: Repository
):
    (starmap_id,) = await populate(repo, [("Keep me", "draft")])
    app = make_app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, rows=1)
        await pilot.press("e")
        await wait_until(lambda: type(app.screen).__name__ == "RenameModal")
        app.screen.query_one("#new-title", Input).value = "   "
        await pilot.press("enter")
        error = app.screen.query_one("#rename-error", Static)
        await wait_until(lambda: "blank" in str(error.render()))
        await pilot.press("escape")
        await wait_until(lambda: isinstance(app.screen, DashboardScreen))
        record = await repo.get_starmap(starmap_id)
        assert record is not None and record.title == "Keep me"


# -- live updates --------------------------------------------------------------


async def test_live_update_from_a_second_connection(db_path: Path, repo: Repository):
    ids = await populate(repo, [("Draft here", "draft"), ("Goes away", "draft")])
    app = make_app(db_path)
    async with app.run_test(size=SIZE):
        await ready(app, rows=2)
        # Work is done by another process here; this app's runner stays out.
        assert app.runner is not None
        await app.runner.stop()
        other = await Repository.open(db_path)
        try:
            await add_starmap(other, "Made elsewhere", "failed")
            await other.delete(ids[1])
            await other.enqueue(ids[0], "final")
            job = await other.claim(OWNER, LEASE, provider="offline", model="test")
            assert job is not None and job.starmap_id == ids[0]
            await other.record_progress(job.id, OWNER, 60, "Drafting phases", None)
        finally:
            await other.close()

        table = table_of(app)
        await wait_until(
            lambda: sorted(shown_titles(app)) == ["Draft here", "Made elsewhere"]
        )
        stats_bar = dashboard(app).query_one("#stats", StatsBar)
        await wait_until(lambda: stats_bar.stats is not None and stats_bar.stats.failed)
        await wait_until(
            lambda: table.cell_text(ids[0], "progress") == progress_bar(60)
        )
        assert table.cell_text(ids[0], "status") == "processing"
        assert table.cell_text(ids[0], "step") == "Drafting phases"


async def test_runner_progress_shows_while_a_job_runs(db_path: Path, repo: Repository):
    (starmap_id,) = await populate(repo, [("Generate me", "draft")])
    app = make_app(db_path)
    async with app.run_test(size=SIZE):
        await ready(app, rows=1)
        repo_in_app = await app.store()
        await repo_in_app.enqueue(starmap_id, "final")
        app.jobs_changed()
        await wait_until(
            lambda: table_of(app).cell_text(starmap_id, "status") == "completed",
            timeout=30,
        )
        assert table_of(app).cell_text(starmap_id, "progress") == progress_bar(100)
        await wait_until(lambda: "Final report" in preview_text(app))


async def test_a_progress_event_moves_the_table_and_the_preview_together(
    db_path: Path, repo: Repository
):
    (starmap_id,) = await populate(repo, [("Being written", "queued")])
    # Leased by this test, so the app's runner leaves it alone.
    job = await repo.claim(OWNER, LEASE, provider="offline", model="test")
    assert job is not None
    app = make_app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, rows=1)
        await wait_until(lambda: "processing" in preview_text(app))
        table = table_of(app)
        # What the runner sends after each progress write. The store is not
        # written here, so only the event can put 73% on the screen; a
        # periodic re-read landing meanwhile resets both, so send it again.
        event = RunnerEvent(
            "progress", job.id, starmap_id, "final", 73, "Sizing the budget"
        )
        for _ in range(20):
            app._broadcast(event)
            await pilot.pause()
            if table.cell_text(starmap_id, "progress") == progress_bar(73):
                break
        assert table.cell_text(starmap_id, "progress") == progress_bar(73)
        assert table.cell_text(starmap_id, "step") == "Sizing the budget"
        assert progress_bar(73) in preview_text(app)
        assert "Sizing the budget" in preview_text(app)


# -- paging --------------------------------------------------------------------


async def test_pages_of_rows(db_path: Path, repo: Repository, monkeypatch):
    monkeypatch.setattr(dashboard_module, "PAGE_SIZE", 5)
    await populate(repo, [(f"Starmap {n:02d}", "draft") for n in range(12)])
    app = make_app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, rows=5)
        assert page_info(app).startswith(rows(1, 5, 12))
        assert shown_titles(app)[0] == "Starmap 11"

        await pilot.press("right_square_bracket")
        await wait_until(lambda: page_info(app).startswith(rows(6, 10, 12)))
        assert shown_titles(app)[0] == "Starmap 06"

        for _ in range(4):
            await pilot.press("down")
        await pilot.press("down")
        await wait_until(lambda: page_info(app).startswith(rows(11, 12, 12)))
        assert table_of(app).cursor_row == 0

        await pilot.press("up")
        await wait_until(lambda: page_info(app).startswith(rows(6, 10, 12)))
        await wait_until(lambda: table_of(app).cursor_row == 4)
        assert table_of(app).highlighted_id == table_of(app).row_ids[-1]

        await pilot.press("left_square_bracket")
        await wait_until(lambda: page_info(app).startswith(rows(1, 5, 12)))


# -- actions -------------------------------------------------------------------


async def test_retry_a_failed_starmap(db_path: Path, repo: Repository):
    (starmap_id,) = await populate(repo, [("Failed one", "failed")])
    app = make_app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, rows=1)
        await pilot.press("r")
        await wait_until(
            lambda: table_of(app).cell_text(starmap_id, "status") != "failed",
            timeout=30,
        )
        events = [a.event for a in await repo.activity(starmap_id)]
        assert "retried" in events


async def test_cancel_a_running_starmap(db_path: Path, repo: Repository):
    (starmap_id,) = await populate(repo, [("Running one", "processing")])
    app = make_app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, rows=1)
        await pilot.press("c")
        await wait_until(
            lambda: table_of(app).cell_text(starmap_id, "status") == "cancelled"
        )
        jobs = await repo.jobs_for(starmap_id)
        assert [job.status for job in jobs] == ["cancelled"]


async def test_export_writes_the_file_and_logs_it(
    db_path: Path, repo: Repository, tmp_path: Path
):
    (starmap_id,) = await populate(repo, [("Exported", "completed")])
    app = make_app(db_path)
    target = tmp_path / "out" / "report.md"
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, rows=1)
        await pilot.press("x")
        await wait_until(lambda: type(app.screen).__name__ == "ExportModal")
        app.screen.query_one("#export-path", Input).value = str(target)
        await pilot.press("enter")
        await wait_until(target.exists)
        assert target.read_text(encoding="utf-8") == "# Report\n"

        await pilot.press("x")
        await wait_until(lambda: type(app.screen).__name__ == "ExportModal")
        app.screen.query_one("#export-path", Input).value = str(tmp_path / "a.json")
        await pilot.click("#export-format RadioButton:last-of-type")
        await pilot.press("tab")
        await pilot.press("enter")
        await wait_until((tmp_path / "a.json").exists)
        document = json.loads((tmp_path / "a.json").read_text(encoding="utf-8"))
        assert document["title"] == "Exported"
        assert document["report"] == REPORT
    events = [a for a in await repo.activity(starmap_id) if a.event == "exported"]
    assert [e.detail.split()[0] for e in events] == ["md", "json"]


async def test_open_routes_to_the_report(db_path: Path, repo: Repository):
    await populate(repo, [("Done", "completed")])
    app = make_app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, rows=1)
        await pilot.press("enter")
        await wait_until(lambda: type(app.screen).__name__ == "ReportScreen")
        assert app.screen.starmap_id == (await repo.list_starmaps())[0].id


async def test_new_opens_the_wizard(db_path: Path):
    app = make_app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, rows=0)
        assert page_info(app).startswith("No starmaps yet")
        await pilot.press("n")
        await wait_until(lambda: type(app.screen).__name__ == "WizardScreen")


async def test_actions_are_dimmed_without_a_starmap(db_path: Path):
    app = make_app(db_path)
    async with app.run_test(size=SIZE):
        await ready(app, rows=0)
        screen = dashboard(app)
        for action in ("open", "retry", "cancel", "rename", "delete", "export"):
            assert screen.check_action(action, ()) is None
        assert screen.check_action("new", ()) is True


# -- the first paint -----------------------------------------------------------


FIRST_PAINT_PROBE = """
import sys
from pathlib import Path
from starmap_tui.app import StarmapApp
from starmap_tui.config import Settings
from starmap_tui.widgets.job_table import JobTable

original = JobTable.render_lines

def probe(self, crop):
    lines = original(self, crop)
    if self.row_count:
        print("ORM", "sqlalchemy" in sys.modules, "ROWS", self.row_count, flush=True)
        self.app.exit()
    return lines

JobTable.render_lines = probe
StarmapApp(Settings(), Path(sys.argv[1])).run(headless=True, size=(120, 36))
"""


async def test_first_paint_comes_before_the_orm(db_path: Path, repo: Repository):
    await populate(repo, MIXED[:3])
    done = subprocess.run(
        [sys.executable, "-c", FIRST_PAINT_PROBE, str(db_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ},
    )
    assert "ORM False ROWS 3" in done.stdout, done.stdout + done.stderr


# -- snapshots -----------------------------------------------------------------


def freeze_times(db_path: Path, titles: Iterable[str]) -> None:
    """Give rows fixed, distinct update times so snapshots don't drift."""
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with sqlite3.connect(db_path) as conn:
        for n, title in enumerate(titles):
            moment = (start + timedelta(minutes=17 * n)).isoformat()
            conn.execute(
                "UPDATE starmap SET updated_at = ?, created_at = ? WHERE title = ?",
                (moment, moment, title),
            )


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch) -> None:
    """Show times in UTC, whatever the machine's zone."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


async def settled(pilot: Pilot[None]) -> None:
    """Wait until the dashboard shows its data and the preview its record."""
    app = pilot.app
    assert isinstance(app, StarmapApp)
    await ready(app)
    await wait_until(lambda: bool(dashboard(app).query(Footer)), message="keys")
    preview = dashboard(app).query_one("#preview", StarmapPreview)
    if table_of(app).row_count:
        await wait_until(lambda: preview.shown_key is not None and preview.shown_key[1])
    await pilot.pause()


def test_snapshot_dashboard_empty(snap_compare, db_path: Path, utc: None):
    assert snap_compare(make_app(db_path), terminal_size=SIZE, run_before=settled)


def test_snapshot_dashboard_populated_and_filtered(
    snap_compare, db_path: Path, utc: None
):
    import asyncio

    async def build() -> None:
        repo = await Repository.open(db_path)
        try:
            await populate(repo, MIXED)
        finally:
            await repo.close()

    asyncio.run(build())
    freeze_times(db_path, [title for title, _ in MIXED])

    async def filter_completed(pilot: Pilot[None]) -> None:
        await settled(pilot)
        await pilot.press("4", "down")
        await wait_until(lambda: table_of(pilot.app).row_count == 2)  # type: ignore[arg-type]
        await settled(pilot)

    assert snap_compare(
        make_app(db_path), terminal_size=SIZE, run_before=filter_completed
    )


async def test_the_palette_offers_our_help_and_not_a_second_keys_panel(
    db_path: Path,
):
    app = make_app(db_path)
    async with app.run_test(size=SIZE):
        await ready(app)
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert "Help" in titles
        assert "Keys" not in titles
        assert titles.count("Quit") == 1
