"""The one door to the database: every read and write of starmaps and jobs.

Callers get plain records (``records.py``), never rows or sessions. Every
write is one short ``BEGIN IMMEDIATE`` transaction; nothing here awaits
anything but the database, so no transaction spans an HTTP call.
"""

from __future__ import annotations

import functools
import logging
import os
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Update,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from starmap_tui.questionnaire.stages import stage_by_id
from starmap_tui.questionnaire.validation import stage_complete
from starmap_tui.report.markdown import title_heading
from starmap_tui.storage import listing
from starmap_tui.storage.convert import (
    dump_json,
    job_from_row,
    load_json,
    stamp,
    starmap_from_row,
)
from starmap_tui.storage.database import Database
from starmap_tui.storage.errors import UnknownStarmap
from starmap_tui.storage.records import (
    ACTIVE_JOB_STATUSES,
    DEEP_DIVE_STEPS,
    STAGE_IDS,
    Activity,
    JobRecord,
    Revision,
    StarmapRecord,
    StarmapRow,
    Stats,
    utcnow,
)
from starmap_tui.storage.tables import (
    ActivityTable,
    ReportJobTable,
    ReportRevisionTable,
    StarmapTable,
)

log = logging.getLogger(__name__)

S = StarmapTable.__table__.c
J = ReportJobTable.__table__.c
R = ReportRevisionTable.__table__.c
A = ActivityTable.__table__.c

DEFAULT_MAX_ATTEMPTS = 5
CRASH_LIMIT = 3

# -- statements run for every job, built once (see Database.run) --------------

_RUNNABLE = or_(
    and_(
        J.status == "queued",
        or_(J.not_before.is_(None), J.not_before <= bindparam("now")),
    ),
    and_(J.status == "running", J.lease_expires_at < bindparam("now")),
)
# A runner that serves one starmap (``new --run``) claims only its jobs.
_RUNNABLE_FOR_STARMAP = and_(J.starmap_id == bindparam("starmap_id"), _RUNNABLE)
CLAIMABLE = select(J.id).where(_RUNNABLE).limit(1)
CLAIMABLE_FOR_STARMAP = select(J.id).where(_RUNNABLE_FOR_STARMAP).limit(1)


def _claim_statement(runnable: Any) -> Update:
    """The atomic claim: lease the oldest job matching ``runnable``."""
    return (
        update(ReportJobTable)
        .where(
            J.id
            == select(J.id)
            .where(runnable)
            .order_by(J.created_at)
            .limit(1)
            .scalar_subquery()
        )
        .values(
            crash_count=J.crash_count
            + (J.status == "running").cast(J.crash_count.type),
            status="running",
            lease_owner=bindparam("owner"),
            lease_expires_at=bindparam("expires"),
            attempt=J.attempt + 1,
            provider=bindparam("provider"),
            model=bindparam("model"),
            started_at=func.coalesce(J.started_at, bindparam("now")),
            updated_at=bindparam("now"),
            phase="Starting",
            error=None,
        )
        .returning(*ReportJobTable.__table__.c)
    )


CLAIM_JOB = _claim_statement(_RUNNABLE)
CLAIM_STARMAP_JOB = _claim_statement(_RUNNABLE_FOR_STARMAP)
# A completed starmap being regenerated stays completed: its report is still
# there; the job fields show the regeneration.
_STATUS_ON_CLAIM = case(
    (
        and_(
            S.status != "completed",
            or_(bindparam("kind") == "final", S.status == "queued"),
        ),
        "processing",
    ),
    else_=S.status,
)
MARK_CLAIMED = (
    update(StarmapTable)
    .where(S.id == bindparam("starmap_id"))
    .values(
        status=_STATUS_ON_CLAIM,
        report_job_id=bindparam("job_id"),
        report_job_kind=bindparam("kind"),
        report_job_status="running",
        report_job_progress=0,
        report_job_phase="Starting",
        report_job_error=None,
        updated_at=bindparam("now"),
    )
    .returning(*StarmapTable.__table__.c)
)
FINISH_JOB = (
    update(ReportJobTable)
    .where(
        J.id == bindparam("job_id"),
        J.lease_owner == bindparam("owner"),
        J.status == "running",
    )
    .values(
        status="succeeded",
        result=bindparam("result"),
        percent=100,
        phase="Done",
        completed_at=bindparam("now"),
        updated_at=bindparam("now"),
        prompt=bindparam("prompt"),
        raw_output=bindparam("raw_output"),
        error=None,
        eta=0,
    )
    .returning(J.starmap_id, J.kind)
)
# A failed job made no progress that counts: Retry starts it again from 0%,
# so its last percent would only make it look as if it were still under way.
FAIL_JOB = (
    update(ReportJobTable)
    .where(J.id == bindparam("job_id"))
    .values(
        status="failed",
        error=bindparam("reason"),
        completed_at=bindparam("now"),
        updated_at=bindparam("now"),
        phase="Failed",
        percent=0,
        eta=None,
    )
)
# A completed starmap keeps its report and its status; the job fields say
# that the regeneration failed.
MARK_FAILED = (
    update(StarmapTable)
    .where(S.id == bindparam("starmap_id"))
    .values(
        status=case((S.status != "completed", "failed"), else_=S.status),
        report_job_id=bindparam("job_id"),
        report_job_kind=bindparam("kind"),
        report_job_status="failed",
        report_job_progress=0,
        report_job_phase="Failed",
        report_job_error=bindparam("reason"),
        updated_at=bindparam("now"),
    )
)
# A final report queued or running beside ``job_id``: it outranks that step.
FINAL_PENDING = (
    select(J.id)
    .where(
        J.starmap_id == bindparam("starmap_id"),
        J.kind == "final",
        J.id != bindparam("job_id"),
        or_(*(J.status == status for status in ACTIVE_JOB_STATUSES)),
    )
    .limit(1)
)
STARMAP_ROW = select(StarmapTable.__table__).where(S.id == bindparam("starmap_id"))
# A step's success shows on its starmap only while the summary describes it.
MARK_STEP_SUCCEEDED = (
    update(StarmapTable)
    .where(S.id == bindparam("starmap_id"), S.report_job_id == bindparam("job_id"))
    .values(
        report_job_status="succeeded",
        report_job_progress=100,
        report_job_phase="Done",
        report_job_error=None,
        updated_at=bindparam("now"),
    )
)
ACTIVE_JOB = select(ReportJobTable.__table__).where(
    J.idempotency_key == bindparam("key"),
    or_(*(J.status == status for status in ACTIVE_JOB_STATUSES)),
)
NEW_JOB = (
    insert(ReportJobTable)
    .values(
        id=bindparam("id"),
        starmap_id=bindparam("starmap_id"),
        kind=bindparam("kind"),
        status="queued",
        params=bindparam("params"),
        idempotency_key=bindparam("key"),
        max_attempts=bindparam("max_attempts"),
        created_at=bindparam("now"),
        updated_at=bindparam("now"),
    )
    .returning(*ReportJobTable.__table__.c)
)
ADD_REVISION = insert(ReportRevisionTable).values(
    starmap_id=bindparam("starmap_id"),
    kind=bindparam("kind"),
    n=select(func.coalesce(func.max(R.n), 0) + 1)
    .where(R.starmap_id == bindparam("starmap_id"), R.kind == bindparam("kind"))
    .scalar_subquery(),
    source=bindparam("source"),
    body=bindparam("body"),
    created_at=bindparam("now"),
)
LOG_ACTIVITY = insert(ActivityTable).values(
    starmap_id=bindparam("starmap_id"),
    event=bindparam("event"),
    detail=bindparam("detail"),
    created_at=bindparam("now"),
)


