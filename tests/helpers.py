"""Helpers for tests: waiting on conditions, sample answers, injected failures."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any


async def wait_until(
    condition: Callable[[], Awaitable[bool] | bool],
    *,
    timeout: float = 20.0,
    interval: float = 0.02,
    message: str = "condition",
) -> None:
    """Poll ``condition`` until it is true; fail the test after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if asyncio.iscoroutine(result) or isinstance(result, Awaitable):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {message}")
        await asyncio.sleep(interval)


def sample_answers(**overrides: Any) -> dict[str, dict[str, Any]]:
    """A complete, valid set of static answers grouped by stage."""
    stages: dict[str, dict[str, Any]] = {
        "experience": {"exp_level": "Intermediate (some projects, want structure)"},
        "stage1": {
            "requester_name": "Dana Reyes",
            "requester_role": "L&D Manager",
            "requester_department": "Learning & Development",
            "requester_email": "dana@example.com",
            "requester_timezone": "UTC-05:00 (EST)",
        },
        "stage2": {
            "org_name": "Northwind Clinics",
            "org_industry": "Healthcare",
            "org_size": "201-500 employees",
            "org_headquarters": "Denver, CO",
            "org_compliance": ["HIPAA"],
            "org_stakeholders": ["HR Leadership", "Department Heads"],
        },
        "stage3": {
            "project_objectives": "Cut patient intake errors 30%; onboard front-desk "
            "staff in 2 weeks instead of 4",
            "project_constraints": "Staff spread over 12 clinics; shifts; small budget",
            "target_audience": "120 front-desk coordinators, mixed experience",
            "project_timeline": {"start": "2027-01-11", "end": "2027-06-30"},
            "project_budget_range": "$50,000 - $100,000",
            "available_hardware": ["Desktop computers", "Smartphones"],
            "available_software": ["LMS", "Zoom"],
        },
    }
    for key, value in overrides.items():
        for stage in stages.values():
            if key in stage:
                stage[key] = value
    return stages


def flat_answers(stages: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """All stages' answers in one dict."""
    flat: dict[str, Any] = {}
    for answers in stages.values():
        flat.update(answers)
    return flat


def refuse_new_jobs(db_path: Path, refuse: bool) -> None:
    """Make the database itself refuse (or accept again) every new job row."""
    conn = sqlite3.connect(db_path, isolation_level=None, timeout=30)
    try:
        if refuse:
            conn.execute(
                "CREATE TRIGGER refuse_jobs BEFORE INSERT ON report_job "
                "BEGIN SELECT RAISE(ABORT, 'injected: no new jobs'); END"
            )
        else:
            conn.execute("DROP TRIGGER refuse_jobs")
    finally:
        conn.close()
