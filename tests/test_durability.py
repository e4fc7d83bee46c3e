"""Whole processes: a worker killed with SIGKILL mid-stream, and two workers
racing over one database. These run the real ``starmap-tui worker`` command."""

from __future__ import annotations

import asyncio
import hashlib
import os
import signal
import sqlite3
import sys
from pathlib import Path

import pytest

from starmap_tui.storage.repository import Repository
from tests.fakellm import FakeLLM, Received, Reply
from tests.fakellm import fake_llm as fake_llm_fixture
from tests.helpers import sample_answers, wait_until
from tests.llm_scripts import model_answer, openai_reply

fake_llm = fake_llm_fixture

ALL_STAGES = ("experience", "stage1", "stage2", "stage3")


async def headless_starmap(repo: Repository, title: str) -> str:
    """A starmap queued as ``starmap-tui new`` leaves it."""
    record = await repo.create_starmap(
        title,
        stage_answers=sample_answers(),
        completed_stages=ALL_STAGES,
        session_state={"headless": True},
        status="queued",
    )
    await repo.enqueue(record.id, "questions")
    await repo.enqueue(record.id, "preliminary")
    return record.id


async def start_worker(db: Path, *args: str, env: dict[str, str] | None = None):
    """Start ``starmap-tui worker`` as its own process."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "starmap_tui",
        "--db",
        str(db),
        *args,
        env={**os.environ, **(env or {})},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


def step_of(request: Received) -> str:
    """Which generation step a request is for, read from its prompt."""
    prompt = request.body["messages"][-1]["content"]
    if "follow-up questions" in prompt:
        return "questions"
    return "preliminary" if "preliminary report" in prompt else "final"


async def test_a_worker_killed_mid_stream_is_finished_by_the_next_one(
    repo: Repository, db_path: Path, fake_llm: FakeLLM
):
    starmap_id = await headless_starmap(repo, "Killed mid-stream")
    record = await repo.get_starmap(starmap_id)
    questions = await model_answer(record, "questions")
    report = await model_answer(record, "preliminary")
    slow_final = {"n": 0}

    def respond(request: Received) -> Reply:
        step = step_of(request)
        if step == "questions":
            return openai_reply(questions)
        if step == "final" and slow_final["n"] == 0:
            slow_final["n"] += 1
            return openai_reply(report, piece=60, pause=0.05)
        return openai_reply(report)

    fake_llm.responder = respond
    llm = [
        "--provider",
        "openai",
        "--base-url",
        f"{fake_llm.url}/v1",
        "--model",
        "fake-model",
    ]
    key = {"STARMAP_API_KEY": "sk-test"}
    first = await start_worker(db_path, *llm, "worker", env=key)

    async def final_streaming() -> bool:
        job = [j for j in await repo.jobs_for(starmap_id) if j.kind == "final"]
        return bool(job) and job[0].status == "running" and job[0].percent > 5

    await wait_until(final_streaming, timeout=30, message="the final step to stream")
    first.kill()
    await first.wait()
    second = await start_worker(db_path, *llm, "worker", "--once", env=key)
    _, errors = await asyncio.wait_for(second.communicate(), 60)

    stored = await repo.get_starmap(starmap_id)
    steps = [step_of(r) for r in fake_llm.requests]
    jobs = {j.kind: j for j in await repo.jobs_for(starmap_id)}
    finals = await repo.revisions(starmap_id, "final")
    assert second.returncode == 0, errors.decode()
    assert stored.status == "completed"
    assert steps.count("questions") == 1
    assert steps.count("preliminary") == 1
    assert steps.count("final") == 2
    assert jobs["final"].crash_count == 1
    assert len(finals) == 1
    assert stored.final_report.startswith("# Killed mid-stream")


async def test_two_workers_racing_run_each_job_once(
    repo: Repository, db_path: Path, starmap_home: Path
):
    ids = [await headless_starmap(repo, f"Race {n:02d}") for n in range(50)]
    workers = [
        await start_worker(db_path, "worker", "--once", "--concurrency", "2")
        for _ in range(2)
    ]
    outputs = await asyncio.wait_for(
        asyncio.gather(*(w.communicate() for w in workers)), 120
    )

    jobs = [j for starmap_id in ids for j in await repo.jobs_for(starmap_id)]
    owners = {j.lease_owner.split(":")[1] for j in jobs}
    stderr = b"".join(err for _, err in outputs).decode()
    log = (starmap_home / "log" / "starmap-tui.log").read_text()
    assert [w.returncode for w in workers] == [0, 0], stderr
    assert len(jobs) == 150
    assert all(j.status == "succeeded" and j.attempt == 1 for j in jobs)
    for starmap_id in ids:
        record = await repo.get_starmap(starmap_id)
        assert record.status == "completed"
        assert len(await repo.revisions(starmap_id, "final")) == 1
    assert "locked" not in stderr.lower() + log.lower()
    assert owners <= {str(w.pid) for w in workers}


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=["TERM", "HUP"])
async def test_sigterm_stops_a_worker_gracefully(
    repo: Repository, db_path: Path, fake_llm: FakeLLM, sig: signal.Signals
):
    starmap_id = await headless_starmap(repo, "Stopped")
    fake_llm.responder = lambda request: Reply(
        chunks=[b": keep-alive\n\n"], end="stall"
    )
    worker = await start_worker(
        db_path,
        "--provider",
        "openai",
        "--base-url",
        f"{fake_llm.url}/v1",
        "worker",
        env={"STARMAP_API_KEY": "sk-test"},
    )
    await wait_until(
        lambda: len(fake_llm.requests) >= 1, timeout=30, message="a request"
    )

    worker.send_signal(sig)
    await asyncio.wait_for(worker.wait(), 30)

    jobs = await repo.jobs_for(starmap_id)
    assert worker.returncode == 0
    assert all(j.status == "queued" for j in jobs)
    assert all(j.attempt == 0 for j in jobs)


async def run_cli_fully(db_path: Path, *args: str) -> tuple[int, str, str]:
    """Run the real command; return its exit code, stdout and stderr."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "starmap_tui",
        "--db",
        str(db_path),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    return process.returncode, out.decode(), err.decode()