@functools.cache
def _starmap_update(columns: tuple[str, ...], returning: tuple[str, ...]) -> Update:
    """An UPDATE of one starmap setting ``columns``, built once per shape."""
    query = (
        update(StarmapTable)
        .where(S.id == bindparam("starmap_id"))
        .values({name: bindparam(name) for name in columns})
    )
    return query.returning(*(S[name] for name in returning)) if returning else query


class Repository:
    """Async access to the starmap store."""

    def __init__(self, database: Database) -> None:
        self.db = database

    @classmethod
    async def open(cls, path: Path) -> Repository:
        """Open (creating and migrating as needed) the store at ``path``."""
        return cls(await Database.open(path))

    @property
    def path(self) -> Path:
        """The database file."""
        return self.db.path

    async def close(self) -> None:
        """Close every connection."""
        await self.db.close()

    # -- starmaps -----------------------------------------------------------

    async def create_starmap(
        self,
        title: str,
        *,
        stage_answers: dict[str, dict[str, Any]] | None = None,
        dynamic_answers: dict[str, Any] | None = None,
        completed_stages: Sequence[str] = (),
        session_state: dict[str, Any] | None = None,
        status: str = "draft",
        current_step: str = "experience",
        queue: Sequence[str] = (),
    ) -> StarmapRecord:
        """Create a starmap and log it, queueing the ``queue`` steps with it.

        One transaction: a crash leaves either the starmap with its jobs, or
        nothing (``new`` from an answers file relies on it).
        """
        now = stamp(utcnow())
        answers = stage_answers or {}
        starmap_id = str(uuid.uuid4())
        values = {
            "id": starmap_id,
            "title": title.strip() or "Untitled starmap",
            "status": status,
            "experience_level": answers.get("experience", {}).get("exp_level"),
            "stage_answers": dump_json(answers),
            "completed_stages": dump_json(list(completed_stages)),
            "dynamic_answers": dump_json(dynamic_answers or {}),
            "session_state": dump_json(session_state or {}),
            "current_step": current_step,
            "created_at": now,
            "updated_at": now,
            "last_saved_at": now,
        }
        async with self.db.write() as conn:
            await conn.execute(insert(StarmapTable).values(**values))
            await self._log(conn, starmap_id, "created", values["title"])
            record = await self._starmap(conn, starmap_id)
            for kind in queue:
                job_status = _status_on_submit(record.status, _headless(record), kind)
                await self._enqueue(
                    conn, starmap_id, kind, job_status, {}, DEFAULT_MAX_ATTEMPTS
                )
            return await self._starmap(conn, starmap_id) if queue else record

    async def get_starmap(self, starmap_id: str) -> StarmapRecord | None:
        """The starmap with this exact id, or None."""
        async with self.db.read() as conn:
            row = (
                (
                    await conn.execute(
                        select(StarmapTable.__table__).where(S.id == starmap_id)
                    )
                )
                .mappings()
                .first()
            )
        return starmap_from_row(row) if row else None

    async def resolve_id(self, prefix: str) -> str:
        """The full id of the one starmap whose id starts with ``prefix``."""
        low = prefix.strip().lower()
        query = (
            select(S.id)
            .where(S.id >= low, S.id < low + "\uffff")
            .order_by(S.id)
            .limit(6)
        )
        async with self.db.read() as conn:
            ids = (await conn.execute(query)).scalars().all()
        return listing.pick_one(prefix, list(ids))

    async def save_stage(
        self,
        starmap_id: str,
        stage_id: str,
        answers: dict[str, Any],
        *,
        complete: bool | None,
        current_step: str | None = None,
        queue: Sequence[str] = (),
        merge: bool = False,
    ) -> StarmapRecord:
        """Replace one stage's answers whole and set its completion flag.

        ``complete`` must come from validating the stage: a partial save
        clears the flag rather than leaving a stale one. ``queue`` names
        generation steps to queue in the same transaction when the stage is
        complete (each unless its result is already there), so the wizard can
        never be saved past a stage without the work that stage starts.

        With ``merge``, ``answers`` holds only the fields that changed, and
        they are laid over the stored stage inside the write transaction, so
        two windows editing different fields keep each other's answers; a
        cleared field is sent with its cleared value. ``complete=None`` judges
        the stage as stored after the merge.
        """
        async with self.db.write() as conn:
            record = await self._starmap(conn, starmap_id)
            stages = dict(record.stage_answers)
            stored = stages.get(stage_id, {}) if merge else {}
            stages[stage_id] = {**stored, **answers}
            if complete is None:
                complete = _stage_valid(stage_id, stages[stage_id])
            done = [s for s in record.completed_stages if s != stage_id]
            if complete:
                done.append(stage_id)
            values: dict[str, Any] = {
                "stage_answers": dump_json(stages),
                "completed_stages": dump_json(_ordered_stages(done)),
            }
            if stage_id == "experience":
                values["experience_level"] = stages[stage_id].get("exp_level")
            if current_step:
                values["current_step"] = current_step
            await self._touch(conn, starmap_id, saved=True, **values)
            await self._log(conn, starmap_id, "stage_saved", stage_id)
            if complete and queue:
                await self._queue_steps(conn, record, queue)
            return await self._starmap(conn, starmap_id)

    async def queue_missing_steps(self, starmap_id: str) -> list[JobRecord]:
        """Queue the deep-dive steps of a starmap past stage 3 that never ran.

        Heals stores written while saving stage 3 and queueing its steps were
        two transactions: a crash between them left stage 3 done with nothing
        generating. A step that was ever queued is left alone; one that failed
        or was cancelled waits for Retry.
        """
        async with self.db.write() as conn:
            record = await self._starmap(conn, starmap_id)
            if "stage3" not in record.completed_stages:
                return []
            rows = await conn.execute(select(J.kind).where(J.starmap_id == record.id))
            tried = set(rows.scalars())
            untried = [kind for kind in DEEP_DIVE_STEPS if kind not in tried]
            return await self._queue_steps(conn, record, untried)

    async def save_dynamic_answers(
        self,
        starmap_id: str,
        answers: dict[str, Any],
        *,
        complete: bool,
        current_step: str | None = None,
    ) -> StarmapRecord:
        """Replace the deep-dive answers whole."""
        async with self.db.write() as conn:
            record = await self._starmap(conn, starmap_id)
            done = [s for s in record.completed_stages if s != "dynamic"]
            if complete:
                done.append("dynamic")
            values: dict[str, Any] = {
                "dynamic_answers": dump_json(dict(answers)),
                "completed_stages": dump_json(_ordered_stages(done)),
            }
            if current_step:
                values["current_step"] = current_step
            await self._touch(conn, starmap_id, saved=True, **values)
            await self._log(conn, starmap_id, "stage_saved", "dynamic")
            return await self._starmap(conn, starmap_id)

    async def set_current_step(self, starmap_id: str, step: str) -> None:
        """Remember where the user is in the wizard."""
        async with self.db.write() as conn:
            await self._touch(conn, starmap_id, current_step=step)

    async def set_session_state(self, starmap_id: str, state: dict[str, Any]) -> None:
        """Replace the wizard's UI state whole."""
        async with self.db.write() as conn:
            await self._touch(conn, starmap_id, session_state=dump_json(state))

    async def rename(self, starmap_id: str, title: str) -> StarmapRecord:
        """Give a starmap a new title, in its current reports' headings too.

        The reports open with ``# <title>``; a heading that still reads the
        old title takes the new one in the same transaction, so the screen,
        ``show`` and ``export`` agree. Revisions stay as they were written,
        and a heading the user edited to something else is left alone.
        """
        title = title.strip()
        if not title:
            raise ValueError("A title cannot be blank.")
        async with self.db.write() as conn:
            record = await self._starmap(conn, starmap_id)
            reports = {
                column: _retitled(body, record.title, title)
                for column, body in (
                    ("final_report", record.final_report),
                    ("preliminary_report", record.preliminary_report),
                )
                if body
            }
            await self._touch(conn, starmap_id, title=title, **reports)
            await self._log(conn, starmap_id, "renamed", title)
            return await self._starmap(conn, starmap_id)

    async def delete(self, starmap_id: str) -> bool:
        """Delete a starmap with its jobs, revisions and activity."""
        async with self.db.write() as conn:
            result = await conn.execute(delete(StarmapTable).where(S.id == starmap_id))
        return bool(result.rowcount)

    # -- listing (shared with the light reader) -----------------------------

    async def list_starmaps(
        self,
        statuses: Sequence[str] = (),
        search: str = "",
        limit: int = 50,
        offset: int = 0,
    ) -> list[StarmapRow]:
        """One page of starmaps, most recently updated first."""
        return await self._light(listing.select_rows, statuses, search, limit, offset)

    async def count_starmaps(
        self, statuses: Sequence[str] = (), search: str = ""
    ) -> int:
        """How many starmaps match the filter."""
        return await self._light(listing.count_rows, statuses, search)

    async def position_of(
        self, starmap_id: str, statuses: Sequence[str] = (), search: str = ""
    ) -> int | None:
        """Where a starmap sits in the filtered order (for keeping a highlight)."""
        return await self._light(listing.position_of, starmap_id, statuses, search)

    async def stats(self) -> Stats:
        """The dashboard's counters."""
        return await self._light(listing.select_stats)

    async def _light(self, query: Any, *args: Any) -> Any:
        """Run one of the listing functions on the store's own reader.

        The listing SQL is shared with the standard-library reader used before
        the store is open; here it runs on the reader engine's connection, so
        this process never holds a second kind of connection beside its
        engines (SQLite can drop a process's locks when such a handle closes,
        and another process would then reset the WAL under our writer).
        """
        async with self.db.read() as conn:
            return await conn.run_sync(lambda sync: query(_DriverSQL(sync), *args))

    # -- reports, revisions, activity ---------------------------------------

    async def save_edited_report(
        self, starmap_id: str, kind: str, body: str
    ) -> StarmapRecord:
        """Store a user's edit as a new revision; the old text is kept."""
        column = "final_report" if kind == "final" else "preliminary_report"
        async with self.db.write() as conn:
            await self._add_revision(conn, starmap_id, kind, "edited", body)
            await self._touch(conn, starmap_id, saved=True, **{column: body})
            await self._log(conn, starmap_id, "edited", kind)
            return await self._starmap(conn, starmap_id)

    async def revisions(
        self, starmap_id: str, kind: str | None = None
    ) -> list[Revision]:
        """Every revision of a starmap's reports, oldest first."""
        query = select(ReportRevisionTable.__table__).where(R.starmap_id == starmap_id)
        if kind:
            query = query.where(R.kind == kind)
        async with self.db.read() as conn:
            rows = (await conn.execute(query.order_by(R.kind, R.n))).mappings().all()
        return [
            Revision(
                r["starmap_id"],
                r["kind"],
                r["n"],
                r["source"],
                r["body"],
                datetime.fromisoformat(r["created_at"]),
            )
            for r in rows
        ]

    async def activity(self, starmap_id: str) -> list[Activity]:
        """A starmap's history, oldest first."""
        query = select(A.starmap_id, A.event, A.detail, A.created_at).where(
            A.starmap_id == starmap_id
        )
        async with self.db.read() as conn:
            rows = (await conn.execute(query.order_by(A.id))).all()
        return [Activity(r[0], r[1], r[2], datetime.fromisoformat(r[3])) for r in rows]

    async def log_activity(self, starmap_id: str, event: str, detail: str = "") -> None:
        """Append an event such as ``exported`` or ``resumed``."""
        async with self.db.write() as conn:
            await self._log(conn, starmap_id, event, detail)

    # -- jobs: what the UI and the CLI ask for -----------------------------

    async def enqueue(
        self,
        starmap_id: str,
        kind: str,
        *,
        params: dict[str, Any] | None = None,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        headless: bool | None = None,
    ) -> JobRecord:
        """Queue one generation step; a step already queued or running is reused.

        Re-submitting (a double click, a second process) never creates a
        second active job for the same step of the same starmap.
        """
        async with self.db.write() as conn:
            record = await self._starmap(conn, starmap_id)
            if headless is not None:
                state = {**record.session_state, "headless": headless}
                await self._touch(conn, starmap_id, session_state=dump_json(state))
            status = _status_on_submit(record.status, _headless(record), kind)
            return await self._enqueue(
                conn, record.id, kind, status, params or {}, max_attempts
            )

    async def _enqueue(
        self,
        conn: AsyncConnection,
        starmap_id: str,
        kind: str,
        status: str,
        params: dict[str, Any],
        max_attempts: int,
    ) -> JobRecord:
        """Queue a step unless one is active; ``status`` is the starmap's next."""
        key = f"{starmap_id}:{kind}"
        active = await self._active_job(conn, key)
        if active is not None:
            return active
        job_id = str(uuid.uuid4())
        values = {
            "id": job_id,
            "starmap_id": starmap_id,
            "kind": kind,
            "params": dump_json(params),
            "key": key,
            "max_attempts": max_attempts,
            "now": stamp(utcnow()),
        }
        rows = await self.db.fetch(conn, NEW_JOB, values)
        await self._touch(
            conn,
            starmap_id,
            status=status,
            report_job_id=job_id,
            report_job_kind=kind,
            report_job_status="queued",
            report_job_progress=0,
            report_job_phase="Waiting for a worker",
            report_job_error=None,
        )
        await self._log(conn, starmap_id, "submitted", kind)
        return job_from_row(rows[0])

    async def _queue_steps(
        self, conn: AsyncConnection, record: StarmapRecord, kinds: Sequence[str]
    ) -> list[JobRecord]:
        """Queue each step whose result the starmap does not have yet."""
        jobs = []
        for kind in kinds:
            if _has_result(record, kind):
                continue
            status = _status_on_submit(record.status, _headless(record), kind)
            jobs.append(
                await self._enqueue(
                    conn, record.id, kind, status, {}, DEFAULT_MAX_ATTEMPTS
                )
            )
        return jobs

    async def retry(self, starmap_id: str) -> list[JobRecord]:
        """Queue again every step whose latest job failed or was cancelled."""
        async with self.db.write() as conn:
            record = await self._starmap(conn, starmap_id)
            kinds = await self._kinds_to_retry(conn, record)
            jobs = []
            for kind, params in kinds.items():
                status = _status_on_submit(record.status, _headless(record), kind)
                jobs.append(
                    await self._enqueue(
                        conn, record.id, kind, status, params, DEFAULT_MAX_ATTEMPTS
                    )
                )
            if jobs:
                await self._log(conn, starmap_id, "retried", ", ".join(kinds))
            return jobs

    async def _kinds_to_retry(
        self, conn: AsyncConnection, record: StarmapRecord
    ) -> dict[str, dict[str, Any]]:
        """The steps to queue again, each with its last job's parameters (a
        regeneration's added context is asked for again, not dropped)."""
        rows = await conn.execute(
            select(J.kind, J.status, J.params)
            .where(J.starmap_id == record.id)
            .order_by(J.created_at)
        )
        latest: dict[str, tuple[str, str | None]] = {}
        for kind, status, params in rows:
            latest[kind] = (status, params)
        kinds = {
            kind: load_json(params, {})
            for kind, (status, params) in latest.items()
            if status in ("failed", "cancelled")
        }
        if _headless(record) and "final" not in latest and "questions" not in kinds:
            kinds["final" if record.dynamic_questions else "questions"] = {}
        order = {"questions": 0, "preliminary": 1, "final": 2}
        return {kind: kinds[kind] for kind in sorted(kinds, key=order.__getitem__)}

    async def cancel(self, starmap_id: str) -> list[str]:
        """Cancel every queued or running step; returns the cancelled job ids."""
        now = stamp(utcnow())
        async with self.db.write() as conn:
            record = await self._starmap(conn, starmap_id)
            ids = (
                (
                    await conn.execute(
                        update(ReportJobTable)
                        .where(J.starmap_id == starmap_id)
                        .where(J.status.in_(ACTIVE_JOB_STATUSES))
                        .values(
                            status="cancelled",
                            completed_at=now,
                            updated_at=now,
                            lease_owner=None,
                            error="Cancelled by the user.",
                            percent=0,
                            eta=None,
                        )
                        .returning(J.id)
                    )
                )
                .scalars()
                .all()
            )
            if ids:
                status = record.status
                if status in ("queued", "processing"):
                    status = "cancelled"
                await self._touch(
                    conn,
                    starmap_id,
                    status=status,
                    report_job_status="cancelled",
                    report_job_progress=0,
                    report_job_phase="Cancelled",
                )
                await self._log(conn, starmap_id, "cancelled", f"{len(ids)} job(s)")
            return list(ids)

    async def jobs_for(self, starmap_id: str) -> list[JobRecord]:
        """Every job of a starmap, oldest first."""
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(ReportJobTable.__table__)
                .where(J.starmap_id == starmap_id)
                .order_by(J.created_at)
            )
            return [job_from_row(r) for r in rows.mappings()]

    async def get_job(self, job_id: str) -> JobRecord | None:
        """One job, or None."""
        async with self.db.read() as conn:
            row = (
                (
                    await conn.execute(
                        select(ReportJobTable.__table__).where(J.id == job_id)
                    )
                )
                .mappings()
                .first()
            )
        return job_from_row(row) if row else None

    async def has_runnable_jobs(self, starmap_id: str | None = None) -> bool:
        """Whether any job (of ``starmap_id``, if given) is queued or running."""
        query = select(func.count()).where(J.status.in_(ACTIVE_JOB_STATUSES))
        if starmap_id is not None:
            query = query.where(J.starmap_id == starmap_id)
        async with self.db.read() as conn:
            return bool((await conn.execute(query)).scalar())

    async def has_claimable(self, starmap_id: str | None = None) -> bool:
        """Whether a claim would find a job now; a read, so no write lock."""
        query, params = CLAIMABLE, {"now": stamp(utcnow())}
        if starmap_id is not None:
            query, params["starmap_id"] = CLAIMABLE_FOR_STARMAP, starmap_id
        async with self.db.read() as conn:
            found = await conn.execute(query, params)
            return found.first() is not None

    async def next_due(self, starmap_id: str | None = None) -> datetime | None:
        """When the earliest waiting job becomes claimable, if any waits."""
        query = select(func.min(J.not_before)).where(J.status == "queued")
        if starmap_id is not None:
            query = query.where(J.starmap_id == starmap_id)
        async with self.db.read() as conn:
            value = (await conn.execute(query)).scalar()
        return datetime.fromisoformat(value) if value else None

    # -- jobs: the runner's protocol ----------------------------------------

    async def claim(
        self,
        owner: str,
        lease_seconds: float,
        *,
        provider: str,
        model: str,
        starmap_id: str | None = None,
    ) -> JobRecord | None:
        """Atomically take the oldest runnable job and lease it to ``owner``."""
        claimed = await self.claim_with_starmap(
            owner, lease_seconds, provider=provider, model=model, starmap_id=starmap_id
        )
        return claimed[0] if claimed else None

    async def claim_with_starmap(
        self,
        owner: str,
        lease_seconds: float,
        *,
        provider: str,
        model: str,
        starmap_id: str | None = None,
    ) -> tuple[JobRecord, StarmapRecord] | None:
        """Take the oldest runnable job, returning it with its starmap as claimed.

        Runnable: queued and due, or running with an expired lease (its worker
        died); with ``starmap_id``, only that starmap's jobs. One UPDATE …
        RETURNING inside an IMMEDIATE transaction, so two processes never take
        the same job.
        """
        now = utcnow()
        params = {
            "now": stamp(now),
            "expires": stamp(now + timedelta(seconds=lease_seconds)),
            "owner": owner,
            "provider": provider,
            "model": model,
        }
        statement = CLAIM_JOB
        if starmap_id is not None:
            statement, params["starmap_id"] = CLAIM_STARMAP_JOB, starmap_id
        async with self.db.write_prepared() as conn:
            rows = await self.db.fetch(conn, statement, params)
            if not rows:
                return None
            job = job_from_row(rows[0])
            if job.crash_count >= CRASH_LIMIT:
                await self._park(conn, job)
                return None
            return job, await self._mark_claimed(conn, job)

    async def _mark_claimed(
        self, conn: AsyncConnection, job: JobRecord
    ) -> StarmapRecord:
        if await self._superseded(conn, job):
            # The final report is what the starmap is waiting for; a step
            # running beside it must not take over its status or summary.
            rows = await self.db.fetch(
                conn, STARMAP_ROW, {"starmap_id": job.starmap_id}
            )
            return starmap_from_row(rows[0])
        values = {
            "starmap_id": job.starmap_id,
            "job_id": job.id,
            "kind": job.kind,
            "now": stamp(utcnow()),
        }
        rows = await self.db.fetch(conn, MARK_CLAIMED, values)
        if not rows:
            raise UnknownStarmap(f"No starmap with id {job.starmap_id}.")
        if job.crash_count:
            await self._log(conn, job.starmap_id, "recovered", job.kind)
        log.info("claimed job %s (%s, attempt %d)", job.id, job.kind, job.attempt)
        return starmap_from_row(rows[0])

    async def _park(self, conn: AsyncConnection, job: JobRecord) -> None:
        reason = (
            f"The {job.kind} step stopped its worker {job.crash_count} times "
            "(the process died while running it), so it was parked instead of "
            "being tried again. Check the log, then press Retry."
        )
        await self._settle_failure(conn, job, reason)
        log.warning("parked job %s after %d crashes", job.id, job.crash_count)

    async def heartbeat(self, job_id: str, owner: str, lease_seconds: float) -> bool:
        """Extend a lease; False if the job is no longer ours (cancelled, lost)."""
        now = utcnow()
        async with self.db.write() as conn:
            result = await conn.execute(
                update(ReportJobTable)
                .where(J.id == job_id, J.lease_owner == owner, J.status == "running")
                .values(lease_expires_at=stamp(now + timedelta(seconds=lease_seconds)))
            )
        return bool(result.rowcount)

    async def record_progress(
        self, job_id: str, owner: str, percent: int, phase: str, eta: float | None
    ) -> bool:
        """Store a running job's progress on the job and its starmap."""
        now = stamp(utcnow())
        async with self.db.write() as conn:
            row = (
                await conn.execute(
                    update(ReportJobTable)
                    .where(
                        J.id == job_id, J.lease_owner == owner, J.status == "running"
                    )
                    .values(percent=percent, phase=phase, eta=eta, updated_at=now)
                    .returning(J.starmap_id)
                )
            ).first()
            if row is None:
                return False
            await conn.execute(
                update(StarmapTable)
                .where(S.id == row[0], S.report_job_id == job_id)
                .values(
                    report_job_progress=percent, report_job_phase=phase, updated_at=now
                )
            )
        return True

    async def complete_job(
        self,
        job_id: str,
        owner: str,
        *,
        result: dict[str, Any],
        markdown: str | None = None,
        prompt: str | None = None,
        raw_output: str | None = None,
    ) -> bool:
        """Finish a job and settle its starmap in one transaction.

        Returns False (and changes nothing) if the lease was lost meanwhile.
        The lease owner stays on the finished job as a record of who ran it.
        """
        params = {
            "job_id": job_id,
            "owner": owner,
            "result": dump_json(result),
            "prompt": prompt,
            "raw_output": raw_output,
            "now": stamp(utcnow()),
        }
        async with self.db.write_prepared() as conn:
            rows = await self.db.fetch(conn, FINISH_JOB, params)
            if not rows:
                return False
            starmap_id, kind = rows[0]["starmap_id"], rows[0]["kind"]
            await self._settle_success(conn, job_id, starmap_id, kind, result, markdown)
        log.info("job %s (%s) succeeded", job_id, kind)
        return True

    async def _settle_success(
        self,
        conn: AsyncConnection,
        job_id: str,
        starmap_id: str,
        kind: str,
        result: dict[str, Any],
        markdown: str | None,
    ) -> None:
        job_values: dict[str, Any] = {
            "report_job_status": "succeeded",
            "report_job_progress": 100,
            "report_job_phase": "Done",
            "report_job_error": None,
        }
        values: dict[str, Any] = {}
        if kind == "questions":
            values["dynamic_questions"] = dump_json(result)
        else:
            await self._add_revision(
                conn, starmap_id, kind, "generated", markdown or ""
            )
            prefix = "final" if kind == "final" else "preliminary"
            values[f"{prefix}_report"] = markdown
            values[f"{prefix}_json"] = dump_json(result)
        if kind == "final":
            values.update(
                job_values,
                status="completed",
                completed_at=stamp(utcnow()),
                current_step="report",
            )
            await self._log(conn, starmap_id, "completed", "final report")
        # The update hands back the status and UI state it found, so the
        # starmap needs no read of its own.
        row = await self._touch_returning(
            conn, starmap_id, ("status", "session_state"), **values
        )
        headless = bool(load_json(row["session_state"], {}).get("headless"))
        if kind != "final":
            await self._settle_step_summary(
                conn, job_id, starmap_id, row["status"], headless
            )
        if kind == "questions" and headless:
            status = _status_on_submit(row["status"], headless, "final")
            await self._enqueue(
                conn, starmap_id, "final", status, {}, DEFAULT_MAX_ATTEMPTS
            )

    async def _settle_step_summary(
        self,
        conn: AsyncConnection,
        job_id: str,
        starmap_id: str,
        status: str,
        headless: bool,
    ) -> None:
        """Say on the starmap that a step other than the final one succeeded.

        The summary is changed only while it describes this job: a sibling's
        failure (with its reason) or a final report under way stays on show.
        A pending final also keeps the starmap queued or processing.
        """
        values = {"starmap_id": starmap_id, "job_id": job_id, "now": stamp(utcnow())}
        await self.db.run(conn, MARK_STEP_SUCCEEDED, values)
        if status != "processing" or headless:
            return
        if not await self._final_pending(conn, starmap_id, job_id):
            await self._touch(conn, starmap_id, status="draft")

    async def _superseded(self, conn: AsyncConnection, job: JobRecord) -> bool:
        """Whether a final report queued or running outranks this earlier step."""
        return job.kind != "final" and await self._final_pending(
            conn, job.starmap_id, job.id
        )

    async def _final_pending(
        self, conn: AsyncConnection, starmap_id: str, job_id: str
    ) -> bool:
        """Whether a final report other than ``job_id`` is queued or running."""
        values = {"starmap_id": starmap_id, "job_id": job_id}
        return bool(await self.db.fetch(conn, FINAL_PENDING, values))

    async def fail_job(
        self, job_id: str, owner: str, reason: str, *, raw_output: str | None = None
    ) -> bool:
        """Fail a job for good and show the reason on its starmap."""
        async with self.db.write() as conn:
            job = await self._owned_job(conn, job_id, owner)
            if job is None:
                return False
            if raw_output is not None:
                await conn.execute(
                    update(ReportJobTable)
                    .where(J.id == job_id)
                    .values(raw_output=raw_output)
                )
            await self._settle_failure(conn, job, reason)
        log.warning("job %s (%s) failed: %s", job_id, job.kind, reason)
        return True

    async def _settle_failure(
        self, conn: AsyncConnection, job: JobRecord, reason: str
    ) -> None:
        values = {
            "job_id": job.id,
            "starmap_id": job.starmap_id,
            "kind": job.kind,
            "reason": reason,
            "now": stamp(utcnow()),
        }
        await self.db.run(conn, FAIL_JOB, values)
        # Under a final report the starmap keeps showing the final; the
        # activity log keeps this step's failure.
        superseded = await self._superseded(conn, job)
        if not superseded and not await self.db.run(conn, MARK_FAILED, values):
            raise UnknownStarmap(f"No starmap with id {job.starmap_id}.")
        await self._log(conn, job.starmap_id, "failed", f"{job.kind}: {reason}")

    async def reschedule_job(
        self, job_id: str, owner: str, reason: str, not_before: datetime
    ) -> bool:
        """Put a job back in the queue after a transient failure."""
        phase = "Waiting to retry"
        requeued = await self._requeue(
            job_id,
            owner,
            {"not_before": stamp(not_before), "error": reason, "phase": phase},
            {"report_job_error": reason, "report_job_phase": phase},
        )
        if requeued:
            log.info("job %s rescheduled at %s: %s", job_id, stamp(not_before), reason)
        return requeued

    async def release_job(self, job_id: str, owner: str) -> bool:
        """Give a job back on quit, without counting the attempt against it."""
        phase = "Waiting for a worker"
        requeued = await self._requeue(
            job_id,
            owner,
            {"attempt": J.attempt - 1, "not_before": None, "phase": phase},
            {"report_job_phase": phase},
        )
        if requeued:
            log.info("job %s released on shutdown", job_id)
        return requeued

    async def _requeue(
        self,
        job_id: str,
        owner: str,
        job_values: dict[str, Any],
        starmap_values: dict[str, Any],
    ) -> bool:
        """Move a job this owner runs back to queued, and say so on its starmap.

        The next attempt starts from the beginning, so the progress goes back
        to 0% rather than showing a percent no one is working on.
        """
        now = stamp(utcnow())
        async with self.db.write() as conn:
            row = (
                await conn.execute(
                    update(ReportJobTable)
                    .where(
                        J.id == job_id, J.lease_owner == owner, J.status == "running"
                    )
                    .values(
                        status="queued",
                        lease_owner=None,
                        lease_expires_at=None,
                        updated_at=now,
                        percent=0,
                        eta=None,
                        **job_values,
                    )
                    .returning(J.starmap_id)
                )
            ).first()
            if row is None:
                return False
            await conn.execute(
                update(StarmapTable)
                .where(S.id == row[0], S.report_job_id == job_id)
                .values(
                    report_job_status="queued",
                    report_job_progress=0,
                    updated_at=now,
                    **starmap_values,
                )
            )
        return True

    async def expire_dead_leases(
        self, hostname: str, starmap_id: str | None = None
    ) -> int:
        """Free at once the leases of this host's workers whose process died.

        Without this a job killed with ``kill -9`` would wait for its lease to
        run out before anyone could take it over. With ``starmap_id``, only
        that starmap's jobs are looked at.
        """
        query = select(J.id, J.lease_owner).where(J.status == "running")
        if starmap_id is not None:
            query = query.where(J.starmap_id == starmap_id)
        async with self.db.read() as conn:
            rows = await conn.execute(query)
            dead = [job_id for job_id, owner in rows if _is_dead(owner, hostname)]
        if not dead:
            return 0
        async with self.db.write() as conn:
            await conn.execute(
                update(ReportJobTable)
                .where(J.id.in_(dead), J.status == "running")
                .values(lease_expires_at=stamp(utcnow() - timedelta(seconds=1)))
            )
        log.info("expired the leases of %d job(s) whose worker died", len(dead))
        return len(dead)

    async def job_status(self, job_id: str) -> str | None:
        """The job's status, or None if it is gone."""
        async with self.db.read() as conn:
            found = await conn.execute(select(J.status).where(J.id == job_id))
            return found.scalar()

    # -- helpers -------------------------------------------------------------

    async def _starmap(self, conn: AsyncConnection, starmap_id: str) -> StarmapRecord:
        row = (
            (
                await conn.execute(
                    select(StarmapTable.__table__).where(S.id == starmap_id)
                )
            )
            .mappings()
            .first()
        )
        if row is None:
            raise UnknownStarmap(f"No starmap with id {starmap_id}.")
        return starmap_from_row(row)

    async def _owned_job(
        self, conn: AsyncConnection, job_id: str, owner: str
    ) -> JobRecord | None:
        row = (
            (
                await conn.execute(
                    select(ReportJobTable.__table__).where(
                        J.id == job_id, J.lease_owner == owner, J.status == "running"
                    )
                )
            )
            .mappings()
            .first()
        )
        return job_from_row(row) if row else None

    async def _active_job(self, conn: AsyncConnection, key: str) -> JobRecord | None:
        rows = await self.db.fetch(conn, ACTIVE_JOB, {"key": key})
        return job_from_row(rows[0]) if rows else None

    async def _touch_returning(
        self,
        conn: AsyncConnection,
        starmap_id: str,
        returning: tuple[str, ...],
        **values: Any,
    ) -> dict[str, Any]:
        """Update a starmap and return the ``returning`` columns of its row."""
        values["updated_at"] = stamp(utcnow())
        query = _starmap_update(tuple(sorted(values)), returning)
        rows = await self.db.fetch(conn, query, {**values, "starmap_id": starmap_id})
        if not rows:
            raise UnknownStarmap(f"No starmap with id {starmap_id}.")
        return rows[0]

    async def _touch(
        self,
        conn: AsyncConnection,
        starmap_id: str,
        *,
        saved: bool = False,
        **values: Any,
    ) -> None:
        now = stamp(utcnow())
        values["updated_at"] = now
        if saved:
            values["last_saved_at"] = now
        query = _starmap_update(tuple(sorted(values)), ())
        changed = await self.db.run(conn, query, {**values, "starmap_id": starmap_id})
        if not changed:
            raise UnknownStarmap(f"No starmap with id {starmap_id}.")

    async def _log(
        self, conn: AsyncConnection, starmap_id: str, event: str, detail: str
    ) -> None:
        values = {
            "starmap_id": starmap_id,
            "event": event,
            "detail": detail[:500],
            "now": stamp(utcnow()),
        }
        await self.db.run(conn, LOG_ACTIVITY, values)

    async def _add_revision(
        self, conn: AsyncConnection, starmap_id: str, kind: str, source: str, body: str
    ) -> None:
        values = {
            "starmap_id": starmap_id,
            "kind": kind,
            "source": source,
            "body": body,
            "now": stamp(utcnow()),
        }
        await self.db.run(conn, ADD_REVISION, values)


