"""The wizard, driven through the real app, store and runner (offline engine)."""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.command import CommandPalette
from textual.pilot import Pilot
from textual.widgets import Button, Input, RadioSet, Static
from textual.widgets._footer import FooterKey

from starmap_tui.app import StarmapApp
from starmap_tui.config import Settings
from starmap_tui.screens.dashboard import DashboardScreen
from starmap_tui.screens.modals import ConfirmModal
from starmap_tui.screens.report import ReportScreen
from starmap_tui.screens.wizard import JobProgress, WizardScreen
from starmap_tui.storage.repository import Repository
from starmap_tui.widgets.field_editors import (
    FieldEditor,
    SingleSelectEditor,
    TextEditor,
    editor_id,
)
from starmap_tui.widgets.stepper import Stepper
from starmap_tui.worker.runner import RunnerSettings
from tests.helpers import refuse_new_jobs, sample_answers, wait_until

SNAPSHOT_SIZE = (120, 36)


def make_app(db_path: Path, resume_id: str | None = None, **runner: Any) -> StarmapApp:
    """The real app with a quick runner for tests (``resume_id``: as --resume)."""
    settings = RunnerSettings(
        concurrency=2, poll_seconds=0.05, heartbeat_seconds=0.2, **runner
    )
    return StarmapApp(
        Settings(), db_path, resume_id=resume_id, runner_settings=settings
    )


@pytest.fixture
def fixed_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Make the machine's time zone UTC-05:00 for the test."""
    monkeypatch.setenv("TZ", "EST5")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


async def open_wizard(
    app: StarmapApp,
    pilot: Pilot[None],
    starmap_id: str | None = None,
    step: str | None = None,
) -> WizardScreen:
    """Push a wizard and wait until it has loaded and painted its step."""
    await app.store()
    screen = WizardScreen(starmap_id, step)
    app.push_screen(screen)
    await wait_until(lambda: screen.loaded, message="wizard loaded")
    # The first field takes focus after the next refresh; let that land.
    await wait_until(
        lambda: screen.focused is not None or not screen.editor_steps,
        message="first field focused",
    )
    await pilot.pause()
    return screen


async def new_starmap(
    repo: Repository, stages: tuple[str, ...] = (), title: str = "Clinic intake"
) -> str:
    """A starmap whose listed stages hold the sample answers (and are complete)."""
    answers = sample_answers()
    record = await repo.create_starmap(
        title,
        stage_answers={s: answers[s] for s in stages},
        completed_stages=stages,
    )
    return record.id


async def type_text(pilot: Pilot[None], text: str) -> None:
    """Type text key by key into whatever has focus."""
    for char in text:
        await pilot.press("space" if char == " " else char)


def editor(screen: WizardScreen, field_id: str) -> FieldEditor:
    """The editor of one field on the step shown."""
    return screen.query_one(f"#{editor_id(field_id)}", FieldEditor)


def shown(screen: WizardScreen, selector: str) -> str:
    """The plain text of a Static on the screen."""
    return str(screen.query_one(selector, Static).render())


async def stored(repo: Repository, starmap_id: str, stage: str) -> dict[str, Any]:
    """One stage's answers as the store has them."""
    record = await repo.get_starmap(starmap_id)
    assert record is not None
    return record.stage_answers.get(stage, {})


async def job_kinds(repo: Repository, starmap_id: str) -> list[str]:
    """The kinds of every job of a starmap, oldest first."""
    return [job.kind for job in await repo.jobs_for(starmap_id)]


def jobs_done(
    repo: Repository, starmap_id: str, kinds: tuple[str, ...]
) -> Callable[[], Awaitable[bool]]:
    """A condition: the newest job of each kind has succeeded."""

    async def check() -> bool:
        latest = {job.kind: job.status for job in await repo.jobs_for(starmap_id)}
        return all(latest.get(kind) == "succeeded" for kind in kinds)

    return check


# -- moving through the stages ---------------------------------------------------------


