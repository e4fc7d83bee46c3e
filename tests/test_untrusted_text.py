"""Untrusted text is text: markup, escape sequences, emoji, CJK and
right-to-left script in titles and report text show literally, never crash,
and no control character reaches the terminal."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from helpers import sample_answers, wait_until
from rich.text import Text
from test_modals_help import screen_text
from textual.widgets import Static

from starmap_tui.app import StarmapApp
from starmap_tui.config import Settings
from starmap_tui.screens.dashboard import DashboardScreen
from starmap_tui.storage.repository import Repository
from starmap_tui.widgets.job_table import JobTable
from starmap_tui.widgets.safe_text import clean, literal
from starmap_tui.widgets.starmap_preview import StarmapPreview
from starmap_tui.worker.runner import RunnerSettings

OWNER = f"{socket.gethostname()}:{os.getpid()}:untrusted-test"

MARKUP = "[bold]x[/] [link=https://example.com]z[/link] [/]"
ANSI = "\x1b[31mred\x1b[0m alert\x07"
EMOJI = "Rollout 🚀✨ 👩🏽‍💻"
CJK = "新入社員研修の分析"
RTL = "تحليل الاحتياجات التدريبية"
TITLES = (MARKUP, ANSI, EMOJI, CJK, RTL)


def make_app(db_path: Path) -> StarmapApp:
    """The app on the test's store."""
    return StarmapApp(
        Settings(),
        db_path,
        runner_settings=RunnerSettings(concurrency=1, poll_seconds=0.05),
    )


def test_clean_makes_control_characters_visible():
    assert clean("a\x1b[31mb") == "a\u241b[31mb"
    assert clean("bell\x07 del\x7f csi\x9b") == "bell\u2407 del\u2421 csi\ufffd"
    assert clean("two\nlines\r\tand tab") == "two lines  and tab"
    assert clean("keep\nlines\r\nhere\rtoo", multiline=True) == (
        "keep\nlines\nhere\ntoo"
    )
    assert clean(None) == ""
    assert clean(CJK + RTL + EMOJI) == CJK + RTL + EMOJI


def test_literal_never_parses_markup():
    text = literal(MARKUP, "bold")
    assert isinstance(text, Text)
    assert text.plain == MARKUP
    assert text.spans == []


async def test_titles_show_literally_in_table_preview_and_screen(
    db_path: Path, repo: Repository
):
    ids = {}
    for title in TITLES:
        record = await repo.create_starmap(title, stage_answers=sample_answers())
        ids[title] = record.id
    app = make_app(db_path)
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_until(lambda: app.store_ready)
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        table = screen.query_one("#starmaps", JobTable)
        await wait_until(lambda: table.row_count == len(TITLES))
        for title, starmap_id in ids.items():
            assert table.cell_text(starmap_id, "title") == clean(title)
        escaped = "\u241b[31mred\u241b[0m alert\u2407"
        assert table.cell_text(ids[ANSI], "title") == escaped

        shown = screen_text(app)
        assert "\x1b" not in shown and "\x07" not in shown
        assert "[bold]x[/] [link=https://example.com]z[/link]" in shown
        assert CJK in shown and "\u241b[31mred" in shown

        for title in TITLES:
            await wait_until(lambda: table.highlighted_id is not None)
            if table.highlighted_id != ids[title]:
                table.move_cursor(row=table.get_row_index(ids[title]))
            await wait_until(lambda title=title: clean(title) in preview_plain(screen))
        await pilot.press("e")
        await wait_until(lambda: type(app.screen).__name__ == "RenameModal")
        await pilot.press("escape")
        await wait_until(lambda: isinstance(app.screen, DashboardScreen))


def preview_plain(screen: DashboardScreen) -> str:
    """The preview's plain text."""
    body = screen.query_one("#preview", StarmapPreview).query_one(
        "#preview-body", Static
    )
    content = body.content
    return content.plain if isinstance(content, Text) else str(content)


async def test_confirm_question_with_markup_title_does_not_crash(
    db_path: Path, repo: Repository
):
    await repo.create_starmap("[/]" + MARKUP)
    app = make_app(db_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(lambda: app.store_ready)
        table = app.screen.query_one("#starmaps", JobTable)
        await wait_until(lambda: table.row_count == 1)
        await pilot.press("d")
        await wait_until(lambda: type(app.screen).__name__ == "ConfirmModal")
        assert "[/][bold]x[/]" in screen_text(app)
        await pilot.press("n")


@pytest.mark.parametrize("hostile", [MARKUP, ANSI, RTL + " " + EMOJI])
async def test_report_text_in_the_preview_is_literal(
    db_path: Path, repo: Repository, hostile: str
):
    record = await repo.create_starmap("Report", stage_answers=sample_answers())
    await repo.enqueue(record.id, "final")
    job = await repo.claim(OWNER, 3600, provider="offline", model="test")
    assert job is not None
    report = {
        "summary": {"problem_statement": hostile, "objectives": [hostile]},
        "delivery_plan": {"phases": [{"name": hostile, "duration_weeks": 2}]},
    }
    await repo.complete_job(job.id, OWNER, result=report, markdown=hostile)
    failing = await repo.create_starmap("Failing", stage_answers=sample_answers())
    await repo.enqueue(failing.id, "final")
    job = await repo.claim(OWNER, 3600, provider="offline", model="test")
    assert job is not None
    await repo.fail_job(job.id, OWNER, hostile)

    app = make_app(db_path)
    async with app.run_test(size=(160, 40)):
        await wait_until(lambda: app.store_ready)
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        table = screen.query_one("#starmaps", JobTable)
        await wait_until(lambda: table.row_count == 2)
        for starmap_id in (record.id, failing.id):
            table.move_cursor(row=table.get_row_index(starmap_id))
            await wait_until(lambda: clean(hostile) in preview_plain(screen))
            shown = screen_text(app)
            assert "\x1b" not in shown
