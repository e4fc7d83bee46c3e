"""Turning stored text (JSON, ISO timestamps) into plain values and back."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from starmap_tui.storage.records import JobRecord, StarmapRecord, StarmapRow


def dump_json(value: Any) -> str:
    """Compact JSON that keeps non-ASCII text as it is."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def load_json(text: str | None, default: Any = None) -> Any:
    """Parse stored JSON; a missing value gives ``default``."""
    if text is None or text == "":
        return default
    return json.loads(text)


def stamp(moment: datetime) -> str:
    """A UTC timestamp as sortable ISO text."""
    return moment.isoformat(timespec="microseconds")


def parse_stamp(text: str | None) -> datetime | None:
    """The inverse of :func:`stamp`."""
    return datetime.fromisoformat(text) if text else None


def starmap_from_row(row: Mapping[str, Any]) -> StarmapRecord:
    """Build a StarmapRecord from a full starmap row."""
    return StarmapRecord(
        id=row["id"],
        title=row["title"],
        status=row["status"],
        experience_level=row["experience_level"],
        stage_answers=load_json(row["stage_answers"], {}),
        completed_stages=tuple(load_json(row["completed_stages"], [])),
        dynamic_questions=load_json(row["dynamic_questions"]),
        dynamic_answers=load_json(row["dynamic_answers"], {}),
        preliminary_report=row["preliminary_report"],
        preliminary_json=load_json(row["preliminary_json"]),
        final_report=row["final_report"],
        final_json=load_json(row["final_json"]),
        current_step=row["current_step"],
        session_state=load_json(row["session_state"], {}),
        report_job_id=row["report_job_id"],
        report_job_kind=row["report_job_kind"],
        report_job_status=row["report_job_status"],
        report_job_progress=row["report_job_progress"] or 0,
        report_job_phase=row["report_job_phase"] or "",
        report_job_error=row["report_job_error"],
        created_at=parse_stamp(row["created_at"]),
        updated_at=parse_stamp(row["updated_at"]),
        last_saved_at=parse_stamp(row["last_saved_at"]),
        completed_at=parse_stamp(row["completed_at"]),
        legacy_summary_id=row["legacy_summary_id"],
    )


ROW_COLUMNS = (
    "id, title, status, current_step, report_job_progress, report_job_kind, "
    "report_job_status, report_job_phase, report_job_error, created_at, updated_at"
)


def starmap_row(values: tuple[Any, ...]) -> StarmapRow:
    """Build a StarmapRow from a tuple in the order of ROW_COLUMNS."""
    return StarmapRow(
        id=values[0],
        title=values[1],
        status=values[2],
        current_step=values[3],
        progress=values[4] or 0,
        job_kind=values[5],
        job_status=values[6],
        job_phase=values[7] or "",
        error=values[8],
        created_at=parse_stamp(values[9]),
        updated_at=parse_stamp(values[10]),
    )


def job_from_row(row: Mapping[str, Any]) -> JobRecord:
    """Build a JobRecord from a report_job row."""
    return JobRecord(
        id=row["id"],
        starmap_id=row["starmap_id"],
        kind=row["kind"],
        status=row["status"],
        provider=row["provider"],
        model=row["model"],
        temperature=row["temperature"],
        max_tokens=row["max_tokens"],
        percent=row["percent"],
        phase=row["phase"] or "",
        eta_seconds=row["eta"],
        result=row["result"],
        error=row["error"],
        attempt=row["attempt"],
        max_attempts=row["max_attempts"],
        crash_count=row["crash_count"],
        not_before=parse_stamp(row["not_before"]),
        lease_owner=row["lease_owner"],
        lease_expires_at=parse_stamp(row["lease_expires_at"]),
        params=load_json(row["params"], {}),
        created_at=parse_stamp(row["created_at"]),
        started_at=parse_stamp(row["started_at"]),
        completed_at=parse_stamp(row["completed_at"]),
    )