async def test_next_is_refused_with_messages_until_the_stage_is_valid(
    db_path: Path, fixed_zone: None
) -> None:
    app = make_app(db_path)
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        repo = await app.store()
        starmap_id = await new_starmap(repo, ("experience",))
        screen = await open_wizard(app, pilot, starmap_id, "stage1")
        await pilot.press("f3")
        await pilot.pause()
        assert screen.step == "stage1"
        await steady_cursor(pilot)
        assert shown(screen, "#wizard-message").startswith("4 fields need attention")
        name = editor(screen, "requester_name")
        assert name.error == "Enter a value"
        assert isinstance(name, TextEditor) and name.input.has_focus
        assert editor(screen, "requester_email").error == "Enter a value"

        await type_text(pilot, "Dana Reyes")
        await pilot.press("tab")
        await type_text(pilot, "L&D Manager")
        department = editor(screen, "requester_department")
        assert isinstance(department, SingleSelectEditor)
        department.select.focus()
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("s", "a", "l", "enter")
        await pilot.pause()
        assert department.value == "Sales"
        email = editor(screen, "requester_email")
        assert isinstance(email, TextEditor)
        email.input.focus()
        await type_text(pilot, "dana@")
        await pilot.press("f3")
        await pilot.pause()
        assert screen.step == "stage1"
        await steady_cursor(pilot)
        assert email.error == "Enter an email like name@example.com"
        assert email.input.has_focus

        await type_text(pilot, "example.com")
        await pilot.press("f3")
        await wait_until(lambda: screen.step == "stage2", message="stage 2 shown")
        saved = await stored(repo, starmap_id, "stage1")
        assert saved["requester_department"] == "Sales"
        assert saved["requester_timezone"] == "UTC-05:00 (EST)"
        record = await repo.get_starmap(starmap_id)
        assert record is not None and "stage1" in record.completed_stages


async def test_the_attention_message_follows_the_fields_once_next_was_pressed(
    db_path: Path, fixed_zone: None
) -> None:
    app = make_app(db_path)
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        repo = await app.store()
        starmap_id = await new_starmap(repo, ("experience",))
        screen = await open_wizard(app, pilot, starmap_id, "stage1")
        await pilot.press("tab", "tab")
        await pilot.pause()
        assert editor(screen, "requester_name").error == "Enter a value"
        assert shown(screen, "#wizard-message") == ""

        await pilot.press("f3")
        await pilot.pause()
        assert shown(screen, "#wizard-message").startswith("4 fields need attention")
        name = editor(screen, "requester_name")
        assert isinstance(name, TextEditor) and name.input.has_focus
        await type_text(pilot, "Dana Reyes")
        await pilot.pause()
        assert shown(screen, "#wizard-message").startswith("3 fields need attention")

        await pilot.press("tab")
        await type_text(pilot, "L&D Manager")
        await pilot.pause()
        assert shown(screen, "#wizard-message").startswith("2 fields need attention")
        department = editor(screen, "requester_department")
        assert isinstance(department, SingleSelectEditor)
        department.choose("Sales")
        await pilot.pause()
        assert shown(screen, "#wizard-message") == (
            "1 field needs attention before you can go on."
        )
        email = editor(screen, "requester_email")
        assert isinstance(email, TextEditor)
        email.input.focus()
        await type_text(pilot, "dana@example.com")
        await pilot.pause()
        assert shown(screen, "#wizard-message") == ""
        assert screen.step == "stage1"

        # A field broken again counts once its own message shows.
        email.input.value = "dana@"
        await pilot.press("tab")
        await pilot.pause()
        assert email.error is not None
        assert shown(screen, "#wizard-message") == (
            "1 field needs attention before you can go on."
        )


