"""The dashboard's preview of the highlighted starmap's summary."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from starmap_tui.questionnaire.stages import STEP_TITLES
from starmap_tui.storage.records import StarmapRecord, StarmapRow
from starmap_tui.widgets.job_table import STATUS_STYLES, job_active, progress_bar
from starmap_tui.widgets.safe_text import clean, literal

MAX_ITEMS = 6


def _heading(text: Text, label: str) -> None:
    text.append(f"\n\n{label}\n", style="bold underline")


def _status_line(
    status: str, step: str, percent: int, phase: str, *, working: bool
) -> Text:
    """The status, then the job's bar and phase while one is at work (as the
    table shows it), or where a draft stands."""
    line = Text(end="")
    line.append(status, style=STATUS_STYLES.get(status, "") or "bold")
    if working or status in ("queued", "processing"):
        line.append(f"  {progress_bar(percent)}")
        if phase:
            line.append("  ")
            line.append(clean(phase), style="italic")
    elif status == "draft":
        line.append("  at ", style="dim")
        line.append(STEP_TITLES.get(step, clean(step)))
    return line


def _failure(text: Text, status: str, error: str | None) -> None:
    if status == "failed":
        _heading(text, "Why it failed")
        text.append(clean(error or "No reason was recorded.", multiline=True))
        text.append("\n\nPress r to retry.", style="bold")
    elif status == "cancelled":
        text.append("\n\nCancelled. Press r to retry.", style="bold")


def _report(record: StarmapRecord) -> dict[str, Any] | None:
    report = record.final_json or record.preliminary_json
    return report if isinstance(report, dict) else None


def _bullets(text: Text, items: list[Any]) -> None:
    for n, item in enumerate(items[:MAX_ITEMS]):
        text.append("\n• " if n else "• ")
        text.append(clean(item, multiline=True))
    if len(items) > MAX_ITEMS:
        text.append(f"\n… and {len(items) - MAX_ITEMS} more", style="dim")


def _phase_line(phase: Any) -> str:
    if not isinstance(phase, dict):
        return clean(phase)
    name = clean(phase.get("name", "Phase"))
    weeks = phase.get("duration_weeks")
    return f"{name} ({clean(weeks)} wk)" if weeks not in (None, "") else name


def _summary(text: Text, record: StarmapRecord) -> None:
    report = _report(record)
    if report is None:
        text.append("\n\nNo report yet. Press enter to carry on.", style="dim")
        return
    which = "Final report" if record.final_json else "Preliminary report"
    text.append(f"\n\n{which}", style="dim italic")
    summary = report.get("summary") or {}
    if summary.get("problem_statement"):
        _heading(text, "Problem")
        text.append(clean(summary["problem_statement"], multiline=True))
    if summary.get("objectives"):
        _heading(text, "Objectives")
        _bullets(text, list(summary["objectives"]))
    phases = (report.get("delivery_plan") or {}).get("phases") or []
    if phases:
        _heading(text, "Phases")
        _bullets(text, [_phase_line(p) for p in phases])


def record_preview(record: StarmapRecord) -> Text:
    """The preview of a fully loaded starmap."""
    text = literal(record.title, "bold")
    text.append("\n")
    text.append_text(
        _status_line(
            record.status,
            record.current_step,
            record.report_job_progress,
            record.report_job_phase,
            working=job_active(record.report_job_status),
        )
    )
    _failure(text, record.status, record.report_job_error)
    if record.status != "failed":
        _summary(text, record)
    return text


def row_preview(row: StarmapRow) -> Text:
    """The preview from a listing row, shown until the full record is read."""
    text = literal(row.title, "bold")
    text.append("\n")
    text.append_text(
        _status_line(
            row.status,
            row.current_step,
            row.progress,
            row.job_phase,
            working=job_active(row.job_status),
        )
    )
    _failure(text, row.status, row.error)
    return text


def empty_preview(matching: int, *, filtered: bool = False) -> Text:
    """The preview while no starmap is highlighted."""
    if matching:
        return Text("Nothing selected.", style="dim")
    if filtered:
        return Text("No starmap matches the filter or search.", style="dim")
    return Text("No starmap to show. Press n to start one.", style="dim")


class StarmapPreview(VerticalScroll, can_focus=False):
    """A scrollable summary of one starmap."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.shown_key: tuple[str, str] | None = None
        self._source: StarmapRecord | StarmapRow | None = None

    def compose(self) -> ComposeResult:
        """One block of text."""
        yield Static(Text("Nothing selected.", style="dim"), id="preview-body")

    def show_row(self, row: StarmapRow) -> None:
        """Show what the listing row says, until the whole record is read."""
        self._source = row
        self._show(row_preview(row), (row.id, ""))

    def show_record(self, record: StarmapRecord, key: tuple[str, str]) -> None:
        """Show the whole record; ``key`` (id, updated stamp) says which read."""
        self._source = record
        self._show(record_preview(record), key)

    def show_empty(self, matching: int, *, filtered: bool = False) -> None:
        """Nothing is highlighted (``matching`` rows are listed)."""
        self._source = None
        self._show(empty_preview(matching, filtered=filtered), None)

    def set_progress(self, starmap_id: str, percent: int, phase: str) -> None:
        """A job of the shown starmap moved on: show its bar where the table does."""
        source = self._source
        if source is None or source.id != starmap_id:
            return
        if isinstance(source, StarmapRecord):
            self._source = replace(
                source,
                report_job_status="running",
                report_job_progress=percent,
                report_job_phase=phase or source.report_job_phase,
            )
            content = record_preview(self._source)
        else:
            self._source = replace(
                source,
                job_status="running",
                progress=percent,
                job_phase=phase or source.job_phase,
            )
            content = row_preview(self._source)
        self.query_one("#preview-body", Static).update(content)

    def _show(self, content: Text, key: tuple[str, str] | None) -> None:
        same_starmap = (self.shown_key or ("",))[0] == (key or ("",))[0]
        self.shown_key = key
        self.query_one("#preview-body", Static).update(content)
        if not same_starmap:
            self.scroll_home(animate=False)
