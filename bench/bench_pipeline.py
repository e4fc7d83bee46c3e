"""Benchmark: the whole offline pipeline for many starmaps through the runner.

Creates N headless starmaps the way ``starmap-tui new`` does (status queued,
the questions and preliminary steps enqueued; the runner adds the final step),
then times ``Runner.run_until_idle()`` with the offline provider, once per
concurrency, each on a fresh database. Every starmap must end completed.
Target: at least 50 starmaps/s on a 2-core machine.

Run: .venv/bin/python bench/bench_pipeline.py [--count N] [--concurrency 2 4]
     [--profile FILE]   (cProfile the run at the first concurrency; top 25)
Prints wall time and this process's CPU time (steadier when other work shares
the machine); it exits 1 if a starmap did not complete.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import sqlite3
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path

from starmap_tui.storage.repository import Repository
from starmap_tui.worker.providers.offline import OfflineProvider
from starmap_tui.worker.runner import Runner, RunnerSettings

STAGE_ANSWERS = {
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
INDUSTRIES = ["Healthcare", "Retail", "Finance", "Manufacturing", "Technology"]


async def create_headless(repo: Repository, count: int) -> None:
    """Queue ``count`` starmaps as ``new`` does, varying a few answers."""
    for n in range(count):
        stages = {k: dict(v) for k, v in STAGE_ANSWERS.items()}
        stages["stage2"]["org_industry"] = INDUSTRIES[n % len(INDUSTRIES)]
        stages["stage2"]["org_name"] = f"Org {n}"
        record = await repo.create_starmap(
            f"Starmap {n}",
            stage_answers=stages,
            dynamic_answers={},
            completed_stages=("experience", "stage1", "stage2", "stage3"),
            session_state={"headless": True},
            status="queued",
        )
        await repo.set_current_step(record.id, "dynamic")
        await repo.enqueue(record.id, "questions")
        await repo.enqueue(record.id, "preliminary")


def count_by_status(path: Path) -> dict[str, int]:
    """How many starmaps are in each status."""
    with closing(sqlite3.connect(path)) as conn:
        rows = conn.execute("SELECT status, count(*) FROM starmap GROUP BY status")
        return dict(rows.fetchall())


async def run_once(
    path: Path, count: int, concurrency: int, profile: Path | None
) -> tuple[float, float, float]:
    """Create the starmaps, run them all; return (create s, run s, run CPU s)."""
    repo = await Repository.open(path)
    try:
        started = time.perf_counter()
        await create_headless(repo, count)
        created = time.perf_counter() - started
        runner = Runner(repo, OfflineProvider, RunnerSettings(concurrency=concurrency))
        profiler = cProfile.Profile() if profile else None
        started = time.perf_counter()
        cpu_started = time.process_time()
        if profiler:
            profiler.enable()
        await runner.run_until_idle()
        if profiler:
            profiler.disable()
            profiler.dump_stats(profile)
        cpu = time.process_time() - cpu_started
        return created, time.perf_counter() - started, cpu
    finally:
        await repo.close()


def print_profile(profile: Path) -> None:
    """The 25 most expensive functions by cumulative and by own time."""
    stats = pstats.Stats(str(profile))
    stats.sort_stats("cumulative").print_stats(25)
    stats.sort_stats("tottime").print_stats(25)


def main() -> int:
    """Run the benchmark for each concurrency and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[2, 4])
    parser.add_argument("--profile", type=Path)
    args = parser.parse_args()
    ok = True
    for n, concurrency in enumerate(args.concurrency):
        profile = args.profile if n == 0 else None
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "bench.db"
            create_s, run_s, cpu_s = asyncio.run(
                run_once(path, args.count, concurrency, profile)
            )
            statuses = count_by_status(path)
        done = statuses.get("completed", 0)
        ok = ok and done == args.count
        print(
            f"concurrency {concurrency}: created {args.count} in {create_s:.2f} s; "
            f"ran {args.count * 3} jobs in {run_s:.2f} s = "
            f"{args.count / run_s:.1f} starmaps/s (CPU {cpu_s:.2f} s, "
            f"{1000 * cpu_s / args.count:.1f} ms a starmap); statuses {statuses}"
        )
        if profile:
            print_profile(profile)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