async def test_a_new_starmap_is_created_once_and_keeps_its_experience_level(
    db_path: Path,
) -> None:
    app = make_app(db_path)
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        repo = await app.store()
        screen = await open_wizard(app, pilot)
        assert screen.starmap_id is None
        assert shown(screen, "#wizard-save-state") == "Not saved yet"
        screen.query_one(RadioSet).focus()
        await pilot.press("down", "down", "enter")
        await pilot.press("f3", "f3")
        await wait_until(lambda: screen.step == "stage1", message="stage 1 shown")
        await pilot.pause()
        assert screen.step == "stage1"
        assert await repo.count_starmaps() == 1
        assert screen.starmap_id is not None
        record = await repo.get_starmap(screen.starmap_id)
        assert record is not None
        assert record.experience_level == "Expert (seasoned practitioner)"
        assert record.completed_stages == ("experience",)
        assert record.current_step == "stage1"
        assert "✓ 1 Experience" in screen.query_one(Stepper).describe()

        starmap_id = screen.starmap_id
        await pilot.press("escape")
        await wait_until(lambda: isinstance(app.screen, DashboardScreen))
        again = await open_wizard(app, pilot, starmap_id, "experience")
        assert again.query_one(RadioSet).pressed_index == 2


async def test_title_typed_on_the_experience_step_renames_the_starmap(
    db_path: Path,
) -> None:
    app = make_app(db_path)
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        repo = await app.store()
        screen = await open_wizard(app, pilot)
        await type_text(pilot, "Night shift onboarding")
        await pilot.press("ctrl+s")
        await wait_until(lambda: screen.autosaver.state == "saved")
        assert screen.starmap_id is not None
        record = await repo.get_starmap(screen.starmap_id)
        assert record is not None and record.title == "Night shift onboarding"
        assert await repo.count_starmaps() == 1


async def test_a_markup_like_title_shows_literally(db_path: Path) -> None:
    app = make_app(db_path)
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        repo = await app.store()
        starmap_id = await new_starmap(repo, title="[bold]x[/] [link=y]z")
        screen = await open_wizard(app, pilot, starmap_id, "stage1")
        assert shown(screen, "#wizard-title") == "[bold]x[/] [link=y]z"


# -- autosave --------------------------------------------------------------------------


async def test_autosave_runs_two_seconds_after_the_last_change(db_path: Path) -> None:
    app = make_app(db_path)
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        repo = await app.store()
        starmap_id = await new_starmap(repo, ("experience",))
        screen = await open_wizard(app, pilot, starmap_id, "stage1")
        assert shown(screen, "#wizard-save-state") == "All changes saved"
        await type_text(pilot, "Dana")
        await pilot.pause()
        assert shown(screen, "#wizard-save-state") == "Unsaved changes"

        async def saved() -> bool:
            answers = await stored(repo, starmap_id, "stage1")
            return answers.get("requester_name") == "Dana"

        await wait_until(saved, timeout=10, message="autosave")
        saver = screen.autosaver
        assert saver.changed_at is not None and saver.save_started_at is not None
        assert saver.save_started_at - saver.changed_at >= 1.99
        await wait_until(lambda: screen.autosaver.state == "saved")
        await pilot.pause()
        assert re.fullmatch(
            r"Saved \d\d:\d\d:\d\d", shown(screen, "#wizard-save-state")
        )


async def test_changing_step_saves_at_once_and_shows_saved_answers_again(
    db_path: Path,
) -> None:
    app = make_app(db_path)
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        repo = await app.store()
        starmap_id = await new_starmap(repo, ("experience", "stage1"))
        screen = await open_wizard(app, pilot, starmap_id, "stage2")
        await type_text(pilot, "Northwind")
        started = time.monotonic()
        await pilot.press("f2")

        async def saved() -> bool:
            answers = await stored(repo, starmap_id, "stage2")
            return answers.get("org_name") == "Northwind"

        await wait_until(saved, timeout=1.5, message="saved on step change")
        assert time.monotonic() - started < 1.9
        assert screen.step == "stage1"
        record = await repo.get_starmap(starmap_id)
        assert record is not None and record.current_step == "stage1"
        assert "stage2" not in record.completed_stages

        await pilot.press("f3")
        await wait_until(lambda: screen.step == "stage2")
        await pilot.pause()
        org_name = editor(screen, "org_name")
        assert isinstance(org_name, TextEditor) and org_name.input.value == "Northwind"