async def run_cli(db_path: Path, *args: str) -> str:
    """Run the real command against the store; return its stdout."""
    _, out, _ = await run_cli_fully(db_path, *args)
    return out


async def test_the_apps_writes_stay_visible_after_another_process_reads(
    repo: Repository, db_path: Path
):
    """Another process opening and closing the store (``show``) once made
    SQLite reset the WAL under the running app, hiding every later write."""
    from starmap_tui.app import StarmapApp
    from starmap_tui.config import Settings

    starmap = await repo.create_starmap("Before")
    await repo.close()
    app = StarmapApp(Settings(), db_path)
    async with app.run_test() as pilot:
        store = await app.store()
        await pilot.pause()
        await run_cli(db_path, "show", starmap.id[:8])
        await store.rename(starmap.id, "Renamed while the app runs")
        await store.stats()
        listed = await run_cli(db_path, "list")
        await app.action_quit()
    assert "Renamed while the app runs" in listed


async def test_show_and_exports_never_pass_terminal_escapes(
    repo: Repository, db_path: Path, tmp_path: Path
):
    hostile = "Title \x1b]0;pwned\x07 \x1b[2J end\x00"
    record = await repo.create_starmap(hostile, stage_answers=sample_answers())
    await repo.enqueue(record.id, "final")
    job = await repo.claim("w", 30, provider="p", model="m")
    body = f"# {hostile}\n\nText with \x1b[31mred\x1b[0m and a bell\x07.\n"
    await repo.complete_job(job.id, "w", result={"summary": {}}, markdown=body)

    shown = await run_cli(db_path, "show", record.id[:8])
    exported = await run_cli(db_path, "export", record.id[:8], "--format", "html")
    await run_cli(db_path, "export", record.id[:8], "-o", str(tmp_path / "r.md"))
    written = (tmp_path / "r.md").read_text()

    for text in (shown, exported, written):
        assert "\x1b" not in text and "\x07" not in text and "\x00" not in text
    assert "red and a bell" in shown.replace("[31m", "").replace("[0m", "")


async def test_text_that_is_not_utf8_reads_with_replacement_characters(
    repo: Repository, db_path: Path
):
    record = await repo.create_starmap("Fine", stage_answers=sample_answers())
    await repo.enqueue(record.id, "final")
    job = await repo.claim("w", 30, provider="p", model="m")
    await repo.complete_job(job.id, "w", result={"summary": {}}, markdown="# Ok\n")
    await repo.create_starmap("After the bad row", stage_answers=sample_answers())
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute(
            "UPDATE starmap SET title = CAST(X'4261640AFF' AS TEXT), "
            "final_report = CAST(X'23204F6B0A4261FF64' AS TEXT) WHERE id = ?",
            (record.id,),
        )
    conn.close()

    stored = await repo.get_starmap(record.id)
    assert (stored.title, stored.final_report) == ("Bad\n\ufffd", "# Ok\nBa\ufffdd")
    assert len(await repo.list_starmaps()) == 2
    await repo.close()
    expected = {
        ("list",): ("Bad", "After the bad row"),
        ("show", record.id[:8]): ("Ba\ufffdd",),
        ("export", record.id[:8]): ("Ba\ufffdd",),
    }
    for args, shown in expected.items():
        code, out, err = await run_cli_fully(db_path, *args)
        assert (code, err) == (0, "")
        assert all(text in out for text in shown), out


def folder_state(folder: Path) -> dict[str, str]:
    """Every file in ``folder`` with its content hash."""
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
    }


def foreign_database(path: Path) -> None:
    """Another program's SQLite file: a table of its own, user_version 0."""
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        conn.execute("INSERT INTO notes (body) VALUES ('mine')")
    conn.close()


async def test_another_programs_database_is_refused_and_left_alone(tmp_path: Path):
    from starmap_tui.storage.errors import StoreForeign

    folder = tmp_path / "theirs"
    folder.mkdir()
    db = folder / "notes.db"
    foreign_database(db)
    before = folder_state(folder)

    for args in (["list"], ["list", "--json"], ["show", "abc"]):
        code, _, err = await run_cli_fully(db, *args)
        assert code != 0
        assert "another program" in err and "Traceback" not in err
        assert folder_state(folder) == before
    with pytest.raises(StoreForeign):
        await Repository.open(db)
    assert folder_state(folder) == before
