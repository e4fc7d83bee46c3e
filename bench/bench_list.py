"""Benchmark: ``starmap-tui list --status completed`` over 100,000 starmaps.

Builds the store once: the schema comes from opening a Repository on an empty
file; the rows are bulk-inserted with stdlib sqlite3 in one transaction, with
varied statuses, titles, report_job fields and updated_at spread over two
years. Completed starmaps carry full-size reports (real offline-engine output
generated once at the start), so rows are as wide as real ones.

Then it runs the installed command as a subprocess several times and prints
the median wall and CPU time, the rows printed and the command's peak RSS (wait4 in
a small launcher), beside a baseline ``python -c pass`` measured the same way.
Targets: under 0.5 s and under 150 MB.

Run: .venv/bin/python bench/bench_list.py [--rows N] [--runs K] [--db PATH]
     (--db keeps the store and reuses it if it already has N starmaps)
Prints figures only; it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
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
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from starmap_tui.storage.repository import Repository
from starmap_tui.worker.providers.offline import OfflineProvider
from starmap_tui.worker.runner import Runner, RunnerSettings

STATUS_WEIGHTS = {
    "completed": 55,
    "draft": 18,
    "failed": 8,
    "cancelled": 7,
    "processing": 7,
    "queued": 5,
}
TOPICS = [
    "Front desk onboarding",
    "Sales discovery coaching",
    "HIPAA refresher",
    "New manager essentials",
    "Forklift safety",
    "Customer empathy",
    "Cloud cost awareness",
    "Incident response drills",
    "Café barista upskilling",
    "Negotiation basics",
]
ORGS = ["Northwind", "Contoso", "Fabrikam", "Globex", "Initech", "Umbrella"]
BIG_COLUMNS = (
    "stage_answers",
    "dynamic_questions",
    "preliminary_report",
    "preliminary_json",
    "final_report",
    "final_json",
)
INSERT_COLUMNS = (
    "id",
    "title",
    "status",
    "experience_level",
    *BIG_COLUMNS,
    "completed_stages",
    "current_step",
    "report_job_id",
    "report_job_kind",
    "report_job_status",
    "report_job_progress",
    "report_job_phase",
    "report_job_error",
    "created_at",
    "updated_at",
    "last_saved_at",
    "completed_at",
)


# -- building the store -----------------------------------------------------------


async def sample_texts(folder: Path) -> dict[str, str]:
    """The big columns of one starmap the offline engine really generated."""
    repo = await Repository.open(folder / "sample.db")
    try:
        record = await repo.create_starmap(
            "Sample",
            stage_answers=_stage_answers(),
            session_state={"headless": True},
            status="queued",
        )
        await repo.enqueue(record.id, "questions")
        await repo.enqueue(record.id, "preliminary")
        await Runner(repo, OfflineProvider, RunnerSettings()).run_until_idle()
    finally:
        await repo.close()
    with closing(sqlite3.connect(folder / "sample.db")) as conn:
        row = conn.execute(f"SELECT {', '.join(BIG_COLUMNS)} FROM starmap").fetchone()
    return dict(zip(BIG_COLUMNS, row, strict=True))


def _stage_answers() -> dict[str, dict[str, Any]]:
    return {
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
            "project_objectives": "Cut patient intake errors 30%",
            "project_constraints": "Staff spread over 12 clinics",
            "target_audience": "120 front-desk coordinators",
            "project_timeline": {"start": "2027-01-11", "end": "2027-06-30"},
            "project_budget_range": "$50,000 - $100,000",
            "available_hardware": ["Desktop computers"],
            "available_software": ["LMS"],
        },
    }


def make_row(rng: random.Random, n: int, texts: dict[str, str]) -> tuple[Any, ...]:
    """One realistic starmap row in the order of INSERT_COLUMNS."""
    status = rng.choices(list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values()))[0]
    now = datetime.now(UTC)
    created = now - timedelta(seconds=rng.uniform(3600, 2 * 365 * 86400))
    updated = min(now, created + timedelta(seconds=rng.uniform(1, 30 * 86400)))
    title = f"{rng.choice(TOPICS)} — {rng.choice(ORGS)} #{n}"
    big = _big_columns(status, texts)
    job = _job_fields(rng, status)
    done_at = (
        updated.isoformat(timespec="microseconds") if status == "completed" else None
    )
    stamps = (
        created.isoformat(timespec="microseconds"),
        updated.isoformat(timespec="microseconds"),
        updated.isoformat(timespec="microseconds"),
        done_at,
    )
    step = "report" if status == "completed" else "dynamic"
    head = (str(uuid.UUID(int=rng.getrandbits(128), version=4)), title, status)
    level = "Intermediate (some projects, want structure)"
    stages = '["experience", "stage1", "stage2", "stage3"]'
    return (*head, level, *big, stages, step, *job, *stamps)


def _big_columns(status: str, texts: dict[str, str]) -> tuple[str | None, ...]:
    keep = {"stage_answers"}
    if status != "draft":
        keep |= {"dynamic_questions", "preliminary_report", "preliminary_json"}
    if status == "completed":
        keep |= {"final_report", "final_json"}
    return tuple(texts[c] if c in keep else None for c in BIG_COLUMNS)


def _job_fields(rng: random.Random, status: str) -> tuple[Any, ...]:
    job_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    if status == "completed":
        return (job_id, "final", "succeeded", 100, "Done", None)
    if status == "failed":
        reason = "The API key was rejected by http://127.0.0.1:8000/v1 (401)."
        return (
            job_id,
            rng.choice(["questions", "final"]),
            "failed",
            40,
            "Failed",
            reason,
        )
    if status == "processing":
        return (job_id, "final", "running", rng.randrange(100), "Writing", None)
    if status == "queued":
        return (job_id, "questions", "queued", 0, "Waiting for a worker", None)
    if status == "cancelled":
        return (job_id, "final", "cancelled", 10, "Cancelled", None)
    return (None, None, None, 0, "", None)


def rows(count: int, texts: dict[str, str]) -> Iterator[tuple[Any, ...]]:
    """``count`` rows from a fixed seed."""
    rng = random.Random(20_261_204)
    for n in range(count):
        yield make_row(rng, n, texts)


async def create_schema(path: Path) -> None:
    """Let the Repository create and migrate an empty store."""
    repo = await Repository.open(path)
    await repo.close()


def build_store(path: Path, count: int, folder: Path) -> float:
    """Create the store with ``count`` starmaps; return the seconds it took."""
    started = time.perf_counter()
    texts = asyncio.run(sample_texts(folder))
    asyncio.run(create_schema(path))
    marks = ", ".join("?" for _ in INSERT_COLUMNS)
    sql = f"INSERT INTO starmap ({', '.join(INSERT_COLUMNS)}) VALUES ({marks})"
    with closing(sqlite3.connect(path)) as conn:
        with conn:
            conn.executemany(sql, rows(count, texts))
        conn.execute("ANALYZE")
    return time.perf_counter() - started


def stored_count(path: Path) -> int:
    """How many starmaps the store holds (0 when it does not exist)."""
    if not path.exists():
        return 0
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute("SELECT count(*) FROM starmap").fetchone()[0]


# -- measuring ------------------------------------------------------------------------


# A fork from this process would count its own ~60 MB toward the child's peak
# RSS (Linux carries the pre-exec high-water mark over), so a tiny launcher
# forks the command and reports the time and peak RSS of that child alone.
LAUNCHER = """
import os, sys, time
started = time.perf_counter()
pid = os.fork()
if pid == 0:
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    os.execv(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
elapsed = time.perf_counter() - started
cpu = usage.ru_utime + usage.ru_stime
code = os.waitstatus_to_exitcode(status)
sys.stderr.write(f"{elapsed} {cpu} {usage.ru_maxrss} {code}")
"""


def measure(command: list[str], env: dict[str, str]) -> tuple[float, float, int, int]:
    """Run once; return (wall s, CPU s, stdout lines, peak RSS in KiB)."""
    child = subprocess.Popen(
        [sys.executable, "-S", "-c", LAUNCHER, *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert child.stdout is not None and child.stderr is not None
    lines = 0
    while chunk := child.stdout.read(1 << 16):
        lines += chunk.count(b"\n")
    elapsed, cpu, rss, code = child.stderr.read().split()
    child.wait()
    if int(code):
        raise SystemExit(f"{command} exited with {code}")
    return float(elapsed), float(cpu), lines, int(rss)


def report(label: str, command: list[str], env: dict[str, str], runs: int) -> None:
    """Measure ``runs`` times and print medians of wall and CPU time, lines, RSS."""
    results = [measure(command, env) for _ in range(runs)]
    times = [r[0] for r in results]
    cpu = statistics.median(r[1] for r in results)
    print(
        f"{label:<32} median {statistics.median(times):.3f} s "
        f"(min {min(times):.3f}, max {max(times):.3f}; CPU {cpu:.3f} s); "
        f"lines {results[0][2]:,}; peak RSS {max(r[3] for r in results) / 1024:.1f} MB"
    )


def main() -> int:
    """Build or reuse the store, then time the commands."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--db", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = args.db or Path(folder) / "starmap.db"
        if stored_count(path) != args.rows:
            path.unlink(missing_ok=True)
            seconds = build_store(path, args.rows, Path(folder))
            print(f"built {args.rows:,} starmaps in {seconds:.1f} s")
        size = path.stat().st_size / 1e6
        print(f"store {path} ({size:,.0f} MB)")
        run_commands(path, args.runs)
    return 0


def run_commands(path: Path, runs: int) -> None:
    """Time the baseline and the list commands against ``path``."""
    env = {**os.environ, "STARMAP_HOME": str(path.parent / "home")}
    tool = str(Path(sys.executable).parent / "starmap-tui")
    db = ["--db", str(path)]
    report("python -c pass (baseline)", [sys.executable, "-c", "pass"], env, runs)
    report(
        "list --status completed",
        [tool, *db, "list", "--status", "completed"],
        env,
        runs,
    )
    report(
        "list --status completed --json",
        [tool, *db, "list", "--status", "completed", "--json"],
        env,
        runs,
    )
    report("list (all)", [tool, *db, "list"], env, runs)


if __name__ == "__main__":
    sys.exit(main())