async def test_text_typed_then_quit_at_once_is_there_on_the_next_start(
    db_path: Path,
) -> None:
    app = make_app(db_path)
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        repo = await app.store()
        starmap_id = await new_starmap(repo, ("experience",))
        await open_wizard(app, pilot, starmap_id, "stage1")
        await type_text(pilot, "Quick Quitter")
        await pilot.press("ctrl+q")
    assert app.return_code == 0

    second = make_app(db_path)
    async with second.run_test(size=SNAPSHOT_SIZE) as pilot:
        repo = await second.store()
        answers = await stored(repo, starmap_id, "stage1")
        assert answers["requester_name"] == "Quick Quitter"
        screen = await open_wizard(second, pilot, starmap_id, "stage1")
        name = editor(screen, "requester_name")
        assert isinstance(name, TextEditor) and name.input.value == "Quick Quitter"


async def test_a_change_made_while_a_save_runs_is_saved_after_it(
    db_path: Path,
) -> None:
    app = make_app(db_path)
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        repo = await app.store()
        starmap_id = await new_starmap(repo, ("experience",))
        screen = await open_wizard(app, pilot, starmap_id, "stage1")
        # Another connection holds the write lock, so the first save must wait.
        blocker = sqlite3.connect(db_path, isolation_level=None, timeout=30)
        try:
            blocker.execute("BEGIN IMMEDIATE")
            await type_text(pilot, "Al")
            await pilot.press("tab")
            await wait_until(lambda: screen.autosaver.saving, message="save started")
            await pilot.press("shift+tab", "end")
            await type_text(pilot, "ice")
            await pilot.pause()
            assert screen.autosaver.saving and screen.autosaver.pending
        finally:
            blocker.rollback()
            blocker.close()

        async def latest_saved() -> bool:
            answers = await stored(repo, starmap_id, "stage1")
            return answers.get("requester_name") == "Alice"

        await wait_until(latest_saved, timeout=10, message="latest answer saved")
        await wait_until(lambda: not screen.autosaver.pending)
        assert screen.autosaver.saves >= 2


async def test_answers_belong_to_their_own_starmap(db_path: Path) -> None:
    app = make_app(db_path)
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        repo = await app.store()
        first = await new_starmap(repo, ("experience",), title="First")
        second = await new_starmap(repo, ("experience",), title="Second")
        await open_wizard(app, pilot, first, "stage1")
        await type_text(pilot, "Only First")
        await pilot.press("escape")
        await wait_until(lambda: isinstance(app.screen, DashboardScreen))
        screen = await open_wizard(app, pilot, second, "stage1")
        name = editor(screen, "requester_name")
        assert isinstance(name, TextEditor) and name.input.value == ""
        assert "requester_name" not in await stored(repo, second, "stage1")
        assert (await stored(repo, first, "stage1"))["requester_name"] == "Only First"


# -- generation ------------------------------------------------------------------------


async def test_finishing_stage3_queues_one_questions_and_one_preliminary_job(
    db_path: Path,
) -> None:
    app = make_app(db_path)
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        repo = await app.store()
        stages = ("experience", "stage1", "stage2", "stage3")
        starmap_id = await new_starmap(repo, stages)
        screen = await open_wizard(app, pilot, starmap_id, "stage3")
        await pilot.press("f3", "f3")
        await pilot.click("#wizard-next")
        await wait_until(lambda: screen.step == "dynamic")
        assert sorted(await job_kinds(repo, starmap_id)) == ["preliminary", "questions"]
        assert screen.query(JobProgress)

        await wait_until(jobs_done(repo, starmap_id, ("questions", "preliminary")))
        await wait_until(lambda: bool(screen.editor_steps), message="deep-dive form")
        record = await repo.get_starmap(starmap_id)
        assert record is not None and record.dynamic_questions is not None
        question_ids = [q["id"] for q in record.dynamic_questions["questions"]]
        shown_ids = [e.field.id for e in screen.editor_steps]
        assert shown_ids == question_ids
        assert sorted(await job_kinds(repo, starmap_id)) == ["preliminary", "questions"]


