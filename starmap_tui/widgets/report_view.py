"""What the report screen shows for a starmap, and the notice above the report.

:func:`report_state` decides, from a stored starmap alone, which report to show
(final, else preliminary), what the notice says about the report job, and
whether Retry applies. Keeping it free of widgets makes every case testable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import ProgressBar, Static

from starmap_tui.storage.records import ACTIVE_JOB_STATUSES, StarmapRecord
from starmap_tui.widgets.safe_text import literal

RETRY_HINT = "Press r to retry."
STEP_NAMES = {
    "questions": "deep-dive questions",
    "preliminary": "preliminary report",
    "final": "final report",
}


@dataclass(frozen=True)
class ReportState:
    """The report to show and what to say about its generation."""

    kind: str | None
    body: str
    data: dict[str, Any] | None
    notice: str
    tone: str
    generating: bool
    pending_final: bool
    can_retry: bool
    percent: int
    phase: str


def report_state(record: StarmapRecord) -> ReportState:
    """Decide what the report screen shows for ``record``."""
    kind = _shown_kind(record)
    body = (record.final_report if kind == "final" else record.preliminary_report) or ""
    data = record.final_json if kind == "final" else record.preliminary_json
    generating = record.report_job_status in ACTIVE_JOB_STATUSES
    stopped = record.report_job_status in ("failed", "cancelled")
    notice, tone = _notice(record, kind, generating, stopped)
    return ReportState(
        kind=kind,
        body=body,
        data=data if kind else None,
        notice=notice,
        tone=tone,
        generating=generating,
        pending_final=generating and record.report_job_kind == "final",
        can_retry=stopped,
        percent=max(0, min(100, record.report_job_progress)),
        phase=record.report_job_phase,
    )


def _shown_kind(record: StarmapRecord) -> str | None:
    """``final`` when there is a final report, else ``preliminary``, else None."""
    if record.final_report:
        return "final"
    return "preliminary" if record.preliminary_report else None


def _notice(
    record: StarmapRecord, kind: str | None, generating: bool, stopped: bool
) -> tuple[str, str]:
    """The notice text and its tone (pending, error, info or "" for none)."""
    if generating:
        return _pending_notice(record, kind), "pending"
    if stopped:
        return _stopped_notice(record, kind), "error"
    if kind == "preliminary":
        return (
            "Preliminary report, drafted from stages 1 to 3. The final report has "
            "not been generated yet: finish the deep dive in the wizard, or press "
            "g to generate it now.",
            "info",
        )
    if kind is None:
        return (
            "There is no report yet. Finish the questionnaire in the wizard: the "
            "preliminary report is drafted after stage 3 and the final one when "
            "you submit the deep dive.",
            "info",
        )
    return "", ""


def _pending_notice(record: StarmapRecord, kind: str | None) -> str:
    """What is being generated, with its percent."""
    percent = f"({record.report_job_progress}%)"
    if record.report_job_kind != "final":
        step = STEP_NAMES.get(record.report_job_kind or "", "report")
        return f"Generating the {step} {percent}…"
    if kind == "preliminary":
        return f"Preliminary — the final report is being generated {percent}"
    if kind == "final":
        return (
            f"Regenerating the final report {percent}. This is the current "
            "version until the new one is ready."
        )
    return f"The final report is being generated {percent}…"


def _stopped_notice(record: StarmapRecord, kind: str | None) -> str:
    """Why the last step stopped, and what to do."""
    step = STEP_NAMES.get(record.report_job_kind or "", "report")
    if record.report_job_status == "cancelled":
        reason = f"Generating the {step} was cancelled."
    else:
        why = record.report_job_error or "no reason was recorded"
        reason = f"Generating the {step} failed: {why}"
    if record.report_job_kind == "final" and kind == "final":
        return f"{reason} The previous version is shown. {RETRY_HINT}"
    if record.report_job_kind == "final" and kind == "preliminary":
        return f"Preliminary report shown. {reason} {RETRY_HINT}"
    return f"{reason} {RETRY_HINT}"


class ReportNotice(Vertical):
    """A coloured notice about the report job, with its progress bar."""

    def compose(self) -> ComposeResult:
        """The message and a progress bar shown while a job runs."""
        yield Static(id="report-notice-text", markup=False)
        yield ProgressBar(total=100, show_eta=False, id="report-notice-progress")

    def show(self, state: ReportState) -> None:
        """Show the notice for ``state`` (hidden when there is nothing to say)."""
        self.display = bool(state.notice)
        for tone in ("pending", "error", "info"):
            self.set_class(state.tone == tone, f"-{tone}")
        message = literal(state.notice, multiline=True)
        if state.generating and state.phase:
            message.append(f"  ·  {state.phase}", style="italic")
        self.query_one("#report-notice-text", Static).update(message)
        bar = self.query_one(ProgressBar)
        bar.display = state.generating
        bar.update(progress=state.percent)

    @property
    def text(self) -> str:
        """The notice as plain text (what a person reads)."""
        return str(self.query_one("#report-notice-text", Static).content)
