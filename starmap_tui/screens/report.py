"""ReportScreen: a starmap's report with its contents, charts, edits and exports.

The screen shows the final report, else the preliminary one with a notice while
the final is generated; it re-reads the starmap on every ``StoreChanged`` so
progress and the finished report appear by themselves. Generation itself is the
App's runner's work: the screen only queues jobs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import events
from textual.actions import parse as parse_action
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Markdown, Static, TextArea
from textual.widgets.markdown import MarkdownBlock, MarkdownTableOfContents

from starmap_tui.exports import (
    ExportError,
    default_export_path,
    export_text,
    slugify,
    write_export,
)
from starmap_tui.storage.records import ACTIVE_JOB_STATUSES, StarmapRecord
from starmap_tui.widgets.charts import BudgetChart, TimelineChart
from starmap_tui.widgets.key_bar import KeyBar
from starmap_tui.widgets.report_view import ReportNotice, ReportState, report_state
from starmap_tui.widgets.safe_text import clean, literal

if TYPE_CHECKING:
    from starmap_tui.storage.repository import Repository

EDIT_HINT = "ctrl+s saves it as a new revision (the old text is kept); esc discards."
CONTEXT_HINTS = {
    "generate": (
        "Generate the final report. Add context it should take into account "
        "(optional): ctrl+s queues it, esc cancels."
    ),
    "regenerate": (
        "Regenerate the final report. Add context it should take into account "
        "(optional): ctrl+s queues it, esc cancels. The current report is kept "
        "as a revision."
    ),
}
SAVE_LABELS = {"edit": "Save", "generate": "Generate", "regenerate": "Regenerate"}
CONTEXT_PLACEHOLDER = (
    "e.g. The pilot clinic is Aurora; union reps must approve schedules; "
    "budget is now capped at $60,000."
)
# Actions that only make sense while the report is shown, not in the editor.
VIEW_ACTIONS = frozenset(
    {"edit", "generate", "regenerate", "export", "copy", "retry", "toc"}
)
# What the keys that need a report say when there is none.
NO_REPORT = {
    "edit": "There is no report to edit yet.",
    "export": "There is no report to export yet.",
    "copy": "There is no report to copy yet.",
    "toc": "There is no report yet, so no contents to show.",
    "generate": "There is no report yet.",
}
FINISH_FIRST = "Finish the questionnaire in the wizard first."


class ReportScreen(Screen[None]):
    """One starmap's report: read, edit, regenerate, export and copy it."""

    AUTO_FOCUS = "#report-scroll"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="report.back"),
        Binding("e", "edit", "Edit", tooltip="Edit the report", id="report.edit"),
        # One key, two names: "Regenerate" only once there is a final report.
        Binding(
            "g",
            "generate",
            "Generate",
            tooltip="Generate the final report",
            id="report.generate",
        ),
        Binding(
            "g",
            "regenerate",
            "Regenerate",
            tooltip="Regenerate the final report (the current one is kept)",
            id="report.regenerate",
        ),
        Binding(
            "x",
            "export",
            "Export",
            tooltip="Export the report as Markdown, HTML or JSON",
            id="report.export",
        ),
        Binding(
            "y",
            "copy",
            "Copy",
            tooltip="Copy the report's Markdown to the clipboard",
            id="report.copy",
        ),
        Binding(
            "r",
            "retry",
            "Retry",
            tooltip="Queue the failed or cancelled step again",
            id="report.retry",
        ),
        Binding(
            "t",
            "toc",
            "Contents",
            tooltip="Show or hide the table of contents",
            id="report.toc",
        ),
        # The editor's ctrl+s is named for what it does in each mode.
        Binding("ctrl+s", "save('edit')", "Save", id="report.save"),
        Binding("ctrl+s", "save('generate')", "Generate", id="report.save_generate"),
        Binding(
            "ctrl+s",
            "save('regenerate')",
            "Regenerate",
            id="report.save_regenerate",
        ),
    ]

    def __init__(self, starmap_id: str) -> None:
        super().__init__()
        self.starmap_id = starmap_id
        self.record: StarmapRecord | None = None
        self.state: ReportState | None = None
        self.mode = "view"
        self._editing_kind: str | None = None
        self._editing_from = ""
        self._shown_body: str | None = None
        self._shown_kind: str | None = None
        self._shown_notice: tuple[object, ...] = ()
        self._progress: tuple[str, int, str] | None = None
        self._reload_wanted = False
        self._reloading = False

    # -- layout ---------------------------------------------------------------

    def compose(self) -> ComposeResult:
        """Title, notice, contents beside the charts and report, and the editor."""
        yield Static(id="report-title", markup=False)
        yield Static(id="report-subtitle", markup=False)
        yield ReportNotice(id="report-notice")
        with Horizontal(id="report-body"):
            markdown = Markdown(id="report-markdown", open_links=False)
            yield MarkdownTableOfContents(markdown, id="report-toc")
            with VerticalScroll(id="report-scroll"):
                with Vertical(id="report-charts"):
                    yield TimelineChart(id="report-timeline")
                    yield BudgetChart(id="report-budget")
                yield markdown
        with Vertical(id="report-editor"):
            yield Static(id="report-editor-label", markup=False)
            yield TextArea(id="report-editor-text", soft_wrap=True)
            with Horizontal(id="report-editor-buttons"):
                yield Button("Save  ctrl+s", id="report-editor-save", variant="primary")
                yield Button("Cancel  esc", id="report-editor-cancel")
        yield KeyBar()

    def on_mount(self) -> None:
        """Load the starmap once the store is open."""
        self.query_one("#report-editor").display = False
        self.query_one("#report-body").display = False
        self.request_reload()

    # -- loading and live updates --------------------------------------------

    async def repo(self) -> Repository:
        """The app's repository, once it is open."""
        return await self.app.store()  # type: ignore[attr-defined,no-any-return]

    def request_reload(self) -> None:
        """Re-read the starmap soon; reloads never overlap and never pile up."""
        self._reload_wanted = True
        if not self._reloading:
            self._reloading = True
            self.run_worker(self._reload_loop(), group="report-reload")

    async def _reload_loop(self) -> None:
        # One loop at a time: cancelling a half-done Markdown update to start
        # another would leave the document half built.
        try:
            while self._reload_wanted:
                self._reload_wanted = False
                await self._reload()
        finally:
            self._reloading = False

    @property
    def painting(self) -> bool:
        """Whether the screen's widgets are there to paint into.

        A screen being removed (popped, or the app quitting) loses its widgets
        before its unmount arrives; a store read under way meanwhile must paint
        nothing. Textual stops displaying the screen as the removal starts.
        """
        return self.display

    async def _reload(self) -> None:
        record = await (await self.repo()).get_starmap(self.starmap_id)
        if not self.painting:
            return
        if record is None:
            self._show_missing()
            return
        await self.show_record(self._with_latest_progress(record))

    def on_store_changed(self, message: Any) -> None:
        """Follow the runner: progress updates the notice, anything else reloads."""
        event = message.event
        if event is not None and event.starmap_id != self.starmap_id:
            return
        record = self.record
        if event is None or event.kind != "progress" or record is None:
            if event is not None:
                self._progress = None
            self.request_reload()
            return
        if event.job_id == record.report_job_id:
            self._progress = (event.job_id, event.percent, event.phase)
            self._show_notice(self._with_latest_progress(record))

    def _with_latest_progress(self, record: StarmapRecord) -> StarmapRecord:
        # Progress reaches the store a little after its event, so a re-read
        # can be older than what is shown: never let the percent go back.
        if self._progress is None:
            return record
        job_id, percent, phase = self._progress
        same_job = record.report_job_id == job_id
        if not same_job or record.report_job_status not in ACTIVE_JOB_STATUSES:
            return record
        if record.report_job_progress >= percent:
            return record
        return replace(
            record,
            report_job_status="running",
            report_job_progress=percent,
            report_job_phase=phase,
        )

    async def show_record(self, record: StarmapRecord) -> None:
        """Show ``record``: notice, report text and charts."""
        self._show_notice(record)
        state = self.state
        assert state is not None
        if self.mode != "view" or not self.painting:
            return
        body = self.query_one("#report-body")
        body.display = bool(state.body)
        if state.body != self._shown_body:
            await self._show_body(state)

    def _show_notice(self, record: StarmapRecord) -> None:
        self.record = record
        self.state = state = report_state(record)
        if not self.painting:
            return
        # The store is re-read every second; repainting unchanged widgets would
        # re-lay out the whole (long) document each time.
        shown = (record.title, record.status, state.kind, state.notice, state.phase)
        if shown == self._shown_notice:
            return
        self._shown_notice = shown
        self.query_one("#report-title", Static).update(literal(record.title, "bold"))
        self.query_one("#report-subtitle", Static).update(_subtitle(record, state))
        self.query_one(ReportNotice).show(state)
        self.refresh_bindings()

    async def _show_body(self, state: ReportState) -> None:
        kind_changed = state.kind != self._shown_kind
        self._shown_body, self._shown_kind = state.body, state.kind
        await self.query_one(Markdown).update(clean(state.body, multiline=True))
        if not self.painting:
            return
        plan = (state.data or {}).get("delivery_plan")
        budget = (state.data or {}).get("budget")
        shown = [
            self.query_one(TimelineChart).show(plan),
            self.query_one(BudgetChart).show(budget),
        ]
        self.query_one("#report-charts").display = any(shown)
        if kind_changed:
            self.query_one("#report-scroll").scroll_home(animate=False)

    def _show_missing(self) -> None:
        self.query_one("#report-body").display = False
        self.query_one("#report-title", Static).update("Starmap not found")
        self.notify(
            "This starmap no longer exists (deleted elsewhere?).",
            severity="error",
            markup=False,
        )

    # -- table of contents ---------------------------------------------------

    def on_markdown_table_of_contents_updated(
        self, message: Markdown.TableOfContentsUpdated
    ) -> None:
        """Fill the contents panel from the document's headings."""
        self.query_one(
            MarkdownTableOfContents
        ).table_of_contents = message.table_of_contents
        message.stop()

    def on_markdown_table_of_contents_selected(
        self, message: Markdown.TableOfContentsSelected
    ) -> None:
        """Scroll the chosen heading to the top."""
        block = self.query_one(f"#{message.block_id}", MarkdownBlock)
        self.query_one("#report-scroll").scroll_to_widget(block, top=True)
        message.stop()

    def action_toc(self) -> None:
        """Show or hide the table of contents."""
        if self._refuse("toc"):
            return
        toc = self.query_one(MarkdownTableOfContents)
        toc.display = not toc.display

    # -- which keys apply now ------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Which keys show, and which are dimmed because they can't run now.

        Editor keys are hidden while reading and reading keys while editing;
        ``g`` shows as Generate until there is a final report, then as
        Regenerate. A key that needs a report is dimmed (None), not hidden,
        and says why when pressed (see :meth:`on_key`).
        """
        if action == "save":
            return self.mode != "view" and parameters == (self.mode,)
        if action not in VIEW_ACTIONS:
            return True
        if self.mode != "view":
            return False
        state = self.state
        if action == "retry":
            return bool(state and state.can_retry)
        has_final = state is not None and state.kind == "final"
        if (action == "generate" and has_final) or (
            action == "regenerate" and not has_final
        ):
            return False
        return None if self.unavailable_reason(action) else True

    def unavailable_reason(self, action: str) -> str | None:
        """Why a reading action can't run now, or None when it can."""
        state = self.state
        if state is None or not state.body:
            if action in NO_REPORT:
                return f"{NO_REPORT[action]} {FINISH_FIRST}"
            return None
        if action in ("generate", "regenerate") and state.pending_final:
            return "The final report is already being generated."
        return None

    def on_key(self, event: events.Key) -> None:
        """A dimmed key of this screen says why it does nothing now."""
        active = self.active_bindings.get(event.key)
        if active is None or active.enabled or active.node is not self:
            return
        reason = self.unavailable_reason(active.binding.action)
        if reason:
            event.stop()
            self.notify(reason, severity="warning")

    def palette_commands(self) -> Iterable[SystemCommand]:
        """The report's actions for the command palette, from its live bindings."""
        for binding in Binding.make_bindings(self.BINDINGS):
            name, parameters = _split_action(binding.action)
            if name == "back" or self.check_action(name, parameters) is not True:
                continue
            key = self.app.get_key_display(binding)
            yield SystemCommand(
                binding.description,
                f"{binding.tooltip or binding.description} · key {key}",
                partial(self.run_action, binding.action),
            )

    # -- edit and regenerate -------------------------------------------------

    def _refuse(self, action: str) -> bool:
        """Say why ``action`` can't run now; True when it can't."""
        reason = self.unavailable_reason(action)
        if reason:
            self.notify(reason, severity="warning")
        return reason is not None

    def action_edit(self) -> None:
        """Open the shown report in an editor."""
        state = self.state
        if self._refuse("edit") or state is None:
            return
        self._editing_kind = state.kind
        label = f"Editing the {state.kind} report. {EDIT_HINT}"
        self._open_editor("edit", state.body, label)

    def action_generate(self) -> None:
        """Ask for extra context, then queue the first final report."""
        if not self._refuse("generate"):
            self._open_editor("generate", "", CONTEXT_HINTS["generate"])

    def action_regenerate(self) -> None:
        """Ask for extra context, then queue a new final report."""
        if not self._refuse("regenerate"):
            self._open_editor("regenerate", "", CONTEXT_HINTS["regenerate"])

    def _open_editor(self, mode: str, text: str, label: str) -> None:
        self.mode = mode
        self._editing_from = text
        editor = self.query_one(TextArea)
        editor.load_text(text)
        editor.placeholder = CONTEXT_PLACEHOLDER if mode != "edit" else ""
        self.query_one("#report-editor-label", Static).update(label)
        save = self.query_one("#report-editor-save", Button)
        save.label = f"{SAVE_LABELS[mode]}  ctrl+s"
        self.query_one("#report-body").display = False
        self.query_one("#report-editor").display = True
        editor.focus()
        self.refresh_bindings()

    async def _close_editor(self) -> None:
        self.mode = "view"
        self._editing_kind = None
        self.query_one("#report-editor").display = False
        self.query_one("#report-scroll").focus()
        self.refresh_bindings()
        if self.record is not None:
            await self.show_record(self.record)

    async def action_save(self, mode: str | None = None) -> None:
        """Save the edit as a revision, or queue the final report."""
        if mode is not None and mode != self.mode:
            return
        text = self.query_one(TextArea).text
        if self.mode == "edit":
            await self._save_edit(text)
        elif self.mode in ("generate", "regenerate"):
            await self._queue_final(text.strip())

    async def _save_edit(self, body: str) -> None:
        if not body.strip():
            self.notify("A report cannot be empty.", severity="error")
            return
        kind = self._editing_kind or "final"
        if body == self._editing_from:
            await self._close_editor()
            self.notify("No changes to save.")
            return
        repo = await self.repo()
        record = await repo.save_edited_report(self.starmap_id, kind, body)
        self.record = record
        await self._close_editor()
        self.notify(f"Saved the {kind} report as a new revision.")

    async def _queue_final(self, extra_context: str) -> None:
        regenerating = self.mode == "regenerate"
        repo = await self.repo()
        await repo.enqueue(
            self.starmap_id, "final", params={"extra_context": extra_context}
        )
        self.app.jobs_changed()  # type: ignore[attr-defined]
        await self._close_editor()
        self.request_reload()
        if regenerating:
            self.notify("Regenerating the final report; the current one is kept.")
        else:
            self.notify("Generating the final report.")

    async def action_back(self) -> None:
        """Leave the editor (discarding it), or go back to the previous screen."""
        if self.mode == "view":
            self.app.pop_screen()
            return
        changed = self.query_one(TextArea).text != self._editing_from
        was = self.mode
        await self._close_editor()
        if changed:
            if was == "edit":
                self.notify("Edit cancelled; nothing was saved.")
            else:
                self.notify("Cancelled; no final report was queued.")

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        """The editor's Save and Cancel buttons."""
        event.stop()
        if event.button.id == "report-editor-save":
            await self.action_save()
        elif event.button.id == "report-editor-cancel":
            await self.action_back()

    async def flush_unsaved(self) -> None:
        """On quit, keep an unsaved edit as a revision rather than lose it."""
        if self.mode != "edit":
            return
        body = self.query_one(TextArea).text
        if body.strip() and body != self._editing_from:
            repo = await self.repo()
            await repo.save_edited_report(
                self.starmap_id, self._editing_kind or "final", body
            )

    # -- retry, copy, export -------------------------------------------------

    async def action_retry(self) -> None:
        """Queue again the step that failed or was cancelled."""
        repo = await self.repo()
        jobs = await repo.retry(self.starmap_id)
        if not jobs:
            self.notify("Nothing to retry.")
            return
        self.app.jobs_changed()  # type: ignore[attr-defined]
        self.request_reload()
        kinds = ", ".join(job.kind for job in jobs)
        self.notify(f"Queued again: {kinds}.")

    def action_copy(self) -> None:
        """Copy the shown report's Markdown to the clipboard (OSC 52)."""
        state = self.state
        if self._refuse("copy") or state is None:
            return
        self.app.copy_to_clipboard(state.body)
        self.notify(
            f"Copied the {state.kind} report ({len(state.body):,} characters). "
            "Terminals without OSC 52 support ignore the copy.",
            title="Copied",
        )

    def action_export(self) -> None:
        """Ask for a format and a path, then write the export."""
        from starmap_tui.screens.modals import ExportModal

        record = self.record
        if self._refuse("export") or record is None:
            return
        default = default_export_path(record.title)
        self.app.push_screen(ExportModal(default), callback=self._export_chosen)

    async def _export_chosen(self, choice: tuple[str, Path | str] | None) -> None:
        if choice is None or self.record is None:
            return
        fmt, path = choice
        await self.export_to(fmt, path)

    async def export_to(self, fmt: str, path: str | Path) -> Path | None:
        """Write the export and log it; a bad path is reported, not raised."""
        assert self.record is not None
        try:
            target = write_export(self.record, fmt, path)
        except ExportError as exc:
            self.notify(str(exc), title="Export failed", severity="error", markup=False)
            return None
        repo = await self.repo()
        await repo.log_activity(self.starmap_id, "exported", f"{fmt} → {target}")
        self.notify(f"Exported to {target}", title="Exported", markup=False)
        return target


def _split_action(action: str) -> tuple[str, tuple[object, ...]]:
    """``save('edit')`` → ``("save", ("edit",))``."""
    _namespace, name, parameters = parse_action(action)
    return name, parameters


def _subtitle(record: StarmapRecord, state: ReportState) -> Text:
    """``Final report · completed`` and the like."""
    what = {"final": "Final report", "preliminary": "Preliminary report"}
    text = Text(what.get(state.kind or "", "No report yet"), style="bold")
    text.append(f"  ·  status: {record.status}", style="dim")
    return text


__all__ = [
    "ExportError",
    "ReportScreen",
    "default_export_path",
    "export_text",
    "slugify",
    "write_export",
]