async def test_a_starmap_left_at_the_deep_dive_with_nothing_queued_recovers(
    db_path: Path,
) -> None:
    # What a crash between saving stage 3 and queueing its jobs left behind
    # while the two were separate transactions: stage 3 done, the wizard moved
    # to the deep dive, and nothing generating.
    repo = await Repository.open(db_path)
    try:
        stages = ("experience", "stage1", "stage2", "stage3")
        starmap_id = await new_starmap(repo, stages)
        await repo.set_current_step(starmap_id, "dynamic")
        assert await repo.jobs_for(starmap_id) == []
    finally:
        await repo.close()

    app = make_app(db_path, resume_id=starmap_id)
    async with app.run_test(size=SNAPSHOT_SIZE):
        await wait_until(lambda: isinstance(app.screen, WizardScreen))
        screen = app.screen
        assert isinstance(screen, WizardScreen)
        await wait_until(lambda: screen.loaded, message="wizard loaded")
        assert screen.step == "dynamic"
        repo = await app.store()
        await wait_until(jobs_done(repo, starmap_id, ("questions", "preliminary")))
        await wait_until(lambda: bool(screen.editor_steps), message="deep-dive form")
        assert sorted(await job_kinds(repo, starmap_id)) == ["preliminary", "questions"]


async def test_resume_opens_the_step_the_user_was_on_before_any_generation(
    db_path: Path,
) -> None:
    # Stage 3 answered in full (so saved as complete) but Next never pressed.
    repo = await Repository.open(db_path)
    try:
        stages = ("experience", "stage1", "stage2", "stage3")
        starmap_id = await new_starmap(repo, stages)
        await repo.set_current_step(starmap_id, "stage3")
    finally:
        await repo.close()

    app = make_app(db_path, resume_id=starmap_id)
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await wait_until(lambda: isinstance(app.screen, WizardScreen))
        screen = app.screen
        assert isinstance(screen, WizardScreen)
        await wait_until(lambda: screen.loaded, message="wizard loaded")
        assert screen.step == "stage3"
        await pilot.pause(0.5)
        # Nothing is generated until the user presses Next.
        assert await job_kinds(await app.store(), starmap_id) == []


async def test_leaving_stage3_saves_the_step_and_queues_its_jobs_together(
    db_path: Path,
) -> None:
    app = make_app(db_path)
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        repo = await app.store()
        record = await repo.create_starmap(
            "Clinic intake",
            stage_answers=sample_answers(),
            completed_stages=("experience", "stage1", "stage2"),
        )
        starmap_id = record.id
        screen = await open_wizard(app, pilot, starmap_id, "stage3")
        refuse_new_jobs(db_path, True)
        await pilot.press("f3")
        await wait_until(lambda: screen.autosaver.state == "error", message="refused")
        # The job could not be written, so neither was the step change.
        after = await repo.get_starmap(starmap_id)
        assert after is not None
        assert "stage3" not in after.completed_stages
        assert after.current_step != "dynamic"
        assert await repo.jobs_for(starmap_id) == []

        refuse_new_jobs(db_path, False)
        await wait_until(jobs_done(repo, starmap_id, ("questions", "preliminary")))
        after = await repo.get_starmap(starmap_id)
        assert after is not None
        assert "stage3" in after.completed_stages
        assert after.current_step == "dynamic"
        await wait_until(lambda: bool(screen.editor_steps), message="deep-dive form")


async def test_generation_goes_on_after_escape_and_the_wizard_resumes_there(
    db_path: Path,
) -> None:
    app = make_app(db_path)
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        repo = await app.store()
        stages = ("experience", "stage1", "stage2", "stage3")
        starmap_id = await new_starmap(repo, stages)
        screen = await open_wizard(app, pilot, starmap_id, "stage3")
        await pilot.press("f3")
        await wait_until(lambda: screen.step == "dynamic")
        await pilot.press("escape")
        await wait_until(lambda: isinstance(app.screen, DashboardScreen))
        await wait_until(jobs_done(repo, starmap_id, ("questions", "preliminary")))

        await app.open_starmap(starmap_id)
        await wait_until(lambda: isinstance(app.screen, WizardScreen))
        resumed = app.screen
        assert isinstance(resumed, WizardScreen)
        await wait_until(lambda: resumed.loaded and bool(resumed.editor_steps))
        assert resumed.step == "dynamic"


