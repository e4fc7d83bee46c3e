"""Time to the first painted dashboard, against an empty store and a bare app.

Builds a store of 100,000 starmaps (schema from ``Repository.open``, rows bulk
inserted with the standard library), then starts the app headless in a fresh
interpreter for every run, so import time counts, and records the moment the
table of starmaps is first painted with its first page. Compares the median
with an empty store and with a bare Textual app that shows one line.

    python bench/bench_startup.py [--rows 100000] [--runs 7] [--keep DIR]

Targets: 100k / empty <= 1.3 and 100k / bare <= 1.5.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

STATUSES = (
    ("completed", 40),
    ("draft", 30),
    ("failed", 10),
    ("processing", 8),
    ("queued", 6),
    ("cancelled", 6),
)
SIZE = (120, 36)
TIMEOUT = 120.0

# -- building the store ---------------------------------------------------------


def create_schema(path: Path) -> None:
    """Create the current schema with the app's own migrations."""
    from starmap_tui.storage.repository import Repository

    async def run() -> None:
        repo = await Repository.open(path)
        await repo.close()

    asyncio.run(run())


def sample_stage_answers(n: int) -> dict[str, dict[str, Any]]:
    """Answers shaped like a filled-in wizard."""
    return {
        "experience": {"exp_level": "Intermediate (some projects, want structure)"},
        "stage1": {
            "requester_name": f"Requester {n}",
            "requester_role": "L&D Manager",
            "requester_department": "Learning & Development",
            "requester_email": f"person{n}@example.com",
        },
        "stage2": {
            "org_name": f"Organisation {n % 997}",
            "org_industry": "Healthcare",
            "org_size": "201-500 employees",
            "org_headquarters": "Denver, CO",
            "org_compliance": ["HIPAA"],
            "org_stakeholders": ["HR Leadership", "Department Heads"],
        },
        "stage3": {
            "project_objectives": "Cut intake errors 30%; onboard staff in 2 weeks",
            "project_constraints": "Staff spread over 12 sites; shifts; small budget",
            "target_audience": "120 coordinators, mixed experience",
            "project_timeline": {"start": "2027-01-11", "end": "2027-06-30"},
            "project_budget_range": "$50,000 - $100,000",
        },
    }


def sample_report(n: int) -> dict[str, Any]:
    """A small report JSON of the usual shape."""
    return {
        "summary": {
            "problem_statement": f"Intake errors at site {n % 12} cost rework.",
            "objectives": ["Cut intake errors 30%", "Onboard in 2 weeks"],
            "confidence": 0.7,
        },
        "delivery_plan": {
            "phases": [
                {"name": "Discover", "duration_weeks": 2},
                {"name": "Build", "duration_weeks": 6},
                {"name": "Pilot", "duration_weeks": 3},
            ]
        },
    }


def starmap_rows(count: int, seed: int = 7) -> Iterator[tuple[Any, ...]]:
    """Realistic starmap rows: statuses, answers, reports and job summaries."""
    rng = random.Random(seed)
    statuses = [s for s, weight in STATUSES for _ in range(weight)]
    start = datetime(2025, 1, 1, tzinfo=UTC)
    for n in range(count):
        status = rng.choice(statuses)
        created = start + timedelta(minutes=n * 5)
        updated = created + timedelta(minutes=rng.randint(1, 600))
        answers = json.dumps(sample_stage_answers(n), separators=(",", ":"))
        report = sample_report(n) if status == "completed" else None
        job = job_fields(status, rng)
        yield (
            str(uuid.UUID(int=rng.getrandbits(128))),
            f"Needs analysis {n:06d}: {rng.choice(TOPICS)}",
            status,
            "Intermediate (some projects, want structure)",
            answers,
            json.dumps(["experience", "stage1", "stage2", "stage3"]),
            json.dumps(report) if report else None,
            f"# Needs analysis {n}\n\n## Executive Summary\n\n..." if report else None,
            "report" if status == "completed" else "stage3",
            *job,
            created.isoformat(timespec="microseconds"),
            updated.isoformat(timespec="microseconds"),
            updated.isoformat(timespec="microseconds"),
        )


TOPICS = (
    "front-desk onboarding",
    "sales negotiation",
    "HIPAA refresher",
    "manager coaching",
    "warehouse safety",
    "customer empathy",
)


def job_fields(status: str, rng: random.Random) -> tuple[Any, ...]:
    """report_job_id, kind, status, progress, phase, error for a status."""
    if status == "draft":
        return (None, None, None, 0, "", None)
    job_status, progress, phase, error = {
        "completed": ("succeeded", 100, "Done", None),
        "failed": ("failed", 40, "Failed", "The provider refused the key (401)."),
        "processing": ("running", rng.randint(1, 99), "Writing the report", None),
        "queued": ("queued", 0, "Waiting for a worker", None),
        "cancelled": ("cancelled", 20, "Cancelled", None),
    }[status]
    return (str(uuid.uuid4()), "final", job_status, progress, phase, error)


