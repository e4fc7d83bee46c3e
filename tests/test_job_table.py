"""The dashboard's table on its own terms: columns that fit the width, titles
cut with an ellipsis at the right cell width, and the mouse."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import wait_until
from rich.cells import cell_len
from test_dashboard import (
    LEASE,
    OWNER,
    make_app,
    populate,
    preview_text,
    ready,
    table_of,
)

from starmap_tui.screens.report import ReportScreen
from starmap_tui.screens.wizard import WizardScreen
from starmap_tui.storage.repository import Repository
from starmap_tui.widgets.job_table import (
    COLUMNS,
    JobTable,
    fit,
    layout,
    progress_bar,
)

LONG_TITLE = "Quarterly onboarding for the northern region's front-desk staff"


def table_lines(table: JobTable) -> list[str]:
    """The table's lines as drawn, header first."""
    return [table.render_line(y).text for y in range(table.size.height)]


# -- layout -----------------------------------------------------------------------


def test_a_wide_table_shows_every_column_and_gives_the_title_the_rest():
    columns = layout(160)
    assert [COLUMNS[i].key for i, _ in columns] == [c.key for c in COLUMNS]
    assert sum(width + 2 for _, width in columns) == 160


@pytest.mark.parametrize("width", [30, 44, 52, 60, 75, 90])
def test_a_narrow_table_drops_the_least_needed_columns_first(width: int):
    shown = [COLUMNS[i].key for i, _ in layout(width)]
    ranked = sorted(COLUMNS, key=lambda c: c.rank, reverse=True)
    # What is shown is always the best-ranked columns, never a gap.
    assert set(shown) == {c.key for c in ranked[: len(shown)]}
    assert shown[0] == "title"
    widths = dict(layout(width))
    assert widths[0] >= COLUMNS[0].width
    assert sum(w + 2 for w in widths.values()) <= max(width, COLUMNS[0].width + 2)


def test_fit_cuts_with_an_ellipsis_and_counts_wide_characters():
    assert fit("Onboarding", 6) == "Onboa…"
    assert fit("Onboarding", 12) == "Onboarding  "
    cut = fit("研修計画の見直しと改善", 9)
    assert cell_len(cut) == 9
    assert cut.rstrip().endswith("…")
    assert cell_len(fit("🚀 launch", 4)) == 4


# -- on screen ----------------------------------------------------------------------


async def test_at_80_columns_the_title_ends_in_an_ellipsis_and_nothing_wraps(
    db_path: Path, repo: Repository
):
    await populate(repo, [(LONG_TITLE, "draft")])
    app = make_app(db_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, rows=1)
        await pilot.pause()
        table = table_of(app)
        assert table.shown_columns[:2] == ["title", "status"]
        assert "updated" not in table.shown_columns
        header, first = table_lines(table)[:2]
        assert header.split()[:2] == ["Title", "Status"]
        assert "…" in first and LONG_TITLE not in first
        assert LONG_TITLE[:15] in first
        assert cell_len(first) == table.scrollable_content_region.width


async def test_at_180_columns_every_column_is_shown_with_the_whole_title(
    db_path: Path, repo: Repository
):
    await populate(repo, [(LONG_TITLE, "draft")])
    app = make_app(db_path)
    async with app.run_test(size=(180, 30)) as pilot:
        await ready(app, rows=1)
        await pilot.pause()
        table = table_of(app)
        assert table.shown_columns == [c.key for c in COLUMNS]
        assert LONG_TITLE in table_lines(table)[1]
        assert "Last update" in table_lines(table)[0]


async def test_a_click_highlights_a_row_and_a_second_click_opens_it(
    db_path: Path, repo: Repository
):
    ids = await populate(repo, [("Older draft", "draft"), ("Newest draft", "draft")])
    app = make_app(db_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(app, rows=2)
        table = table_of(app)
        assert table.highlighted_id == ids[1]
        # Line 0 is the header; the second row is on line 2.
        await pilot.click(JobTable, offset=(3, 2))
        await wait_until(lambda: table.highlighted_id == ids[0])
        assert isinstance(app.screen, type(table.screen))
        await pilot.click(JobTable, offset=(3, 2))
        await wait_until(lambda: isinstance(app.screen, WizardScreen | ReportScreen))
        assert app.screen.starmap_id == ids[0]  # type: ignore[attr-defined]


async def test_clicking_the_header_or_below_the_rows_changes_nothing(
    db_path: Path, repo: Repository
):
    ids = await populate(repo, [("Only draft", "draft")])
    app = make_app(db_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(app, rows=1)
        table = table_of(app)
        await pilot.click(JobTable, offset=(3, 0))
        await pilot.click(JobTable, offset=(3, 10))
        await pilot.pause()
        assert table.highlighted_id == ids[0]
        assert app.screen is table.screen


async def test_a_regeneration_at_work_shows_its_progress_on_a_completed_row(
    db_path: Path, repo: Repository
):
    (done,) = await populate(repo, [("Being rewritten", "completed")])
    await repo.enqueue(done, "final", params={"extra_context": "Budget doubled."})
    job = await repo.claim(OWNER, LEASE, provider="offline", model="test")
    assert job is not None and job.starmap_id == done
    await repo.record_progress(job.id, OWNER, 40, "Writing the report", None)
    app = make_app(db_path)
    async with app.run_test(size=(120, 36)):
        await ready(app, rows=1)
        table = table_of(app)
        # Still completed (its report stands), but visibly at work again.
        assert table.cell_text(done, "status") == "completed"
        assert table.cell_text(done, "progress") == progress_bar(40)
        assert table.cell_text(done, "step") == "Writing the report"
        await wait_until(lambda: progress_bar(40) in preview_text(app))


async def test_a_draft_shows_how_far_through_the_steps_it_is(
    db_path: Path, repo: Repository
):
    first, later = await populate(
        repo, [("Just begun", "draft"), ("At deep dive", "draft")]
    )
    await repo.set_current_step(later, "dynamic")
    app = make_app(db_path)
    async with app.run_test(size=(120, 36)):
        await ready(app, rows=2)
        table = table_of(app)
        assert table.cell_text(first, "progress") == progress_bar(0)
        assert table.cell_text(later, "progress") == progress_bar(80)
        assert table.cell_text(later, "step") == "Deep dive"
