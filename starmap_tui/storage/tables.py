"""SQLModel tables that mirror the migrated schema, for building queries.

The schema itself comes from :mod:`migrations`; a test checks that these
classes and the migrated database agree column for column. JSON and
timestamps are kept as text so the same SQL works on SQLite and PostgreSQL.
"""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class StarmapTable(SQLModel, table=True):
    """A starmap row."""

    __tablename__ = "starmap"

    id: str = Field(primary_key=True)
    title: str
    status: str = "draft"
    experience_level: str | None = None
    stage_answers: str = "{}"
    completed_stages: str = "[]"
    dynamic_questions: str | None = None
    dynamic_answers: str = "{}"
    preliminary_report: str | None = None
    preliminary_json: str | None = None
    final_report: str | None = None
    final_json: str | None = None
    current_step: str = "experience"
    session_state: str = "{}"
    report_job_id: str | None = None
    report_job_kind: str | None = None
    report_job_status: str | None = None
    report_job_progress: int = 0
    report_job_phase: str = ""
    report_job_error: str | None = None
    created_at: str
    updated_at: str
    last_saved_at: str | None = None
    completed_at: str | None = None
    legacy_summary_id: str | None = None


class ReportJobTable(SQLModel, table=True):
    """A report job row."""

    __tablename__ = "report_job"

    id: str = Field(primary_key=True)
    starmap_id: str = Field(foreign_key="starmap.id")
    kind: str
    status: str = "queued"
    provider: str = "offline"
    model: str = ""
    temperature: float = 0.4
    max_tokens: int = 4096
    prompt: str | None = None
    percent: int = 0
    eta: float | None = None
    result: str | None = None
    error: str | None = None
    attempt: int = 0
    max_attempts: int = 5
    not_before: str | None = None
    lease_owner: str | None = None
    lease_expires_at: str | None = None
    idempotency_key: str
    created_at: str
    started_at: str | None = None
    completed_at: str | None = None
    phase: str = ""
    crash_count: int = 0
    params: str = "{}"
    raw_output: str | None = None
    updated_at: str | None = None


class ReportRevisionTable(SQLModel, table=True):
    """A report revision row."""

    __tablename__ = "report_revision"

    id: int | None = Field(default=None, primary_key=True)
    starmap_id: str = Field(foreign_key="starmap.id")
    kind: str
    n: int
    source: str
    body: str
    created_at: str


class ActivityTable(SQLModel, table=True):
    """An activity log row."""

    __tablename__ = "activity"

    id: int | None = Field(default=None, primary_key=True)
    starmap_id: str = Field(foreign_key="starmap.id")
    event: str
    detail: str = ""
    created_at: str