async def test_generation_goes_on_while_the_command_palette_is_open(
    db_path: Path,
) -> None:
    app = make_app(db_path)
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        repo = await app.store()
        stages = ("experience", "stage1", "stage2", "stage3")
        starmap_id = await new_starmap(repo, stages)
        screen = await open_wizard(app, pilot, starmap_id, "stage3")
        await pilot.press("f3")
        await wait_until(lambda: screen.step == "dynamic")
        await pilot.press("ctrl+p")
        await wait_until(lambda: isinstance(app.screen, CommandPalette))
        await wait_until(jobs_done(repo, starmap_id, ("questions", "preliminary")))
        assert isinstance(app.screen, CommandPalette)
        await pilot.press("escape")
        await wait_until(lambda: app.screen is screen)
        await wait_until(lambda: bool(screen.editor_steps), message="deep-dive form")


async def test_a_failed_question_generation_shows_why_and_retries(
    db_path: Path,
) -> None:
    # A zero deadline makes every attempt time out: a real failure, quickly.
    app = make_app(db_path, job_deadline=0.0, backoff_base=0.01, backoff_cap=0.02)
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        repo = await app.store()
        stages = ("experience", "stage1", "stage2", "stage3")
        starmap_id = await new_starmap(repo, stages)
        screen = await open_wizard(app, pilot, starmap_id, "stage3")
        await pilot.press("f3")
        await wait_until(lambda: screen.step == "dynamic")

        def failed() -> bool:
            row = screen.query_one("#job-questions", JobProgress)
            return row.status == "failed"

        await wait_until(failed, message="failure shown")
        phase = shown(screen, "#job-questions .job-phase")
        assert phase.startswith("Failed: Gave up after")
        assert "failed" in shown(screen, "#wizard-message")
        assert screen.query_one("#wizard-retry", Button).display
        before = (await job_kinds(repo, starmap_id)).count("questions")
        await pilot.press("ctrl+r")

        async def retried() -> bool:
            return (await job_kinds(repo, starmap_id)).count("questions") > before

        await wait_until(retried, message="questions queued again")


async def test_a_cancelled_question_generation_can_be_retried_here(
    db_path: Path, repo: Repository
) -> None:
    stages = ("experience", "stage1", "stage2", "stage3")
    starmap_id = await new_starmap(repo, stages)
    await repo.enqueue(starmap_id, "questions")
    await repo.cancel(starmap_id)
    app = make_app(db_path)
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        app_repo = await app.store()
        screen = await open_wizard(app, pilot, starmap_id, "dynamic")
        await wait_until(
            lambda: "was cancelled" in shown(screen, "#wizard-message"),
            message="the cancellation said",
        )
        assert screen.query_one("#wizard-retry", Button).display
        before = (await job_kinds(app_repo, starmap_id)).count("questions")
        await pilot.press("ctrl+r")

        async def retried() -> bool:
            return (await job_kinds(app_repo, starmap_id)).count("questions") > before

        await wait_until(retried, message="questions queued again")
        await wait_until(lambda: bool(screen.editor_steps), message="deep-dive form")


async def test_generate_queues_one_final_report_and_opens_it(db_path: Path) -> None:
    app = make_app(db_path)
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        repo = await app.store()
        stages = ("experience", "stage1", "stage2", "stage3")
        starmap_id = await new_starmap(repo, stages)
        await repo.enqueue(starmap_id, "questions")
        app.jobs_changed()
        await wait_until(jobs_done(repo, starmap_id, ("questions",)))
        screen = await open_wizard(app, pilot, starmap_id, "dynamic")
        assert screen.editor_steps
        await pilot.press("f5", "f5")
        await wait_until(jobs_done(repo, starmap_id, ("final",)))
        assert (await job_kinds(repo, starmap_id)).count("final") == 1
        await wait_until(lambda: isinstance(app.screen, ReportScreen))
        record = await repo.get_starmap(starmap_id)
        assert record is not None and record.status == "completed"
        assert "dynamic" in record.completed_stages


