"""The job runner: claims report jobs, runs them, settles their starmaps.

Owned by the App (or by ``starmap-tui worker``), never by a screen. The
protocol is DESIGN.md §3: atomic claim with a lease, heartbeat, one job per
step, a finish that settles the starmap in the same transaction, retry with
jittered backoff, permanent failure with a reason, cancel, recovery of expired
leases, a crash-loop cap and a graceful quit. It knows nothing of Textual: the
UI hears about changes through ``on_event``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import re
import socket
import sqlite3
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from starmap_tui.storage.errors import StoreError, UnknownStarmap
from starmap_tui.storage.records import JobRecord, StarmapRecord, utcnow
from starmap_tui.storage.repository import Repository
from starmap_tui.worker.pipeline import (
    OutputUnusable,
    StepResult,
    build_request,
    run_step,
)
from starmap_tui.worker.providers.base import (
    Provider,
    ProviderError,
    TransientError,
)

log = logging.getLogger(__name__)

RETRY_AFTER_LIMIT = 3600.0
ERROR_TEXT_LIMIT = 400
SLOT_BACKOFF_SECONDS = 1.0


@dataclass(frozen=True)
class RunnerEvent:
    """Something happened to a job: claimed, progress, succeeded, failed, ..."""

    kind: str
    job_id: str
    starmap_id: str
    job_kind: str
    percent: int = 0
    phase: str = ""
    eta_seconds: float | None = None
    error: str | None = None


@dataclass(frozen=True)
class RunnerSettings:
    """How the runner behaves; the defaults suit people, tests shrink them."""

    concurrency: int = 2
    lease_seconds: float = 30.0
    heartbeat_seconds: float = 5.0
    poll_seconds: float = 1.0
    progress_interval: float = 0.25
    grace_seconds: float = 3.0
    backoff_base: float = 2.0
    backoff_cap: float = 300.0
    job_deadline: float = 900.0
    model: str = ""
    temperature: float = 0.4
    max_tokens: int = 8192
    # How long a finished step keeps trying to store its result through store
    # errors (a lock held by another process, a full disk) before giving the
    # job back to the queue.
    settle_patience: float = 120.0
    settle_backoff_cap: float = 10.0


def lease_host() -> str:
    """This process's host as lease owners name it: hostname plus PID namespace.

    Containers on one volume can share a hostname while their PIDs live in
    different namespaces, so a PID says nothing about a lease written from
    another namespace. Where the namespace cannot be read, the name is unique
    to this process, so no other lease is ever judged dead from here.
    """
    try:
        namespace = str(os.stat("/proc/self/ns/pid").st_ino)
    except OSError:
        namespace = f"unknown-{uuid.uuid4().hex[:8]}"
    return f"{socket.gethostname()}@pidns-{namespace}"


def make_owner() -> str:
    """A lease owner id naming this host, PID namespace and process."""
    return f"{lease_host()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def short_error(text: str, limit: int = ERROR_TEXT_LIMIT) -> str:
    """Error text cut to a readable length for the store and the screen."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


def is_store_hiccup(exc: BaseException) -> bool:
    """Whether an error came from the store itself (a lock, a full disk, I/O).

    Those pass; anything else raised while storing a result is about the
    result, and writing it again would fail the same way.
    """
    if isinstance(exc, UnknownStarmap):
        return False
    if isinstance(exc, (StoreError, sqlite3.Error, OSError)):
        return True
    if isinstance(getattr(exc, "orig", None), sqlite3.Error):
        return True
    return type(exc).__module__.split(".")[0] == "sqlalchemy"


def final_reason(message: str) -> str:
    """A transient error's text as a last word: without its promise to retry."""
    text = re.sub(r"[;,]?\s*will retry\b\.?", ".", message)
    return re.sub(r"\.\.+", ".", text)


def backoff_delay(
    attempt: int, base: float, cap: float, retry_after: float | None
) -> float:
    """Jittered exponential backoff that never undercuts Retry-After.

    A server's Retry-After is honoured up to an hour; past that it is more
    likely a quota problem than a wait, and the job shows the reason meanwhile.
    """
    ceiling = min(cap, base * (2 ** max(attempt - 1, 0)))
    delay = random.uniform(ceiling / 2, ceiling)
    if retry_after is not None:
        delay = max(delay, min(retry_after, RETRY_AFTER_LIMIT))
    return delay


