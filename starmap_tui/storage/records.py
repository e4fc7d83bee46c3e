"""Plain objects the store hands out; no session or row ever leaves storage/."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

StarmapStatus = Literal[
    "draft", "queued", "processing", "completed", "failed", "cancelled"
]
JobStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]
JobKind = Literal["questions", "preliminary", "final"]

STARMAP_STATUSES: tuple[str, ...] = (
    "draft",
    "queued",
    "processing",
    "completed",
    "failed",
    "cancelled",
)
IN_PROGRESS: tuple[str, ...] = ("draft", "queued", "processing")
ACTIVE_JOB_STATUSES: tuple[str, ...] = ("queued", "running")
STAGE_IDS: tuple[str, ...] = ("experience", "stage1", "stage2", "stage3")
# The generation steps that finishing stage 3 starts (the final report waits
# for the deep-dive answers).
DEEP_DIVE_STEPS: tuple[str, ...] = ("questions", "preliminary")


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class StarmapRecord:
    """One starmap: answers, generated questions, reports and job summary."""

    id: str
    title: str
    status: str
    experience_level: str | None
    stage_answers: dict[str, dict[str, Any]]
    completed_stages: tuple[str, ...]
    dynamic_questions: dict[str, Any] | None
    dynamic_answers: dict[str, Any]
    preliminary_report: str | None
    preliminary_json: dict[str, Any] | None
    final_report: str | None
    final_json: dict[str, Any] | None
    current_step: str
    session_state: dict[str, Any]
    report_job_id: str | None
    report_job_kind: str | None
    report_job_status: str | None
    report_job_progress: int
    report_job_phase: str
    report_job_error: str | None
    created_at: datetime
    updated_at: datetime
    last_saved_at: datetime | None
    completed_at: datetime | None
    legacy_summary_id: str | None = None

    @property
    def answers(self) -> dict[str, Any]:
        """Every static answer in one flat dict keyed by field id."""
        flat: dict[str, Any] = {}
        for stage_id in STAGE_IDS:
            flat.update(self.stage_answers.get(stage_id, {}))
        return flat

    @property
    def report(self) -> str | None:
        """The best report there is: the final one, else the preliminary one."""
        return self.final_report or self.preliminary_report


@dataclass(frozen=True)
class StarmapRow:
    """A starmap as the dashboard lists it: no answers, no report bodies."""

    id: str
    title: str
    status: str
    current_step: str
    progress: int
    job_kind: str | None
    job_status: str | None
    job_phase: str
    error: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Stats:
    """The dashboard's counters."""

    total: int = 0
    completed: int = 0
    in_progress: int = 0
    failed: int = 0


@dataclass(frozen=True)
class JobRecord:
    """One generation task for one step of one starmap."""

    id: str
    starmap_id: str
    kind: str
    status: str
    provider: str
    model: str
    temperature: float
    max_tokens: int
    percent: int
    phase: str
    eta_seconds: float | None
    result: str | None
    error: str | None
    attempt: int
    max_attempts: int
    crash_count: int
    not_before: datetime | None
    lease_owner: str | None
    lease_expires_at: datetime | None
    params: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None


@dataclass(frozen=True)
class Revision:
    """One report text ever produced or edited."""

    starmap_id: str
    kind: str
    n: int
    source: str
    body: str
    created_at: datetime


@dataclass(frozen=True)
class Activity:
    """One event in a starmap's history."""

    starmap_id: str
    event: str
    detail: str
    created_at: datetime