async def test_deep_dive_answers_autosave_with_their_completion(db_path: Path) -> None:
    app = make_app(db_path)
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        repo = await app.store()
        stages = ("experience", "stage1", "stage2", "stage3")
        starmap_id = await new_starmap(repo, stages)
        await repo.enqueue(starmap_id, "questions")
        app.jobs_changed()
        await wait_until(jobs_done(repo, starmap_id, ("questions",)))
        screen = await open_wizard(app, pilot, starmap_id, "dynamic")
        text_editor = next(e for e in screen.editor_steps if isinstance(e, TextEditor))
        text_editor.input.focus()
        await type_text(pilot, "42% first-time-right")
        await pilot.press("ctrl+s")

        async def saved() -> bool:
            record = await repo.get_starmap(starmap_id)
            assert record is not None
            answer = record.dynamic_answers.get(text_editor.field.id)
            return answer == "42% first-time-right"

        await wait_until(saved, message="deep-dive answer saved")


# -- snapshots -------------------------------------------------------------------------


def snapshot_app(db_path: Path) -> StarmapApp:
    """The app for snapshots; what each one shows is set up in run_before."""
    return make_app(db_path)


async def steady_cursor(pilot: Pilot[None]) -> None:
    """Stop the text cursor blinking, so a slow run cannot catch it hidden."""
    for field in pilot.app.screen.query(Input).results(Input):
        field.cursor_blink = False
    await pilot.pause()


async def show_wizard(
    pilot: Pilot[None], stages: tuple[str, ...], step: str | None
) -> WizardScreen:
    """Seed a starmap with fixed answers and open the wizard on ``step``."""
    app = pilot.app
    assert isinstance(app, StarmapApp)
    repo = await app.store()
    starmap_id = await new_starmap(repo, stages) if step else None
    return await open_wizard(app, pilot, starmap_id, step)


def test_snapshot_experience(snap_compare: Any, db_path: Path) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await show_wizard(pilot, (), None)
        await steady_cursor(pilot)

    assert snap_compare(
        snapshot_app(db_path), terminal_size=SNAPSHOT_SIZE, run_before=run_before
    )


@pytest.mark.parametrize("step", ["stage1", "stage2", "stage3"])
def test_snapshot_filled_stage(snap_compare: Any, db_path: Path, step: str) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await show_wizard(pilot, ("experience", "stage1", "stage2", "stage3"), step)
        await steady_cursor(pilot)

    assert snap_compare(
        snapshot_app(db_path), terminal_size=SNAPSHOT_SIZE, run_before=run_before
    )


def test_snapshot_validation_messages(
    snap_compare: Any, db_path: Path, fixed_zone: None
) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        screen = await show_wizard(pilot, ("experience",), "stage1")
        await pilot.press("f3")
        await pilot.pause()
        assert screen.step == "stage1"
        await steady_cursor(pilot)

    assert snap_compare(
        snapshot_app(db_path), terminal_size=SNAPSHOT_SIZE, run_before=run_before
    )


def test_snapshot_deep_dive(snap_compare: Any, db_path: Path) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, StarmapApp)
        repo = await app.store()
        stages = ("experience", "stage1", "stage2", "stage3")
        starmap_id = await new_starmap(repo, stages)
        await repo.enqueue(starmap_id, "questions")
        await repo.enqueue(starmap_id, "preliminary")
        app.jobs_changed()
        await wait_until(jobs_done(repo, starmap_id, ("questions", "preliminary")))
        screen = await open_wizard(app, pilot, starmap_id, "dynamic")
        assert screen.editor_steps
        await steady_cursor(pilot)

    assert snap_compare(
        snapshot_app(db_path), terminal_size=SNAPSHOT_SIZE, run_before=run_before
    )