class Runner:
    """Runs report jobs from the store with a few concurrent slots."""

    def __init__(
        self,
        repo: Repository,
        provider_factory: Callable[[], Provider],
        settings: RunnerSettings | None = None,
        *,
        on_event: Callable[[RunnerEvent], None] | None = None,
        owner: str | None = None,
        only_starmap: str | None = None,
    ) -> None:
        self.repo = repo
        self.settings = settings or RunnerSettings()
        self.owner = owner or make_owner()
        self._lease_host = self.owner.partition(":")[0]
        # ``new --run`` waits for one starmap: its runner must not take other
        # starmaps' jobs, which belong to the app or a ``worker``.
        self.only_starmap = only_starmap
        self._provider_factory = provider_factory
        self._provider: Provider | None = None
        self._on_event = on_event
        self._wake = asyncio.Event()
        self._stopping = False
        self._slots: list[asyncio.Task[None]] = []
        self._running: dict[str, asyncio.Task[None]] = {}
        self._shutdown_release: set[str] = set()

    @property
    def running_jobs(self) -> int:
        """How many jobs this runner is working on now."""
        return len(self._running)

    # -- lifecycle ------------------------------------------------------------

    async def start(self) -> None:
        """Recover what dead workers left and start the slots."""
        # Lease owners carry the PID namespace, so only leases written from
        # this host *and* namespace are judged by their PID; others run out.
        await self.repo.expire_dead_leases(self._lease_host, self.only_starmap)
        self._stopping = False
        self._slots = [
            asyncio.create_task(self._slot(), name=f"runner-slot-{n}")
            for n in range(max(1, self.settings.concurrency))
        ]
        log.info("runner %s started with %d slot(s)", self.owner, len(self._slots))

    async def stop(self, grace: float | None = None) -> None:
        """Let running jobs finish for a short grace, then give them back."""
        self._stopping = True
        self._wake.set()
        grace = self.settings.grace_seconds if grace is None else grace
        if self._running:
            await asyncio.wait(list(self._running.values()), timeout=grace)
        for job_id, task in list(self._running.items()):
            self._shutdown_release.add(job_id)
            task.cancel()
        await asyncio.gather(*self._slots, return_exceptions=True)
        self._slots = []
        if self._provider is not None:
            await self._provider.aclose()
            self._provider = None
        log.info("runner %s stopped", self.owner)

    def wake(self) -> None:
        """Look for work now (a job was just queued)."""
        self._wake.set()

    @property
    def busy(self) -> bool:
        """Whether any job is running in this process."""
        return bool(self._running)

    async def run_until_idle(self) -> None:
        """Run until no job is queued or running (``worker --once``)."""
        await self.start()
        try:
            # A job running here means there is work, so the store is asked
            # only between jobs; idle slots find due retries on their own.
            while self._running or await self.repo.has_runnable_jobs(self.only_starmap):
                await asyncio.sleep(self.settings.poll_seconds / 4)
        finally:
            await self.stop()

    async def cancel_starmap(self, starmap_id: str) -> list[str]:
        """Cancel a starmap's jobs, stopping any that run here at once."""
        job_ids = await self.repo.cancel(starmap_id)
        for job_id in job_ids:
            task = self._running.get(job_id)
            if task is not None:
                task.cancel()
        return job_ids

    # -- the slots -------------------------------------------------------------

    async def _slot(self) -> None:
        woken = True
        while not (self._stopping or _slot_cancelled()):
            # A slot outlives any error: one that ends leaves the worker
            # silent, claiming nothing, for as long as it runs.
            try:
                woken = await self._slot_turn(woken)
            except Exception:
                log.exception("runner slot hit an error; carrying on shortly")
                await asyncio.sleep(SLOT_BACKOFF_SECONDS * random.uniform(0.5, 1.5))
                woken = False

    async def _slot_turn(self, woken: bool) -> bool:
        """Claim and run one job, or wait; True if the next look should claim."""
        try:
            claimed = await self._claim(check_first=not woken)
        except Exception:
            log.exception("claim failed; trying again shortly")
            claimed = None
        if claimed is None:
            return await self._idle()
        await self._run_claimed(*claimed)
        return True

    async def _run_claimed(self, job: JobRecord, record: StarmapRecord) -> None:
        task = asyncio.create_task(self._execute(job, record), name=f"job-{job.id}")
        self._running[job.id] = task
        try:
            await task
        except asyncio.CancelledError:
            # The slot itself is being cancelled (the loop is closing):
            # stop. Otherwise it was the job task, cancelled before its
            # first step; its lease expires and it is recovered.
            if _slot_cancelled():
                raise
        finally:
            self._running.pop(job.id, None)

    async def _claim(
        self, *, check_first: bool
    ) -> tuple[JobRecord, StarmapRecord] | None:
        # An idle slot's periodic look (for another process's jobs, retries
        # falling due, expired leases) reads first, so an empty queue costs no
        # write lock; after a wake or a finished job it claims straight away.
        if check_first and not await self.repo.has_claimable(self.only_starmap):
            return None
        provider = self._get_provider()
        claimed = await self.repo.claim_with_starmap(
            self.owner,
            self.settings.lease_seconds,
            provider=provider.name,
            model=provider.model,
            starmap_id=self.only_starmap,
        )
        if claimed is not None:
            self.notify(claimed[0], "claimed", phase="Starting")
        return claimed

    async def _idle(self) -> bool:
        """Wait for a wake or the next poll; True if woken."""
        timeout = self.settings.poll_seconds
        due = await self.repo.next_due(self.only_starmap)
        if due is not None:
            timeout = min(timeout, max((due - utcnow()).total_seconds(), 0.01))
        woken = False
        with contextlib.suppress(TimeoutError):
            woken = await asyncio.wait_for(self._wake.wait(), timeout)
        self._wake.clear()
        return woken

    def _get_provider(self) -> Provider:
        if self._provider is None:
            self._provider = self._provider_factory()
        return self._provider

    # -- one job -----------------------------------------------------------------

    async def _execute(self, job: JobRecord, record: StarmapRecord) -> None:
        heartbeat = asyncio.create_task(self._heartbeat(job, asyncio.current_task()))
        try:
            await self._attempt(job, record)
        except asyncio.CancelledError:
            await self._after_cancel(job)
        except Exception:
            # Settling the job failed (the store is unusable): the job keeps
            # its lease, which runs out, and then it is claimed again.
            log.exception("could not settle job %s; its lease will run out", job.id)
        finally:
            heartbeat.cancel()

    async def _attempt(self, job: JobRecord, record: StarmapRecord) -> None:
        try:
            step = await self._generate(job, record)
        except TransientError as exc:
            await self._retry_or_fail(job, exc)
            return
        except ProviderError as exc:
            raw = exc.raw_output if isinstance(exc, OutputUnusable) else None
            await self._fail(job, exc.message, raw)
            return
        except Exception as exc:
            log.exception("job %s hit an unexpected error", job.id)
            await self._fail(job, f"Internal error: {exc!r}. See the log file.")
            return
        await self._finish(job, step)

    async def _finish(self, job: JobRecord, step: StepResult) -> None:
        """Store a finished step, riding out store errors; give it back if not.

        Generated output is never thrown away for a store hiccup: the write is
        tried again with backoff while the heartbeat keeps the lease, and if the
        store stays unusable the job goes back to the queue uncounted.
        """
        try:
            done = await self._with_store_retries(
                lambda: self.repo.complete_job(
                    job.id,
                    self.owner,
                    result=step.result,
                    markdown=step.markdown,
                    prompt=step.prompt,
                    raw_output=step.raw_output,
                ),
                f"store the result of job {job.id}",
            )
        except Exception as exc:
            if not is_store_hiccup(exc):
                # Not the store but the result itself: trying again cannot help.
                log.exception("job %s produced a result that cannot be stored", job.id)
                await self._fail(job, f"Internal error: {exc!r}. See the log file.")
                return
            log.warning("giving job %s back: its result could not be stored", job.id)
            released = await self._with_store_retries(
                lambda: self.repo.release_job(job.id, self.owner),
                f"give job {job.id} back",
            )
            if released:
                self.notify(job, "released", phase="Waiting for a worker")
            return
        if done:
            self.notify(job, "succeeded", percent=100, phase="Done")

    async def _with_store_retries(
        self, write: Callable[[], Awaitable[bool]], what: str
    ) -> bool:
        """Run a store write, retrying with backoff for ``settle_patience``."""
        deadline = time.monotonic() + self.settings.settle_patience
        delay = 0.1
        while True:
            try:
                return await write()
            except Exception as exc:
                if not is_store_hiccup(exc) or time.monotonic() + delay > deadline:
                    raise
                log.warning("could not %s (%r); trying again", what, exc)
            await asyncio.sleep(delay * random.uniform(0.5, 1.0))
            delay = min(delay * 2, self.settings.settle_backoff_cap)

    async def _generate(self, job: JobRecord, record: StarmapRecord) -> StepResult:
        settings = self.settings
        request = build_request(
            record,
            job.kind,
            model=settings.model,
            temperature=settings.temperature,
            max_tokens=settings.max_tokens,
            extra_context=str(job.params.get("extra_context", "")),
        )
        reporter = _ProgressWriter(self, job)
        try:
            async with asyncio.timeout(settings.job_deadline):
                provider = self._get_provider()
                step = await run_step(
                    provider,
                    record,
                    request,
                    reporter.report,
                    source=f"{provider.name}:{provider.model}",
                )
        except TimeoutError as exc:
            raise TransientError(
                f"The step took longer than {settings.job_deadline:.0f} s."
            ) from exc
        finally:
            await reporter.flush()
        return step

    async def _heartbeat(self, job: JobRecord, worker: asyncio.Task | None) -> None:
        while True:
            await asyncio.sleep(self.settings.heartbeat_seconds)
            try:
                mine = await self.repo.heartbeat(
                    job.id, self.owner, self.settings.lease_seconds
                )
            except Exception:
                log.exception("heartbeat for job %s failed", job.id)
                continue
            if not mine and worker is not None:
                log.info("job %s is no longer ours (cancelled or lost)", job.id)
                worker.cancel()
                return

    async def _after_cancel(self, job: JobRecord) -> None:
        if job.id in self._shutdown_release:
            self._shutdown_release.discard(job.id)
            await self.repo.release_job(job.id, self.owner)
            self.notify(job, "released", phase="Waiting for a worker")
        else:
            self.notify(job, "cancelled", phase="Cancelled")

    async def _retry_or_fail(self, job: JobRecord, exc: TransientError) -> None:
        if job.attempt >= job.max_attempts:
            reason = final_reason(exc.message)
            await self._fail(job, f"Gave up after {job.attempt} attempts: {reason}")
            return
        delay = backoff_delay(
            job.attempt,
            self.settings.backoff_base,
            self.settings.backoff_cap,
            exc.retry_after,
        )
        when = utcnow() + timedelta(seconds=delay)
        reason = short_error(f"{exc.message} Retrying in {delay:.0f} s.")
        if await self.repo.reschedule_job(job.id, self.owner, reason, when):
            self.notify(job, "retrying", phase="Waiting to retry", error=reason)

    async def _fail(self, job: JobRecord, reason: str, raw: str | None = None) -> None:
        reason = short_error(reason)
        if await self.repo.fail_job(job.id, self.owner, reason, raw_output=raw):
            self.notify(job, "failed", phase="Failed", error=reason)

    def notify(self, job: JobRecord, kind: str, **fields: object) -> None:
        """Tell the listener (the App, the CLI) what happened to a job."""
        if self._on_event is None:
            return
        try:
            self._on_event(
                RunnerEvent(kind, job.id, job.starmap_id, job.kind, **fields)
            )  # type: ignore[arg-type]
        except Exception:
            log.exception("runner event handler failed")