INSERT = """
INSERT INTO starmap (
    id, title, status, experience_level, stage_answers, completed_stages,
    final_json, final_report, current_step, report_job_id, report_job_kind,
    report_job_status, report_job_progress, report_job_phase, report_job_error,
    created_at, updated_at, last_saved_at
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""


def build_store(path: Path, count: int) -> float:
    """Create the schema, then bulk insert ``count`` starmaps; returns seconds."""
    started = time.perf_counter()
    create_schema(path)
    if count:
        with sqlite3.connect(path) as conn:
            conn.executemany(INSERT, starmap_rows(count))
    return time.perf_counter() - started


# -- one measured start (runs in a fresh interpreter) -----------------------------


def _report_and_exit(moment: float) -> None:
    print(f"PAINTED {moment!r}", flush=True)
    os._exit(0)


def child_dashboard(db: Path) -> None:
    """Start the app; report when the table is first painted with its first page."""
    from starmap_tui.app import StarmapApp
    from starmap_tui.config import Settings
    from starmap_tui.widgets.job_table import JobTable

    original = JobTable.render_lines

    def spy(self: JobTable, crop: Any) -> Any:
        lines = original(self, crop)
        if self.loaded:
            orm = "sqlalchemy" in sys.modules
            print(f"ORM_LOADED {orm}", flush=True)
            _report_and_exit(time.perf_counter())
        return lines

    JobTable.render_lines = spy  # type: ignore[method-assign]
    StarmapApp(Settings(), db).run(headless=True, size=SIZE)


def child_bare() -> None:
    """A bare Textual app showing one line, measured the same way."""
    from textual.app import App, ComposeResult
    from textual.widgets import Static

    original = Static.render_lines

    def spy(self: Static, crop: Any) -> Any:
        lines = original(self, crop)
        _report_and_exit(time.perf_counter())
        return lines

    Static.render_lines = spy  # type: ignore[method-assign]

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield Static("starmap-tui")

    Bare().run(headless=True, size=SIZE)


# -- the parent: runs, medians, ratios ------------------------------------------------


def measure(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    """Seconds from spawning a child to its first paint, and its other output."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env=env,
        check=False,
    )
    for line in done.stdout.splitlines():
        if line.startswith("PAINTED "):
            return float(line.split()[1]) - started, done.stdout
    raise RuntimeError(f"child {args} never painted:\n{done.stdout}\n{done.stderr}")


def medians(runs: int, cases: dict[str, list[str]], env: dict[str, str]) -> Any:
    """Median seconds per case; the cases take turns so drift hits all alike."""
    for args in cases.values():
        measure(args, env)
    times: dict[str, list[float]] = {name: [] for name in cases}
    outputs: dict[str, str] = {}
    for _ in range(runs):
        for name, args in cases.items():
            seconds, outputs[name] = measure(args, env)
            times[name].append(seconds)
    return {name: statistics.median(t) for name, t in times.items()}, outputs


def main() -> None:
    """Build the stores, run the three cases, print medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="build the stores here and keep them")
    hidden = argparse.SUPPRESS
    parser.add_argument("--child", choices=("dashboard", "bare"), help=hidden)
    parser.add_argument("--db", type=Path, help=hidden)
    args = parser.parse_args()
    if args.child == "dashboard":
        child_dashboard(args.db)
        return
    if args.child == "bare":
        child_bare()
        return
    with tempfile.TemporaryDirectory() as scratch:
        run_bench(args.keep or Path(scratch), args.rows, args.runs)


def run_bench(folder: Path, rows: int, runs: int) -> None:
    """Everything but argument parsing."""
    folder.mkdir(parents=True, exist_ok=True)
    big, empty = folder / f"starmaps-{rows}.db", folder / "empty.db"
    if not big.exists():
        print(f"building {rows:,} starmaps: {build_store(big, rows):.1f} s")
    if not empty.exists():
        build_store(empty, 0)
    env = {**os.environ, "STARMAP_HOME": str(folder / "home")}
    cases = {
        "full": ["--child", "dashboard", "--db", str(big)],
        "empty": ["--child", "dashboard", "--db", str(empty)],
        "bare": ["--child", "bare"],
    }
    median, outputs = medians(runs, cases, env)
    full, none, bare = median["full"], median["empty"], median["bare"]
    orm = "ORM_LOADED True" in outputs["full"]
    print(f"median of {runs} runs, time to the first painted screen:")
    print(f"  (a) {rows:,} starmaps  {full * 1000:7.1f} ms  (ORM imported: {orm})")
    print(f"  (b) empty store      {none * 1000:7.1f} ms")
    print(f"  (c) bare Textual app {bare * 1000:7.1f} ms")
    print(f"  a/b = {full / none:.2f}  (target <= 1.3)")
    print(f"  a/c = {full / bare:.2f}  (target <= 1.5)")


if __name__ == "__main__":
    main()