class _DriverSQL:
    """Gives listing's sqlite3-style ``execute(sql, params)`` to a SQLAlchemy
    connection, so the same bound-parameter SQL serves both readers."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Sequence[object] = ()) -> Any:
        """Run driver-level SQL with positional parameters."""
        return self._conn.exec_driver_sql(sql, tuple(params))


def _retitled(report: str, old_title: str, new_title: str) -> str:
    """``report`` with its ``# <old title>`` first line naming the new title."""
    first, newline, rest = report.partition("\n")
    if first.rstrip() != title_heading(old_title):
        return report
    return title_heading(new_title) + newline + rest


def _stage_valid(stage_id: str, answers: dict[str, Any]) -> bool:
    """Whether a static stage's answers pass its validation."""
    stage = stage_by_id(stage_id)
    if stage is None:
        raise ValueError(f"No static stage {stage_id!r}.")
    return stage_complete(stage, answers)


def _ordered_stages(done: list[str]) -> list[str]:
    order = [*STAGE_IDS, "dynamic"]
    return [s for s in order if s in set(done)]


def _is_dead(owner: str | None, hostname: str) -> bool:
    """Whether a lease owner ``host:pid:tag`` is a dead process on this host."""
    host, _, rest = (owner or "").partition(":")
    pid_text = rest.partition(":")[0]
    if host != hostname or not pid_text.isdigit():
        return False
    if int(pid_text) == os.getpid():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _status_on_submit(status: str, headless: bool, kind: str) -> str:
    """The starmap's status once a step is queued.

    A completed starmap stays completed (regenerating keeps its report on
    show); a final report, or any step of a headless starmap, makes it queued;
    re-queuing an interactive step after a failure returns it to draft.
    """
    if status in ("completed", "processing"):
        return status
    if kind == "final" or headless:
        return "queued"
    return "draft" if status in ("failed", "cancelled") else status


def _headless(record: StarmapRecord) -> bool:
    return bool(record.session_state.get("headless"))


def _has_result(record: StarmapRecord, kind: str) -> bool:
    """Whether the starmap already holds what a step of this kind produces."""
    results = {
        "questions": record.dynamic_questions,
        "preliminary": record.preliminary_report,
        "final": record.final_report,
    }
    return bool(results[kind])


__all__ = ["Repository", "load_json"]
