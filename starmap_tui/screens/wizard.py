"""WizardScreen: experience, stages 1 to 3, the deep dive and the report step.

Answers live in ``self.answers`` (step id → answers) as the person types and
reach the store through an :class:`Autosaver`: 2 s after the last change, and
at once on a step change, when focus leaves a field, on escape and on quit.
Generation itself belongs to the App's runner; this screen only queues jobs
and shows their progress from ``StoreChanged`` messages, so leaving it never
stops anything.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Input, Label, ProgressBar, Static

from starmap_tui.questionnaire.fields import Field, FieldType
from starmap_tui.questionnaire.normalise import QuestionsInvalid, question_set_from_dict
from starmap_tui.questionnaire.stages import STEP_ORDER, STEP_TITLES, stage_by_id
from starmap_tui.questionnaire.validation import (
    apply_defaults,
    validate_answers,
)
from starmap_tui.storage.records import DEEP_DIVE_STEPS
from starmap_tui.widgets.autosave import Autosaver, SaveState
from starmap_tui.widgets.field_editors import FieldEditor, editor_for
from starmap_tui.widgets.key_bar import KeyBar
from starmap_tui.widgets.stepper import Stepper

if TYPE_CHECKING:
    from starmap_tui.storage.records import JobRecord, StarmapRecord
    from starmap_tui.storage.repository import Repository

DEFAULT_TITLE = "Untitled starmap"
STATIC_STEPS = ("experience", "stage1", "stage2", "stage3")
TITLE_KEY = "title"
TITLE_FIELD = Field(
    "starmap_title",
    "Starmap title",
    FieldType.TEXT,
    "A name to find this analysis by on the dashboard.",
    placeholder="Sales onboarding 2027",
    max_length=120,
)
JOB_LABELS = {
    "questions": "Follow-up questions",
    "preliminary": "Preliminary report",
    "final": "Final report",
}
ACTIVE = ("queued", "running")


class JobProgress(Vertical):
    """One generation step's progress: label, bar and phase text."""

    def __init__(self, kind: str) -> None:
        super().__init__(id=f"job-{kind}", classes="job-progress")
        self.kind = kind
        self.status: str | None = None
        self.percent = 0
        self.phase = "Not requested yet"
        self._painted = False

    def compose(self) -> ComposeResult:
        """Label and bar on one line, the phase under them."""
        with Horizontal(classes="job-line"):
            yield Label(JOB_LABELS[self.kind], classes="job-label")
            yield ProgressBar(total=100, show_eta=False, classes="job-bar")
        yield Static(classes="job-phase")

    def on_mount(self) -> None:
        """Paint whatever state arrived before the widgets existed."""
        self._painted = True
        self._paint()

    def show_job(self, job: JobRecord | None) -> None:
        """Show a job's state as stored (None: not requested yet)."""
        if job is None:
            self.show_state(None, 0, "Not requested yet")
        elif job.status == "failed":
            self.show_state("failed", job.percent, f"Failed: {job.error or ''}")
        else:
            self.show_state(job.status, job.percent, _phase(job.status, job.phase))

    def show_state(self, status: str | None, percent: int, phase: str) -> None:
        """Show a status, percent and phase text (from a runner event or the store)."""
        self.status = status
        self.percent = 100 if status == "succeeded" else percent
        self.phase = phase
        self._paint()

    def _paint(self) -> None:
        bars = self.query(ProgressBar)
        phases = self.query(".job-phase").results(Static)
        phase = next(phases, None)
        # The row may be half built or half removed while the step changes.
        if not self._painted or not bars or phase is None:
            return
        bars.first().update(progress=self.percent)
        phase.update(Content(self.phase))
        self.set_class(self.status == "failed", "-failed")

    def on_unmount(self) -> None:
        """Stop painting once the row is being removed."""
        self._painted = False


