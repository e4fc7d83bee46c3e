"""The job runner against a real HTTP server on 127.0.0.1 speaking OpenAI's
wire format: retries, backoff, permanent failures, cancel, quit, recovery."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import replace
from datetime import timedelta

import pytest

from starmap_tui.storage import database
from starmap_tui.storage.records import StarmapRecord, utcnow
from starmap_tui.storage.repository import Repository
from starmap_tui.worker.providers.registry import make_provider
from starmap_tui.worker.runner import (
    Runner,
    RunnerEvent,
    RunnerSettings,
    backoff_delay,
    lease_host,
    make_owner,
)
from tests.fakellm import FakeLLM, Pause, Reply
from tests.fakellm import fake_llm as fake_llm_fixture
from tests.helpers import sample_answers, wait_until
from tests.llm_scripts import error_reply, llm_settings, model_answer, openai_reply

fake_llm = fake_llm_fixture

FAST = RunnerSettings(
    concurrency=1,
    poll_seconds=0.05,
    heartbeat_seconds=0.1,
    lease_seconds=5,
    backoff_base=0.05,
    backoff_cap=0.2,
    grace_seconds=0.2,
    max_tokens=1000,
)


async def draft(repo: Repository, title: str = "Runner") -> StarmapRecord:
    """A starmap with all three static stages complete."""
    stages = sample_answers()
    return await repo.create_starmap(
        title, stage_answers=stages, completed_stages=tuple(stages)
    )


@pytest.fixture
async def runner_for(repo: Repository, fake_llm: FakeLLM) -> AsyncIterator:
    """Build runners on the fake server; all are stopped after the test."""
    made: list[Runner] = []

    def build(settings: RunnerSettings = FAST, **overrides: object) -> Runner:
        config = llm_settings(fake_llm, **overrides)
        runner = Runner(repo, lambda: make_provider(config), settings)
        made.append(runner)
        return runner

    yield build
    for runner in made:
        await runner.stop(grace=0)


async def job_of(repo: Repository, starmap_id: str, kind: str = "questions"):
    """The latest job of a kind."""
    jobs = [j for j in await repo.jobs_for(starmap_id) if j.kind == kind]
    return jobs[-1]


async def settled(repo: Repository, starmap_id: str, kind: str = "questions"):
    """Wait until the latest job of ``kind`` has finished one way or another."""

    async def done() -> bool:
        job = await job_of(repo, starmap_id, kind)
        return job.status in ("succeeded", "failed", "cancelled")

    await wait_until(done, message=f"the {kind} job to settle")
    return await job_of(repo, starmap_id, kind)


async def test_a_server_error_is_retried_then_succeeds(repo, fake_llm, runner_for):
    record = await draft(repo)
    fake_llm.script(
        error_reply(503, "busy"), openai_reply(await model_answer(record, "questions"))
    )
    await repo.enqueue(record.id, "questions")
    await runner_for().start()

    job = await settled(repo, record.id)
    stored = await repo.get_starmap(record.id)

    assert job.status == "succeeded"
    assert job.attempt == 2
    assert len(fake_llm.requests) == 2
    assert len(stored.dynamic_questions["questions"]) >= 6
    assert stored.status == "draft"


async def test_retry_after_is_honoured(repo, fake_llm, runner_for):
    record = await draft(repo)
    fake_llm.script(error_reply(429, "slow down", **{"Retry-After": "1"}))
    await repo.enqueue(record.id, "questions")
    before = utcnow()
    runner = runner_for()
    await runner.start()

    async def rescheduled() -> bool:
        job = await job_of(repo, record.id)
        return job.status == "queued" and job.not_before is not None

    await wait_until(rescheduled, message="the job to be rescheduled")
    job = await job_of(repo, record.id)
    assert job.not_before - before >= timedelta(seconds=1)
    assert "Retrying" in job.error


async def test_a_rejected_key_fails_at_once_with_a_reason(repo, fake_llm, runner_for):
    record = await draft(repo)
    fake_llm.script(error_reply(401, "Incorrect API key provided: sk-test-secret"))
    await repo.enqueue(record.id, "questions")
    await runner_for().start()

    job = await settled(repo, record.id)
    stored = await repo.get_starmap(record.id)

    assert job.status == "failed"
    assert job.attempt == 1
    assert len(fake_llm.requests) == 1
    assert "key" in job.error.lower()
    assert "sk-test-secret" not in job.error
    assert stored.status == "failed"
    assert stored.report_job_error == job.error


async def test_giving_up_after_max_attempts(repo, fake_llm, runner_for):
    record = await draft(repo)
    fake_llm.script(error_reply(502, "bad gateway"), error_reply(500, "oops"))
    await repo.enqueue(record.id, "questions", max_attempts=2)
    await runner_for().start()

    job = await settled(repo, record.id)

    assert job.status == "failed"
    assert job.error.startswith("Gave up after 2 attempts")
    assert len(fake_llm.requests) == 2


async def test_output_cut_off_is_asked_again_with_room(repo, fake_llm, runner_for):
    record = await draft(repo)
    answer = await model_answer(record, "questions")
    fake_llm.script(
        Reply(
            chunks=openai_reply(answer[:300]).chunks[:-1]
            + openai_reply("", finish="length").chunks
        ),
        openai_reply(answer),
    )
    await repo.enqueue(record.id, "questions")
    await runner_for().start()

    job = await settled(repo, record.id)

    assert job.status == "succeeded"
    budgets = [r.body["max_tokens"] for r in fake_llm.requests]
    assert budgets == [1000, 2000]


async def test_unusable_output_is_repaired_with_a_hint(repo, fake_llm, runner_for):
    record = await draft(repo)
    answer = await model_answer(record, "questions")
    fake_llm.script(
        openai_reply("Sure! Here are some thoughts, but no JSON at all."),
        openai_reply(f"<think>plan {{ braces }}</think>```json\n{answer}\n```"),
    )
    await repo.enqueue(record.id, "questions")
    await runner_for().start()

    job = await settled(repo, record.id)

    assert job.status == "succeeded"
    assert job.attempt == 1
    second_prompt = fake_llm.requests[1].body["messages"][-1]["content"]
    assert "could not be used" in second_prompt


async def test_garbage_every_time_fails_with_a_reason(repo, fake_llm, runner_for):
    record = await draft(repo)
    fake_llm.script(*[openai_reply('{"questions": [{"label": "x"}]}')] * 3)
    await repo.enqueue(record.id, "questions")
    await runner_for().start()

    job = await settled(repo, record.id)
    stored = await repo.get_starmap(record.id)

    assert job.status == "failed"
    assert "could not be used after 3 tries" in job.error
    assert stored.status == "failed"


async def test_cancel_closes_the_stream_and_is_never_resumed(
    repo, fake_llm, runner_for
):
    record = await draft(repo)
    fake_llm.script(Reply(chunks=openai_reply("{").chunks[:1], end="stall"))
    await repo.enqueue(record.id, "questions")
    runner = runner_for()
    await runner.start()
    await wait_until(lambda: len(fake_llm.requests) == 1, message="the request")

    cancelled = await runner.cancel_starmap(record.id)
    await wait_until(
        fake_llm.requests[0].client_gone.is_set,
        timeout=2,
        message="the stream to be closed",
    )
    job = await settled(repo, record.id)

    assert cancelled == [job.id]
    assert job.status == "cancelled"
    assert (await repo.get_starmap(record.id)).status in ("draft", "cancelled")
    assert await repo.claim("someone-else", 5, provider="x", model="y") is None


async def test_quitting_gives_a_running_job_back_without_counting_it(
    repo, fake_llm, runner_for
):
    record = await draft(repo)
    fake_llm.script(Reply(chunks=[Pause(0.05)], end="stall"))
    await repo.enqueue(record.id, "questions")
    runner = runner_for()
    await runner.start()
    await wait_until(lambda: len(fake_llm.requests) == 1, message="the request")

    await runner.stop(grace=0.1)
    job = await job_of(repo, record.id)

    assert job.status == "queued"
    assert job.attempt == 0
    assert job.lease_owner is None


async def test_a_job_that_keeps_killing_its_worker_is_parked(repo: Repository):
    record = await draft(repo)
    await repo.enqueue(record.id, "questions")
    # Each claim with an already expired lease stands for a worker that died.
    for n in range(3):
        assert await repo.claim(f"dead-{n}", -1, provider="p", model="m")

    assert await repo.claim("next", 5, provider="p", model="m") is None
    job = await job_of(repo, record.id)
    stored = await repo.get_starmap(record.id)
    assert job.status == "failed"
    assert "stopped its worker" in job.error
    assert stored.status == "failed"


async def test_a_dead_workers_job_is_taken_over_at_once(repo, fake_llm, runner_for):
    record = await draft(repo)
    fake_llm.script(openai_reply(await model_answer(record, "questions")))
    await repo.enqueue(record.id, "questions")
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    owner = f"{lease_host()}:{gone.pid}:dead"
    assert await repo.claim(owner, 600, provider="p", model="m")

    await runner_for().start()
    job = await settled(repo, record.id)

    assert job.status == "succeeded"
    assert job.crash_count == 1
    assert "recovered" in [a.event for a in await repo.activity(record.id)]


async def test_the_heartbeat_keeps_a_slow_job_to_one_worker(repo, fake_llm, runner_for):
    record = await draft(repo)
    answer = await model_answer(record, "questions")
    fake_llm.script(openai_reply(answer, piece=200, pause=0.08))
    await repo.enqueue(record.id, "questions")
    short_lease = RunnerSettings(
        concurrency=1,
        poll_seconds=0.05,
        heartbeat_seconds=0.1,
        lease_seconds=0.5,
    )
    first, second = runner_for(short_lease), runner_for(short_lease)
    await first.start()
    await wait_until(lambda: len(fake_llm.requests) == 1, message="the request")
    await second.start()

    job = await settled(repo, record.id)

    assert job.status == "succeeded"
    assert len(fake_llm.requests) == 1
    assert job.attempt == 1


def test_backoff_grows_with_jitter_and_respects_retry_after():
    delays = [backoff_delay(n, 2.0, 300.0, None) for n in range(1, 8)]
    assert all(
        2.0 * 2 ** (n - 1) / 2 <= d <= 2.0 * 2 ** (n - 1)
        for n, d in enumerate(delays, start=1)
    )
    assert backoff_delay(1, 2.0, 300.0, 30.0) >= 30.0
    assert backoff_delay(20, 2.0, 300.0, None) <= 300.0


async def test_a_cancelled_slot_stops_instead_of_looping(repo, fake_llm, runner_for):
    record = await draft(repo)
    fake_llm.script(Reply(chunks=[Pause(0.05)], end="stall"))
    await repo.enqueue(record.id, "questions")
    runner = runner_for()
    await runner.start()
    await wait_until(lambda: len(fake_llm.requests) == 1, message="the request")

    # What the event loop does to leftover tasks when it closes.
    for slot in runner._slots:
        slot.cancel()
    _, pending = await asyncio.wait(runner._slots, timeout=5)

    assert not pending


# -- store trouble, lease owners, final reasons --------------------------------


@pytest.fixture
async def impatient_repo(db_path, monkeypatch) -> AsyncIterator[Repository]:
    """A repository that gives up waiting for a lock after 0.2 s, not 20 s."""
    monkeypatch.setattr(database, "BUSY_TIMEOUT_MS", 200)
    repository = await Repository.open(db_path)
    try:
        yield repository
    finally:
        await repository.close()


@contextlib.contextmanager
def lock_held(path) -> Iterator[None]:
    """Another process's writer: a second connection holding BEGIN IMMEDIATE."""
    conn = sqlite3.connect(path, timeout=10, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        yield
        conn.execute("ROLLBACK")
    finally:
        conn.close()


def runner_on(
    repo: Repository,
    fake_llm: FakeLLM,
    settings: RunnerSettings,
    on_event: Callable[[RunnerEvent], None] | None = None,
) -> Runner:
    """A runner on the fake server."""
    config = llm_settings(fake_llm)
    return Runner(repo, lambda: make_provider(config), settings, on_event=on_event)


async def hold_lock_over_the_finish(
    repo: Repository, fake_llm: FakeLLM, db_path, seconds: float
) -> None:
    """Take the write lock while the answer streams and keep it past its end.

    The answer ends 0.5 s after the request (its first chunk waits that
    long), so the lock is held ``seconds`` after the step finishes.
    """
    await wait_until(lambda: len(fake_llm.requests) >= 1, message="the request")
    with lock_held(db_path):
        await asyncio.sleep(0.5 + seconds)


async def test_a_lock_at_the_finish_keeps_the_generated_result(
    impatient_repo, db_path, fake_llm
):
    repo = impatient_repo
    record = await draft(repo)
    answer = await model_answer(record, "questions")
    fake_llm.script(Reply(chunks=[Pause(0.5), *openai_reply(answer).chunks]))
    await repo.enqueue(record.id, "questions")
    settings = replace(FAST, settle_patience=10.0, settle_backoff_cap=0.2)
    runner = runner_on(repo, fake_llm, settings)
    await runner.start()
    try:
        await hold_lock_over_the_finish(repo, fake_llm, db_path, 1.0)
        job = await settled(repo, record.id)
    finally:
        await runner.stop(grace=0)

    assert job.status == "succeeded", job.error
    assert job.attempt == 1
    assert len(fake_llm.requests) == 1
    assert (await repo.get_starmap(record.id)).dynamic_questions


async def test_a_store_down_past_patience_gives_the_job_back_uncounted(
    impatient_repo, db_path, fake_llm
):
    repo = impatient_repo
    record = await draft(repo)
    answer = await model_answer(record, "questions")
    fake_llm.script(
        Reply(chunks=[Pause(0.5), *openai_reply(answer).chunks]), openai_reply(answer)
    )
    await repo.enqueue(record.id, "questions")
    settings = replace(FAST, settle_patience=1.5, settle_backoff_cap=0.1)
    events: list[str] = []
    runner = runner_on(repo, fake_llm, settings, lambda e: events.append(e.kind))
    await runner.start()
    try:
        # Longer than the patience, shorter than patience for the release.
        await hold_lock_over_the_finish(repo, fake_llm, db_path, 2.2)
        job = await settled(repo, record.id)
    finally:
        await runner.stop(grace=0)

    assert job.status == "succeeded", job.error
    assert "failed" not in events
    assert "released" in events
    assert job.attempt == 1
    assert len(fake_llm.requests) == 2


async def test_a_slot_survives_a_store_that_fails_every_settling_write(
    impatient_repo, db_path, fake_llm
):
    repo = impatient_repo
    record = await draft(repo)
    answer = await model_answer(record, "questions")
    fake_llm.script(
        Reply(chunks=[Pause(0.5), *openai_reply(answer).chunks]), openai_reply(answer)
    )
    await repo.enqueue(record.id, "questions")
    settings = replace(
        FAST, lease_seconds=1.0, settle_patience=0.3, settle_backoff_cap=0.1
    )
    runner = runner_on(repo, fake_llm, settings)
    await runner.start()
    try:
        # Storing, failing and giving back all fail: the lease must run out
        # and the same (single) slot must take the job again.
        await hold_lock_over_the_finish(repo, fake_llm, db_path, 1.5)
        job = await settled(repo, record.id)
    finally:
        await runner.stop(grace=0)

    assert job.status == "succeeded", job.error
    assert len(fake_llm.requests) == 2
    assert all(not slot.done() for slot in runner._slots) or not runner._slots


async def test_a_lease_from_another_pid_namespace_is_left_to_expire(
    repo, fake_llm, runner_for
):
    record = await draft(repo)
    await repo.enqueue(record.id, "questions")
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    # Same hostname, a PID that is dead here, but written from another
    # container's PID namespace: that process may well be alive there.
    other = f"{socket.gethostname()}@pidns-1:{gone.pid}:other-container"
    plain = f"{socket.gethostname()}:{gone.pid}:other-container"
    for owner in (other, plain):
        assert await repo.claim(owner, 600, provider="p", model="m")
        await runner_for().start()
        await asyncio.sleep(0.3)

        job = await job_of(repo, record.id)
        assert job.status == "running"
        assert job.lease_owner == owner
        assert fake_llm.requests == []
        await repo.release_job(job.id, owner)


def test_a_lease_owner_names_the_pid_namespace():
    namespace = os.stat("/proc/self/ns/pid").st_ino
    assert make_owner().startswith(f"{socket.gethostname()}@pidns-{namespace}:")
    assert lease_host() == f"{socket.gethostname()}@pidns-{namespace}"


async def test_giving_up_does_not_promise_another_try(repo, fake_llm, runner_for):
    record = await draft(repo)
    fake_llm.script(error_reply(503, "busy"), error_reply(503, "busy"))
    await repo.enqueue(record.id, "questions", max_attempts=2)
    await runner_for().start()

    job = await settled(repo, record.id)

    assert job.status == "failed"
    assert job.error.startswith("Gave up after 2 attempts")
    assert "will retry" not in job.error.lower()
    assert "retrying" not in job.error.lower()


@pytest.mark.parametrize(
    "bad",
    [
        "lone-surrogate",
        "[" * 100_000 + "]" * 100_000,
        '{"questions": ' + "9" * 5000 + "}",
    ],
    ids=["lone-surrogate", "deep-nesting", "huge-number"],
)
async def test_unusable_json_is_repaired_not_an_internal_error(
    bad, repo, fake_llm, runner_for
):
    record = await draft(repo)
    answer = await model_answer(record, "questions")
    if bad == "lone-surrogate":
        # A complete, valid answer but for one broken escape in a label.
        bad = answer.replace('"label": "', '"label": "\\ud800', 1)
        assert bad != answer
    fake_llm.script(openai_reply(bad), openai_reply(answer))
    await repo.enqueue(record.id, "questions")
    await runner_for().start()

    job = await settled(repo, record.id)

    assert job.status == "succeeded", job.error
    assert len(fake_llm.requests) == 2
    second_prompt = fake_llm.requests[1].body["messages"][-1]["content"]
    assert "could not be used" in second_prompt


async def test_unusable_json_every_time_fails_with_a_short_reason(
    repo, fake_llm, runner_for
):
    record = await draft(repo)
    fake_llm.script(*[openai_reply('{"questions": ' + "9" * 5000 + "}")] * 3)
    await repo.enqueue(record.id, "questions")
    await runner_for().start()

    job = await settled(repo, record.id)

    assert job.status == "failed"
    assert "Internal error" not in job.error
    assert "digits" in job.error
    assert len(job.error) <= 400


async def test_a_small_object_in_prose_before_the_report_does_not_win(
    repo, fake_llm, runner_for
):
    record = await draft(repo)
    answer = await model_answer(record, "preliminary")
    fake_llm.script(
        openai_reply(f'Note: I kept "confidence" at {{"value": 0.4}}.\n\n{answer}')
    )
    await repo.enqueue(record.id, "preliminary")
    await runner_for().start()

    job = await settled(repo, record.id, "preliminary")

    assert job.status == "succeeded", job.error
    assert len(fake_llm.requests) == 1
    assert (await repo.get_starmap(record.id)).preliminary_report


async def test_an_endless_answer_is_refused_as_too_large(repo, fake_llm, runner_for):
    record = await draft(repo)
    piece = '{"questions": "' + "x" * 100_000
    fake_llm.script(Reply(chunks=openai_reply(piece * 25, piece=100_000).chunks))
    await repo.enqueue(record.id, "questions")
    await runner_for().start()

    job = await settled(repo, record.id)

    assert job.status == "failed"
    assert "too large" in job.error
    assert len(fake_llm.requests) == 1


async def test_a_report_far_outside_timeline_and_budget_is_sent_back(
    repo, fake_llm, runner_for
):
    record = await draft(repo)
    answer = await model_answer(record, "preliminary")
    absurd = json.loads(answer)
    absurd["delivery_plan"]["phases"][0]["duration_weeks"] = 300
    absurd["budget"]["items"][0]["high"] = 5_000_000
    fake_llm.script(openai_reply(json.dumps(absurd)), openai_reply(answer))
    await repo.enqueue(record.id, "preliminary")
    await runner_for().start()

    job = await settled(repo, record.id, "preliminary")

    assert job.status == "succeeded", job.error
    assert len(fake_llm.requests) == 2
    repair = fake_llm.requests[1].body["messages"][-1]["content"]
    assert "project timeline (2027-01-11 to 2027-06-30)" in repair
    assert "budget range is $50,000 - $100,000" in repair