async def test_at_80_columns_the_stepper_keeps_to_one_line(db_path: Path) -> None:
    app = make_app(db_path)
    async with app.run_test(size=(80, 24)) as pilot:
        repo = await app.store()
        starmap_id = await new_starmap(repo, ("experience", "stage1", "stage2"))
        await open_wizard(app, pilot, starmap_id, "stage3")
        stepper = app.screen.query_one(Stepper)
        assert stepper.region.height == 1
        shown = str(stepper.render())
        assert "4 Project scope" in shown and "Organization" not in shown
        # The full map is still there for screen readers and at full width.
        assert "3 Organization" in stepper.describe()


async def test_at_80_columns_the_deep_dive_key_bar_shows_every_key(
    db_path: Path,
) -> None:
    app = make_app(db_path)
    async with app.run_test(size=(80, 24)) as pilot:
        repo = await app.store()
        stages = ("experience", "stage1", "stage2", "stage3")
        starmap_id = await new_starmap(repo, stages)
        await repo.enqueue(starmap_id, "questions")
        await repo.enqueue(starmap_id, "preliminary")
        app.jobs_changed()
        await wait_until(jobs_done(repo, starmap_id, ("questions", "preliminary")))
        await open_wizard(app, pilot, starmap_id, "dynamic")
        await wait_until(lambda: bool(app.screen.query(FooterKey)))
        await pilot.pause()
        keys = list(app.screen.query(FooterKey).results(FooterKey))
        assert {"Generate", "Report", "Quit", "Help"} <= {k.description for k in keys}
        assert all(key.region.right <= 80 for key in keys)


async def test_two_windows_on_one_starmap_keep_each_others_answers(
    db_path: Path,
) -> None:
    app = make_app(db_path)
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        repo = await app.store()
        starmap_id = await new_starmap(repo, ("experience", "stage1"))
        phone = {"requester_phone": "555 0100"}
        await repo.save_stage(starmap_id, "stage1", phone, complete=None, merge=True)
        screen = await open_wizard(app, pilot, starmap_id, "stage1")
        other_window = await Repository.open(db_path)
        try:
            await other_window.save_stage(
                starmap_id,
                "stage1",
                {"requester_name": "Ann Other"},
                complete=None,
                merge=True,
            )
        finally:
            await other_window.close()

        role = editor(screen, "requester_role")
        assert isinstance(role, TextEditor)
        role.input.focus()
        role.input.value = ""
        await pilot.pause()
        await type_text(pilot, "Coach")
        await pilot.pause()
        phone_editor = editor(screen, "requester_phone")
        assert isinstance(phone_editor, TextEditor)
        assert phone_editor.input.value == "555 0100"
        phone_editor.input.value = ""
        await pilot.pause()
        await screen.flush_unsaved()

        answers = await stored(repo, starmap_id, "stage1")
        assert answers["requester_name"] == "Ann Other"
        assert answers["requester_role"] == "Coach"
        assert answers["requester_phone"] in ("", None)
        assert (
            answers["requester_email"] == sample_answers()["stage1"]["requester_email"]
        )
        record = await repo.get_starmap(starmap_id)
        assert record is not None and "stage1" in record.completed_stages


async def test_quitting_with_answers_that_cannot_be_saved_asks_first(
    db_path: Path,
) -> None:
    app = make_app(db_path)
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        repo = await app.store()
        starmap_id = await new_starmap(repo, ("experience",))
        screen = await open_wizard(app, pilot, starmap_id, "stage1")
        # Another window deletes the starmap: nothing typed here can be saved.
        other = await Repository.open(db_path)
        try:
            await other.delete(starmap_id)
        finally:
            await other.close()
        editor(screen, "requester_name").focus_control()
        await type_text(pilot, "Unsaveable")
        await pilot.press("ctrl+q")
        await wait_until(lambda: isinstance(app.screen, ConfirmModal))
        assert "could not be saved" in str(app.screen.question)
        await pilot.press("n")
        await wait_until(lambda: app.screen is screen, message="back in the wizard")
        assert app.is_running
        await pilot.press("ctrl+q")
        await wait_until(lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("ctrl+q")
        await wait_until(lambda: not app.is_running, message="the app to quit")