def _phase(status: str, phase: str) -> str:
    if status == "succeeded":
        return "Ready"
    if status == "cancelled":
        return "Cancelled"
    if status == "queued" and not phase:
        return "Waiting for a worker"
    return phase or status.capitalize()


class WizardScreen(Screen[None]):
    """Fill in a starmap step by step; questions and reports generate meanwhile."""

    AUTO_FOCUS = None
    AUTOSAVE_SECONDS: ClassVar[float] = 2.0
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "leave", "Dashboard", id="wizard.leave"),
        Binding("f2", "back", "Back", id="wizard.back"),
        Binding("f3", "next", "Next", id="wizard.next"),
        # Short words for the key bar (it must fit 80 columns); the tooltips
        # say the rest, and the help screen shows them.
        Binding(
            "f5",
            "generate",
            "Generate",
            tooltip="Generate the final report",
            id="wizard.generate",
        ),
        Binding(
            "f4",
            "open_report",
            "Report",
            tooltip="View the report written so far",
            id="wizard.open_report",
        ),
        Binding("ctrl+r", "retry", "Retry", id="wizard.retry"),
        Binding(
            "ctrl+s",
            "save",
            "Save",
            tooltip="Save now rather than in two seconds",
            id="wizard.save",
        ),
    ]

    def __init__(self, starmap_id: str | None = None, step: str | None = None) -> None:
        super().__init__()
        self.starmap_id = starmap_id
        self.step = step if step in STEP_ORDER else "experience"
        self.record: StarmapRecord | None = None
        self.answers: dict[str, dict[str, Any]] = {}
        # Per static stage, the fields changed since its last save: only those
        # are sent, so another window's answers in the same stage survive.
        self.unsaved_fields: dict[str, set[str]] = {}
        self.editor_steps: dict[FieldEditor, str] = {}
        self.completed: set[str] = set()
        self.title_text = ""
        self.question_fields: tuple[Field, ...] = ()
        self.jobs: dict[str, JobRecord] = {}
        self.autosaver = Autosaver(
            self._save_key, delay=self.AUTOSAVE_SECONDS, on_state=self._show_save_state
        )
        self.loaded = False
        self.submitting = False
        self._busy = False
        self._creating: asyncio.Task[str] | None = None
        self._refreshing = False
        self._refresh_again = False
        self._report_opened = False
        self._painted = False
        self._save_shown = ""
        # The "fields need attention" count shows once Next (or Generate) was
        # refused on the step shown, and from then on follows the fields.
        self._attention_armed = False

    # -- layout ------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        """Stepper, heading with the save state, the form, and the buttons."""
        with Vertical(id="wizard-top"):
            yield Static(id="wizard-title", markup=False)
            yield Stepper(
                [(s, STEP_TITLES[s]) for s in STEP_ORDER],
                current=self.step,
                id="wizard-stepper",
            )
        with Horizontal(id="wizard-heading"):
            yield Static(id="wizard-step-title")
            yield Static(id="wizard-save-state")
        yield VerticalScroll(id="wizard-form")
        with Horizontal(id="wizard-nav"):
            yield Button("Back", id="wizard-back")
            yield Static(id="wizard-message")
            yield Button("Retry", id="wizard-retry", variant="warning")
            yield Button("View report", id="wizard-open-report")
            yield Button("Generate report", id="wizard-generate", variant="success")
            yield Button("Next", id="wizard-next", variant="primary")
        yield KeyBar()

    async def on_mount(self) -> None:
        """Load the starmap (if any) and show the step."""
        self._painted = True
        repo = await self.app.store()  # type: ignore[attr-defined]
        if self.starmap_id is not None:
            record = await repo.get_starmap(self.starmap_id)
            if record is None:
                self.notify(f"No starmap with id {self.starmap_id}.", severity="error")
                self.starmap_id = None
            else:
                self._load(record)
                self.jobs = _latest_jobs(await repo.jobs_for(record.id))
                if self.step == "dynamic":
                    await self._queue_missing_steps(repo)
        self._show_save_state(self.autosaver.state)
        await self._show_step(self.step)
        self.loaded = True

    @property
    def painted(self) -> bool:
        """Whether the screen's widgets exist (composed and not being removed)."""
        # A screen being removed (popped, or the app quitting) loses its
        # widgets before its own unmount arrives, so a store read that was
        # under way would paint into nothing; Textual stops displaying the
        # screen as soon as the removal starts.
        return self._painted and self.display

    def on_unmount(self) -> None:
        """Stop the autosave timer; the screen's widgets are going."""
        self._painted = False
        self.autosaver.close()

    def _load(self, record: StarmapRecord) -> None:
        self.record = record
        self.answers = {k: dict(v) for k, v in record.stage_answers.items()}
        self.answers["dynamic"] = dict(record.dynamic_answers)
        self.completed = set(record.completed_stages)
        self.title_text = record.title
        self.question_fields = _question_fields(record)

    # -- showing a step ----------------------------------------------------------

    async def _show_step(self, step: str) -> None:
        self.step = step
        self._attention_armed = False
        self._update_chrome()
        form = self.query_one("#wizard-form", VerticalScroll)
        await form.remove_children()
        form.scroll_home(animate=False)
        widgets = self._step_widgets(step)
        self.editor_steps = {w: step for w in widgets if isinstance(w, FieldEditor)}
        await form.mount_all(widgets)
        if step in ("dynamic", "report"):
            self._show_jobs()
        self._focus_first()

    def _step_widgets(self, step: str) -> list[Any]:
        if step in STATIC_STEPS:
            return self._editors(step, _stage_fields(step))
        if step == "dynamic":
            return self._dynamic_widgets()
        return self._report_widgets()

    def _editors(self, step: str, fields: tuple[Field, ...]) -> list[Any]:
        given = self.answers.get(step, {})
        answers = apply_defaults(fields, given)
        self.answers[step] = answers
        # Defaults are answers too: the stage's next save stores them.
        defaulted = {f.id for f in fields if f.id in answers and f.id not in given}
        self.unsaved_fields.setdefault(step, set()).update(defaulted)
        widgets: list[Any] = []
        if step == "experience":
            title = "" if self.title_text == DEFAULT_TITLE else self.title_text
            widgets.append(editor_for(TITLE_FIELD, title))
        widgets += [editor_for(f, answers.get(f.id)) for f in fields]
        return widgets

    def _dynamic_widgets(self) -> list[Any]:
        if not self.question_fields:
            intro = "Follow-up questions are being written from your answers."
            return [
                Static(Content(intro), classes="wizard-note"),
                JobProgress("questions"),
                JobProgress("preliminary"),
            ]
        widgets: list[Any] = [JobProgress("preliminary")]
        return widgets + self._editors("dynamic", self.question_fields)

    def _report_widgets(self) -> list[Any]:
        intro = "Your final report is being generated; it opens when it is ready."
        return [Static(Content(intro), classes="wizard-note"), JobProgress("final")]

    def _focus_first(self) -> None:
        editors = list(self.editor_steps)
        if editors:
            self.call_after_refresh(editors[0].focus_control)
        else:
            self.set_focus(None)

    def _update_chrome(self) -> None:
        title = self.title_text or DEFAULT_TITLE
        self.query_one("#wizard-title", Static).update(Content(title))
        done = self.completed | ({"report"} if self._has_final() else set())
        self.query_one(Stepper).show(self.step, done)
        number = STEP_ORDER.index(self.step) + 1
        heading = f"Step {number} of {len(STEP_ORDER)} · {STEP_TITLES[self.step]}"
        self.query_one("#wizard-step-title", Static).update(Content(heading))
        self._update_buttons()

    def _update_buttons(self) -> None:
        visible = {
            "wizard-back": self.step != "experience",
            "wizard-next": self.step in STATIC_STEPS,
            "wizard-generate": self.step == "dynamic" and bool(self.question_fields),
            "wizard-retry": self._failed_kinds() != [],
            "wizard-open-report": self._has_report(),
        }
        for button_id, show in visible.items():
            self.query_one(f"#{button_id}", Button).display = show
        self.query_one("#wizard-generate", Button).disabled = self.submitting
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Offer only the keys that make sense on the step shown."""
        checks = {
            "back": lambda: self.step != "experience",
            "next": lambda: self.step in STATIC_STEPS,
            "generate": lambda: self.step == "dynamic" and bool(self.question_fields),
            "retry": lambda: bool(self._failed_kinds()),
            "open_report": self._has_report,
        }
        check = checks.get(action)
        return True if check is None else check()

    # -- changes and saving --------------------------------------------------------

    @on(FieldEditor.Changed)
    def _answer_changed(self, message: FieldEditor.Changed) -> None:
        message.stop()
        self._take_answer(message.editor)
        if self._attention_armed:
            self._show_attention()

    def _take_answer(self, editor: FieldEditor) -> None:
        """Copy an editor's answer into the answers of the step it belongs to.

        The step is the editor's own, not the one shown now: a change can
        arrive just after the person moved on.
        """
        step = self.editor_steps.get(editor)
        if step is None:
            return
        value = editor.value
        if editor.field is TITLE_FIELD:
            if value != self.title_text:
                self.title_text = value
                self._changed(TITLE_KEY)
            return
        answers = self.answers.setdefault(step, {})
        if not _same_answer(answers.get(editor.field.id), value):
            answers[editor.field.id] = value
            self.unsaved_fields.setdefault(step, set()).add(editor.field.id)
            self._changed(step)

    @on(FieldEditor.Left)
    def _field_left(self, message: FieldEditor.Left) -> None:
        message.stop()
        self.autosaver.flush_soon()
        if self._attention_armed:
            self._show_attention()

    def _changed(self, key: str) -> None:
        self.autosaver.changed(key)
        if self.starmap_id is None and self._creating is None:
            self._creating = asyncio.create_task(self._create_starmap())

    def _collect_form(self) -> None:
        """Read every editor shown, in case a change message is still on its way."""
        for editor in self.editor_steps:
            editor.commit_pending()
            self._take_answer(editor)

    async def flush_unsaved(self) -> bool:
        """Write every unsaved answer now (called on quit and when leaving);
        False when something could not be saved."""
        if not self.loaded:
            return True
        self._collect_form()
        return await self.autosaver.flush()

    async def _ensure_starmap(self) -> str:
        if self.starmap_id is not None:
            return self.starmap_id
        if self._creating is None:
            self._creating = asyncio.create_task(self._create_starmap())
        return await self._creating

    async def _create_starmap(self) -> str:
        repo = await self._repo()
        record = await repo.create_starmap(self.title_text or DEFAULT_TITLE)
        self.starmap_id = record.id
        self.record = record
        return record.id

    async def _save_key(self, key: str) -> None:
        starmap_id = await self._ensure_starmap()
        repo = await self._repo()
        if key == TITLE_KEY:
            await self._save_title(repo, starmap_id)
            return
        answers = dict(self.answers.get(key, {}))
        if key == "dynamic":
            complete = not validate_answers(self.question_fields, answers)
            record = await repo.save_dynamic_answers(
                starmap_id, answers, complete=complete, current_step=self.step
            )
        else:
            record = await self._save_stage(repo, starmap_id, key, answers)
        self._saved(record)

    async def _save_stage(
        self, repo: Repository, starmap_id: str, key: str, answers: dict[str, Any]
    ) -> StarmapRecord:
        """Save a static stage, with the generation it starts in the same write.

        Stage 3 saved once the person has gone on from it (its step change is
        this save) queues the deep dive's steps with it: a crash can then never
        leave stage 3 done with nothing generating.
        """
        went_on = key == "stage3" and self.step not in STATIC_STEPS
        queue = DEEP_DIVE_STEPS if went_on else ()
        fields = self.unsaved_fields.pop(key, set())
        try:
            record = await repo.save_stage(
                starmap_id,
                key,
                {name: answers.get(name) for name in fields},
                complete=None,
                current_step=self.step,
                queue=queue,
                merge=True,
            )
        except BaseException:
            self.unsaved_fields.setdefault(key, set()).update(fields)
            raise
        if queue:
            self.app.jobs_changed()  # type: ignore[attr-defined]
        return record

    async def _save_title(self, repo: Repository, starmap_id: str) -> None:
        title = self.title_text.strip()
        if title and (self.record is None or self.record.title != title):
            self._saved(await repo.rename(starmap_id, title))

    def _saved(self, record: StarmapRecord) -> None:
        self.record = record
        self.completed = set(record.completed_stages)
        if self.painted:
            self._update_chrome()

    def _show_save_state(self, state: SaveState) -> None:
        text = self._save_text(state)
        if not self.painted or text == self._save_shown:
            return
        self._save_shown = text
        self.query_one("#wizard-save-state", Static).update(Content(text))

    def _save_text(self, state: SaveState) -> str:
        saver = self.autosaver
        if state == "saving":
            return "Saving…"
        if state == "dirty":
            return "Unsaved changes"
        if state == "error":
            return f"Not saved ({saver.error}); trying again"
        if state == "saved" and saver.saved_at is not None:
            return f"Saved {saver.saved_at:%H:%M:%S}"
        return "All changes saved" if self.starmap_id else "Not saved yet"

    async def _repo(self) -> Repository:
        return await self.app.store()  # type: ignore[attr-defined,no-any-return]

    # -- navigation -----------------------------------------------------------------

    async def action_next(self) -> None:
        """Check the stage and move on; finishing stage 3 queues the questions."""
        if self._busy or self.step not in STATIC_STEPS or not self.loaded:
            return
        self._busy = True
        try:
            await self._next()
        finally:
            self._busy = False

    async def _next(self) -> None:
        if not self._form_valid():
            return
        self._say("")
        await self._ensure_starmap()
        target = STEP_ORDER[STEP_ORDER.index(self.step) + 1]
        leaving = self.step
        await self._go(target)
        if leaving == "stage3":
            # Saving the step change queued the deep dive's steps; show them.
            await self._refresh_jobs()

    def _form_valid(self) -> bool:
        """Show every field's message; on trouble focus the first bad field."""
        editors = list(self.editor_steps)
        for editor in editors:
            editor.commit_pending()
        bad = [e for e in editors if e.check() is not None]
        if not bad:
            return True
        self._attention_armed = True
        self._show_attention()
        bad[0].focus_control()
        bad[0].scroll_visible(animate=False)
        return False

    def _show_attention(self) -> None:
        """Say how many fields on the step show a message, or nothing if none."""
        count = sum(1 for editor in self.editor_steps if editor.error is not None)
        noun = "field needs" if count == 1 else "fields need"
        self._say(f"{count} {noun} attention before you can go on." if count else "")

    async def action_back(self) -> None:
        """Go to the previous step (answers are kept and saved, valid or not)."""
        if self._busy or self.step == "experience" or not self.loaded:
            return
        self._busy = True
        try:
            self._say("")
            await self._go(STEP_ORDER[STEP_ORDER.index(self.step) - 1])
        finally:
            self._busy = False

    async def _go(self, target: str) -> None:
        """Save the step being left (current_step = target), then show target."""
        self._collect_form()
        leaving = self.step
        if leaving in STATIC_STEPS or (leaving == "dynamic" and self.question_fields):
            self.autosaver.changed(leaving)
        self.step = target
        await self.autosaver.flush()
        await self._show_step(target)

    async def _queue_missing_steps(self, repo: Repository) -> None:
        """Queue the deep dive's steps if stage 3 is done and they never were.

        Mends a starmap left stranded by an older version, which saved stage 3
        and queued its steps in two writes: a crash between them left the deep
        dive waiting for work nobody had asked for.
        """
        record = self.record
        if record is None or "stage3" not in record.completed_stages:
            return
        if all(kind in self.jobs for kind in DEEP_DIVE_STEPS):
            return
        queued = await repo.queue_missing_steps(record.id)
        if queued:
            self.jobs.update((job.kind, job) for job in queued)
            self.app.jobs_changed()  # type: ignore[attr-defined]

    async def action_leave(self) -> None:
        """Save, then go back to the dashboard; generation carries on."""
        await self.flush_unsaved()
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()
            return
        from starmap_tui.screens.dashboard import DashboardScreen

        self.app.switch_screen(DashboardScreen())

    async def action_save(self) -> None:
        """Save now rather than in two seconds."""
        await self.flush_unsaved()

    # -- the deep dive and the report ---------------------------------------------

    async def action_generate(self) -> None:
        """Check the deep dive, then queue the final report."""
        if self.submitting or self.step != "dynamic" or not self.question_fields:
            return
        if not self._form_valid():
            return
        self.submitting = True
        self._update_buttons()
        try:
            await self._submit_final()
        finally:
            self.submitting = False
            if self.painted:
                self._update_buttons()

    async def _submit_final(self) -> None:
        self._say("")
        self._collect_form()
        self.autosaver.changed("dynamic")
        await self.autosaver.flush()
        repo = await self._repo()
        starmap_id = await self._ensure_starmap()
        self.jobs["final"] = await repo.enqueue(starmap_id, "final")
        self.app.jobs_changed()  # type: ignore[attr-defined]
        self._report_opened = False
        await self._go("report")

    async def action_retry(self) -> None:
        """Queue again every generation step that failed."""
        if self.starmap_id is None or not self._failed_kinds():
            return
        repo = await self._repo()
        jobs = await repo.retry(self.starmap_id)
        self.app.jobs_changed()  # type: ignore[attr-defined]
        self._say(f"Trying again: {', '.join(JOB_LABELS[j.kind] for j in jobs)}.")
        await self._refresh_jobs()

    def action_open_report(self) -> None:
        """Show the report (the preliminary one until the final is ready)."""
        if self.starmap_id is None or not self._has_report():
            return
        from starmap_tui.screens.report import ReportScreen

        self._report_opened = True
        self.app.push_screen(ReportScreen(self.starmap_id))

    def _has_report(self) -> bool:
        return self.record is not None and bool(self.record.report)

    def _has_final(self) -> bool:
        return self.record is not None and bool(self.record.final_report)

    def _failed_kinds(self) -> list[str]:
        """The steps shown here whose latest job failed or was cancelled."""
        wanted = {"dynamic": ("questions", "preliminary"), "report": ("final",)}
        kinds = wanted.get(self.step, ())
        return [
            k
            for k in kinds
            if k in self.jobs and self.jobs[k].status in ("failed", "cancelled")
        ]

    def _any_failed(self, kinds: list[str]) -> bool:
        return any(self.jobs[k].status == "failed" for k in kinds)

    # -- progress --------------------------------------------------------------------

    def on_store_changed(self, message: Any) -> None:
        """Follow generation: runner events paint at once, others re-read the store."""
        event = message.event
        if self.starmap_id is None or not self.loaded:
            return
        if event is not None and event.starmap_id != self.starmap_id:
            return
        if event is not None and event.kind == "progress":
            self._show_event(event.job_kind, event.percent, event.phase)
            return
        if event is not None or self._watching():
            self.run_worker(self._refresh_jobs(), group="refresh")

    def on_screen_resume(self) -> None:
        """Catch up on what happened while another screen was on top."""
        if self.loaded and self.starmap_id is not None:
            self.run_worker(self._refresh_jobs(), group="refresh")

    def on_screen_suspend(self) -> None:
        """Another screen covers this one: save what is typed."""
        if self.loaded:
            self._collect_form()
            self.autosaver.flush_soon()

    def _watching(self) -> bool:
        if self.step == "dynamic":
            return not self.question_fields or _active(self.jobs.get("preliminary"))
        if self.step == "report":
            return not self._has_final()
        return False

    def _show_event(self, kind: str, percent: int, phase: str) -> None:
        for row in self.query(JobProgress):
            if row.kind == kind:
                row.show_state("running", percent, phase)

    async def _refresh_jobs(self) -> None:
        """Re-read the starmap and its jobs; one read at a time, the last one wins."""
        if self._refreshing:
            self._refresh_again = True
            return
        self._refreshing = True
        try:
            while True:
                self._refresh_again = False
                await self._read_jobs()
                if not self._refresh_again:
                    break
        finally:
            self._refreshing = False

    async def _read_jobs(self) -> None:
        if self.starmap_id is None:
            return
        repo = await self._repo()
        record = await repo.get_starmap(self.starmap_id)
        jobs = await repo.jobs_for(self.starmap_id)
        if record is None or not self.painted:
            return
        self.record = record
        self.jobs = _latest_jobs(jobs)
        self.completed = set(record.completed_stages)
        had_questions = bool(self.question_fields)
        self.question_fields = self.question_fields or _question_fields(record)
        if self.step == "dynamic" and self.question_fields and not had_questions:
            await self._show_step("dynamic")
            return
        self._update_chrome()
        self._show_jobs()
        if self.step == "report" and self._has_final():
            self._open_final()

    def _show_jobs(self) -> None:
        for row in self.query(JobProgress):
            row.show_job(self.jobs.get(row.kind))
        stopped = self._failed_kinds()
        if stopped:
            names = " and ".join(JOB_LABELS[k].lower() for k in stopped)
            what = "failed" if self._any_failed(stopped) else "was cancelled"
            self._say(f"Generating the {names} {what}. Press Retry (ctrl+r).")

    def _open_final(self) -> None:
        if self._report_opened or self.app.screen is not self:
            return
        self._report_opened = True
        from starmap_tui.screens.report import ReportScreen

        assert self.starmap_id is not None
        self.app.switch_screen(ReportScreen(self.starmap_id))

    # -- buttons and keys in fields ------------------------------------------------

    @on(Button.Pressed, "#wizard-next")
    async def _next_pressed(self) -> None:
        await self.action_next()

    @on(Button.Pressed, "#wizard-back")
    async def _back_pressed(self) -> None:
        await self.action_back()

    @on(Button.Pressed, "#wizard-generate")
    async def _generate_pressed(self) -> None:
        await self.action_generate()

    @on(Button.Pressed, "#wizard-retry")
    async def _retry_pressed(self) -> None:
        await self.action_retry()

    @on(Button.Pressed, "#wizard-open-report")
    def _open_report_pressed(self) -> None:
        self.action_open_report()

    @on(Input.Submitted)
    def _enter_in_field(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    def _say(self, text: str) -> None:
        if self.painted:
            self.query_one("#wizard-message", Static).update(Content(text))


def _stage_fields(step: str) -> tuple[Field, ...]:
    stage = stage_by_id(step)
    return stage.fields if stage is not None else ()


def _question_fields(record: StarmapRecord) -> tuple[Field, ...]:
    if not record.dynamic_questions:
        return ()
    try:
        return question_set_from_dict(record.dynamic_questions).fields
    except QuestionsInvalid:
        return ()


def _latest_jobs(jobs: list[JobRecord]) -> dict[str, JobRecord]:
    """The newest job of each kind (jobs come oldest first)."""
    return {job.kind: job for job in jobs}


def _same_answer(old: Any, new: Any) -> bool:
    """Equal answers, counting every kind of blank (None, "", []) as one."""
    return old == new or (old in (None, "", []) and new in (None, "", []))


def _active(job: JobRecord | None) -> bool:
    return job is not None and job.status in ACTIVE