def _slot_cancelled() -> bool:
    """Whether the running task has been asked to cancel.

    A job task handles its own cancellation and returns normally, so the slot
    awaiting it is not woken with CancelledError; the request shows only here.
    """
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


class _ProgressWriter:
    """Throttles progress writes to a few a second and tells listeners."""

    def __init__(self, runner: Runner, job: JobRecord) -> None:
        self.runner = runner
        self.job = job
        # Counting from the start means a job shorter than the interval
        # writes no progress at all; its finish says everything.
        self.last_write = time.monotonic()
        self.pending: tuple[int, str, float | None] | None = None
        self.writing: asyncio.Task[None] | None = None

    def report(self, percent: int, phase: str, eta: float | None) -> None:
        """Called by the pipeline for every chunk; writes at most a few a second."""
        self.pending = (percent, phase, eta)
        now = time.monotonic()
        idle = self.writing is None or self.writing.done()
        if idle and now - self.last_write >= self.runner.settings.progress_interval:
            self.last_write = now
            self.writing = asyncio.create_task(self._write())

    async def _write(self) -> None:
        if self.pending is None:
            return
        percent, phase, eta = self.pending
        self.pending = None
        await self.runner.repo.record_progress(
            self.job.id, self.runner.owner, percent, phase, eta
        )
        self.runner.notify(
            self.job, "progress", percent=percent, phase=phase, eta_seconds=eta
        )

    async def flush(self) -> None:
        """Wait for the last write so it cannot land after the finish."""
        if self.writing is not None:
            with contextlib.suppress(Exception):
                await self.writing
