"""The store: schema migrations, refusing what it must not touch, durability."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import SQLModel

from starmap_tui.storage.errors import StoreCorrupt, StoreReadOnly, StoreTooNew
from starmap_tui.storage.migrations import SCHEMA_VERSION
from starmap_tui.storage.records import JobRecord, utcnow
from starmap_tui.storage.repository import Repository
from starmap_tui.storage.tables import StarmapTable  # noqa: F401  (registers tables)
from tests.helpers import refuse_new_jobs, sample_answers

FIXTURES = Path(__file__).parent / "fixtures"


def digest(path: Path) -> str:
    """A file's SHA-256, to prove it was left byte for byte as it was."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def describe_schema(path: Path) -> dict[str, object]:
    """Columns (name, type, not null, default, pk) and indexes of every table."""
    with sqlite3.connect(path) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' ORDER BY name"
            )
        ]
        shape: dict[str, object] = {}
        for table in tables:
            columns = sorted(
                tuple(r[1:6]) for r in conn.execute(f'PRAGMA table_info("{table}")')
            )
            indexes = sorted(
                (
                    r[1],
                    r[2],
                    r[4],
                    tuple(c[2] for c in conn.execute(f'PRAGMA index_info("{r[1]}")')),
                )
                for r in conn.execute(f'PRAGMA index_list("{table}")')
            )
            shape[table] = (columns, indexes)
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    conn.close()
    return {"version": version, "tables": shape}


def load_v1(path: Path) -> None:
    """Build a version-1 store from the fixture."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    conn.executescript((FIXTURES / "schema_v1.sql").read_text())
    conn.close()


async def test_migrating_v1_gives_the_fresh_schema_and_keeps_data(tmp_path: Path):
    fresh, old = tmp_path / "fresh.db", tmp_path / "old.db"
    await (await Repository.open(fresh)).close()
    load_v1(old)

    repo = await Repository.open(old)
    legacy = await repo.get_starmap("0b7c8a52-5d0e-4d4a-9a51-6c1f3e1f9a01")
    history = await repo.activity(legacy.id)
    await repo.close()

    assert describe_schema(old) == describe_schema(fresh)
    assert describe_schema(old)["version"] == SCHEMA_VERSION
    assert legacy.status == "completed"
    assert legacy.final_report == "# Legacy onboarding"
    assert legacy.experience_level == "Novice (new to needs analysis)"
    assert [a.event for a in history] == ["created"]


async def test_table_classes_match_the_migrated_schema(tmp_path: Path):
    path = tmp_path / "s.db"
    await (await Repository.open(path)).close()
    with sqlite3.connect(path) as conn:
        for name, table in SQLModel.metadata.tables.items():
            stored = {r[1] for r in conn.execute(f'PRAGMA table_info("{name}")')}
            assert stored == {c.name for c in table.columns}, name
    conn.close()


async def test_a_newer_database_is_refused_and_left_alone(tmp_path: Path):
    path = tmp_path / "new.db"
    await (await Repository.open(path)).close()
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    before = digest(path)

    with pytest.raises(StoreTooNew, match="newer starmap-tui"):
        await Repository.open(path)
    assert digest(path) == before


@pytest.mark.parametrize(
    "content",
    [
        b"this is a text file, not a database\n" * 40,
        b"SQLite format 3\x00" + os.urandom(8192),
    ],
    ids=["not-sqlite", "garbage-after-header"],
)
async def test_a_corrupt_file_is_refused_and_left_alone(tmp_path: Path, content: bytes):
    path = tmp_path / "broken.db"
    path.write_bytes(content)
    before = digest(path)

    with pytest.raises(StoreCorrupt) as caught:
        await Repository.open(path)
    assert str(path) in str(caught.value)
    assert digest(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.db"]


async def test_a_corrupt_store_is_a_clear_cli_error(tmp_path: Path):
    path = tmp_path / "broken.db"
    path.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4096)
    before = digest(path)
    for command in (["list"], ["show", "abc"], ["new", "--answers", "-"]):
        done = run_cli(["--db", str(path), *command], stdin="{}")
        assert done.returncode != 0
        assert "Traceback" not in done.stderr
        assert "damaged" in done.stderr or "not" in done.stderr
    assert digest(path) == before


# The interpreter may live where ``nobody`` cannot read (root's home), so the
# child starts as root, imports everything the command will need, then drops to
# nobody before it touches the store: the store is only ever seen as nobody.
DROP_THEN_RUN = """
import os, pwd, sys
import starmap_tui.cli as cli
import starmap_tui.config, starmap_tui.storage.repository, starmap_tui.storage.listing
import starmap_tui.questionnaire.answers_file, starmap_tui.worker.runner
import starmap_tui.worker.providers.offline, starmap_tui.report.export
import sqlalchemy.dialects.sqlite.aiosqlite, aiosqlite, logging.handlers
user = pwd.getpwnam("nobody")
os.setgroups([])
os.setgid(user.pw_gid)
os.setuid(user.pw_uid)
assert os.geteuid() == user.pw_uid
sys.exit(cli.main(sys.argv[1:]))
"""


def run_cli(
    args: list[str],
    *,
    stdin: str = "",
    as_nobody: bool = False,
    home: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the real command, optionally dropped to the unprivileged ``nobody``."""
    env = dict(os.environ)
    if home is not None:
        env["STARMAP_HOME"] = str(home)
    start = ["-c", DROP_THEN_RUN] if as_nobody else ["-m", "starmap_tui"]
    return subprocess.run(
        [sys.executable, *start, *args],
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def unprivileged_available() -> bool:
    """Whether we are root, so a child can drop to ``nobody``."""
    return os.geteuid() == 0


needs_nobody = pytest.mark.skipif(
    not unprivileged_available(), reason="needs root to run a child as nobody"
)


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder the unprivileged child can reach (pytest's own tree is private)."""
    base = Path(tempfile.mkdtemp(prefix="starmap-test-", dir="/tmp"))
    base.chmod(0o755)
    yield base
    shutil.rmtree(base, ignore_errors=True)


@needs_nobody
async def test_a_read_only_data_dir_is_a_clear_error_and_nothing_changes(
    shared_dir: Path,
):
    home = shared_dir / "home"
    data = home / "data"
    repo = await Repository.open(data / "starmap.db")
    created = await repo.create_starmap("Kept", stage_answers=sample_answers())
    await repo.close()
    for folder in (home, data, home / "config", home / "log"):
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o755)
    db = data / "starmap.db"
    db.chmod(0o644)
    answers = shared_dir / "answers.json"
    answers.write_text(VALID_DOCUMENT, encoding="utf-8")
    before = digest(db)

    written = run_cli(["new", "--answers", str(answers)], as_nobody=True, home=home)
    listed = run_cli(["list"], as_nobody=True, home=home)

    assert written.returncode == 1, written.stderr
    assert "not writable" in written.stderr or "read-only" in written.stderr
    assert "Traceback" not in written.stderr + listed.stderr
    assert digest(db) == before
    assert "Kept" in listed.stdout or "read-only" in listed.stderr
    assert created.id not in written.stdout


@needs_nobody
async def test_a_read_only_database_file_refuses_writes_clearly(shared_dir: Path):
    home = shared_dir / "home2"
    data = home / "data"
    repo = await Repository.open(data / "starmap.db")
    await repo.create_starmap("Kept")
    await repo.close()
    for folder in (home, data):
        folder.chmod(0o777)
    db = data / "starmap.db"
    db.chmod(0o444)
    before = digest(db)
    valid = shared_dir / "valid.json"
    valid.write_text(VALID_DOCUMENT, encoding="utf-8")

    done = run_cli(["new", "--answers", str(valid)], as_nobody=True, home=home)

    assert done.returncode == 1, done.stderr
    assert "read-only" in done.stderr
    assert digest(db) == before


VALID_DOCUMENT = textwrap.dedent(
    """
    {"title": "Read-only check", "answers": {
      "exp_level": "Expert (seasoned practitioner)",
      "requester_name": "Ana", "requester_role": "Lead",
      "requester_department": "Sales", "requester_email": "ana@example.com",
      "org_name": "Acme", "org_industry": "Retail", "org_size": "51-200 employees",
      "org_headquarters": "Lyon", "org_compliance": ["GDPR"],
      "org_stakeholders": ["C-Suite"], "project_objectives": "Sell more",
      "project_constraints": "Time", "target_audience": "40 sellers",
      "project_timeline": {"start": "2027-02-01", "end": "2027-05-31"},
      "project_budget_range": "< $10,000"}}
    """
)


def test_answers_survive_kill_9_right_after_the_save(tmp_path: Path):
    db = tmp_path / "k.db"
    script = textwrap.dedent(
        f"""
        import asyncio, sys, time
        from starmap_tui.storage.repository import Repository
        async def main():
            repo = await Repository.open(__import__("pathlib").Path({str(db)!r}))
            s = await repo.create_starmap("Crashy")
            await repo.save_stage(s.id, "experience",
                {{"exp_level": "Expert (seasoned practitioner)"}}, complete=True)
            await repo.save_stage(s.id, "stage1", {{"requester_name": "Zoë 名前"}},
                complete=False)
            print(s.id, flush=True)
            time.sleep(600)
        asyncio.run(main())
        """
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True
    )
    starmap_id = child.stdout.readline().strip()
    child.kill()
    child.wait()

    conn = sqlite3.connect(db)
    row = conn.execute(
        "SELECT stage_answers, completed_stages, experience_level FROM starmap "
        "WHERE id = ?",
        (starmap_id,),
    ).fetchone()
    conn.close()
    assert row is not None
    assert '"requester_name":"Zoë 名前"' in row[0]
    assert row[1] == '["experience"]'
    assert row[2] == "Expert (seasoned practitioner)"


async def test_a_partial_save_clears_a_stale_complete_flag(repo: Repository):
    starmap = await repo.create_starmap("Flags")
    await repo.save_stage(
        starmap.id, "stage1", sample_answers()["stage1"], complete=True
    )
    after = await repo.save_stage(
        starmap.id, "stage1", {"requester_name": "A"}, complete=False
    )
    assert "stage1" not in after.completed_stages
    assert after.stage_answers["stage1"] == {"requester_name": "A"}


async def test_prefixes_resolve_and_unknown_ones_are_clear(repo: Repository):
    starmap = await repo.create_starmap("Prefix")
    assert await repo.resolve_id(starmap.id[:5]) == starmap.id
    assert await repo.resolve_id(starmap.id[:5].upper()) == starmap.id
    from starmap_tui.storage.errors import UnknownStarmap

    with pytest.raises(UnknownStarmap, match="starmap-tui list"):
        await repo.resolve_id("zzzz")


async def test_double_submit_creates_one_active_job(repo: Repository):
    starmap = await repo.create_starmap("Twice")
    first = await repo.enqueue(starmap.id, "questions")
    second = await repo.enqueue(starmap.id, "questions")
    jobs = await repo.jobs_for(starmap.id)
    assert first.id == second.id
    assert len(jobs) == 1


async def test_deleting_a_starmap_removes_its_jobs(repo: Repository):
    starmap = await repo.create_starmap("Gone")
    await repo.enqueue(starmap.id, "questions")
    assert await repo.delete(starmap.id)
    assert await repo.jobs_for(starmap.id) == []
    assert not await repo.has_runnable_jobs()


def test_read_only_error_type_is_a_store_error():
    assert issubclass(StoreReadOnly, Exception)


async def completed_starmap(repo: Repository) -> str:
    """A starmap whose final report was generated."""
    record = await repo.create_starmap("Done", stage_answers=sample_answers())
    await repo.enqueue(record.id, "final")
    job = await repo.claim("w", 30, provider="p", model="m")
    report = {"summary": {"objectives": ["x"]}}
    assert await repo.complete_job(job.id, "w", result=report, markdown="# Done")
    return record.id


async def test_regenerating_keeps_a_completed_starmap_completed(repo: Repository):
    starmap_id = await completed_starmap(repo)
    statuses = []
    await repo.enqueue(starmap_id, "final", params={"extra_context": "more"})
    statuses.append((await repo.get_starmap(starmap_id)).status)
    job = await repo.claim("w", 30, provider="p", model="m")
    statuses.append((await repo.get_starmap(starmap_id)).status)
    await repo.fail_job(job.id, "w", "The model is down.")
    after_failure = await repo.get_starmap(starmap_id)
    await repo.retry(starmap_id)
    await repo.cancel(starmap_id)
    after_cancel = await repo.get_starmap(starmap_id)

    assert statuses == ["completed", "completed"]
    assert after_failure.status == "completed"
    assert after_failure.report_job_error == "The model is down."
    assert after_failure.final_report == "# Done"
    assert after_cancel.status == "completed"
    assert after_cancel.report_job_status == "cancelled"


async def test_retrying_a_regeneration_asks_again_with_its_added_context(
    repo: Repository,
):
    starmap_id = await completed_starmap(repo)
    context = {"extra_context": "The budget is now $250,000."}
    await repo.enqueue(starmap_id, "final", params=context)
    job = await repo.claim("w", 30, provider="p", model="m")
    await repo.fail_job(job.id, "w", "The model is down.")
    (again,) = await repo.retry(starmap_id)
    assert again.kind == "final" and again.id != job.id
    assert again.params == context
    await repo.cancel(starmap_id)
    (third,) = await repo.retry(starmap_id)
    assert third.params == context


async def test_a_sibling_success_keeps_a_failure_and_its_reason_on_show(
    repo: Repository,
):
    record = await repo.create_starmap(
        "Siblings",
        stage_answers=sample_answers(),
        session_state={"headless": True},
        status="queued",
    )
    await repo.enqueue(record.id, "questions")
    await repo.enqueue(record.id, "preliminary")
    questions = await repo.claim("w", 30, provider="p", model="m")
    preliminary = await repo.claim("w", 30, provider="p", model="m")
    await repo.fail_job(questions.id, "w", "The API key was rejected (401).")
    await repo.complete_job(
        preliminary.id, "w", result={"summary": {"objectives": ["x"]}}, markdown="# P"
    )

    stored = await repo.get_starmap(record.id)
    assert stored.status == "failed"
    assert stored.report_job_error == "The API key was rejected (401)."
    assert stored.report_job_status == "failed"
    assert stored.preliminary_report == "# P"


async def test_a_claim_for_one_starmap_takes_only_its_jobs(repo: Repository):
    older = await repo.create_starmap("Older", stage_answers=sample_answers())
    mine = await repo.create_starmap("Mine", stage_answers=sample_answers())
    waiting = await repo.enqueue(older.id, "questions")
    await repo.enqueue(mine.id, "questions")

    assert await repo.has_claimable(older.id)
    first = await repo.claim("w", 30, provider="p", model="m", starmap_id=mine.id)
    second = await repo.claim("w", 30, provider="p", model="m", starmap_id=mine.id)

    assert first is not None and first.starmap_id == mine.id
    assert second is None
    assert not await repo.has_claimable(mine.id)
    assert await repo.has_runnable_jobs(older.id)
    assert await repo.get_job(waiting.id) == waiting


async def running_at(
    repo: Repository, percent: int, owner: str = "w", lease: float = 30
) -> JobRecord:
    """A questions job claimed by ``owner`` and reported at ``percent``."""
    record = await repo.create_starmap("Progress", stage_answers=sample_answers())
    await repo.enqueue(record.id, "questions")
    job = await repo.claim(owner, lease, provider="p", model="m")
    assert await repo.record_progress(job.id, owner, percent, "Writing", 12.0)
    return job


async def shown(repo: Repository, job_id: str) -> tuple[object, ...]:
    """What the store says about a job and its starmap's progress."""
    job = await repo.get_job(job_id)
    record = await repo.get_starmap(job.starmap_id)
    return (
        job.status,
        job.percent,
        job.eta_seconds,
        record.report_job_status,
        record.report_job_progress,
        record.report_job_phase,
    )


async def test_a_failed_job_no_longer_shows_its_last_percent(repo: Repository):
    job = await running_at(repo, 63)

    assert await repo.fail_job(job.id, "w", "The API key was rejected (401).")

    assert await shown(repo, job.id) == ("failed", 0, None, "failed", 0, "Failed")


async def test_a_parked_job_no_longer_shows_its_last_percent(repo: Repository):
    # Each claim with an already expired lease stands for a worker that died.
    job = await running_at(repo, 63, owner="dead-0", lease=-1)
    for n in (1, 2):
        assert await repo.claim(f"dead-{n}", -1, provider="p", model="m")
        assert await repo.record_progress(job.id, f"dead-{n}", 63, "Writing", 5.0)

    assert await repo.claim("next", 5, provider="p", model="m") is None

    assert await shown(repo, job.id) == ("failed", 0, None, "failed", 0, "Failed")
    assert "stopped its worker 3 times" in (await repo.get_job(job.id)).error


async def test_a_cancelled_or_requeued_job_starts_again_from_zero(repo: Repository):
    cancelled = await running_at(repo, 40)
    await repo.cancel(cancelled.starmap_id)
    requeued = await running_at(repo, 55)
    await repo.reschedule_job(requeued.id, "w", "Busy. Retrying in 2 s.", utcnow())

    assert (await shown(repo, cancelled.id))[:5] == (
        "cancelled",
        0,
        None,
        "cancelled",
        0,
    )
    assert (await shown(repo, requeued.id))[:5] == ("queued", 0, None, "queued", 0)


async def test_a_stage_save_and_the_steps_it_queues_are_one_transaction(
    repo: Repository,
):
    answers = sample_answers()
    record = await repo.create_starmap(
        "Together",
        stage_answers=answers,
        completed_stages=("experience", "stage1", "stage2"),
    )
    steps = ("questions", "preliminary")
    refuse_new_jobs(repo.path, True)
    with pytest.raises(sqlite3.IntegrityError, match="injected"):
        await repo.save_stage(
            record.id,
            "stage3",
            answers["stage3"],
            complete=True,
            current_step="dynamic",
            queue=steps,
        )
    refused = await repo.get_starmap(record.id)
    refused_jobs = await repo.jobs_for(record.id)
    refuse_new_jobs(repo.path, False)
    saved = await repo.save_stage(
        record.id,
        "stage3",
        answers["stage3"],
        complete=True,
        current_step="dynamic",
        queue=steps,
    )

    assert refused.current_step == "experience"
    assert "stage3" not in refused.completed_stages
    assert refused_jobs == []
    assert saved.current_step == "dynamic"
    assert "stage3" in saved.completed_stages
    assert [job.kind for job in await repo.jobs_for(record.id)] == list(steps)


async def test_a_new_starmap_and_the_steps_it_queues_are_one_transaction(
    repo: Repository,
):
    steps = ("questions", "preliminary")
    refuse_new_jobs(repo.path, True)
    with pytest.raises(sqlite3.IntegrityError, match="injected"):
        await repo.create_starmap(
            "All or nothing", stage_answers=sample_answers(), queue=steps
        )
    left_behind = await repo.count_starmaps((), "")
    refuse_new_jobs(repo.path, False)
    record = await repo.create_starmap(
        "All or nothing",
        stage_answers=sample_answers(),
        session_state={"headless": True},
        status="queued",
        current_step="dynamic",
        queue=steps,
    )

    assert left_behind == 0
    assert record.current_step == "dynamic"
    assert record.report_job_kind in steps
    assert [job.kind for job in await repo.jobs_for(record.id)] == list(steps)


async def test_missing_deep_dive_steps_are_queued_once_and_failures_left(
    repo: Repository,
):
    record = await repo.create_starmap(
        "Stranded",
        stage_answers=sample_answers(),
        completed_stages=("experience", "stage1", "stage2"),
    )
    before_stage3 = await repo.queue_missing_steps(record.id)
    await repo.save_stage(
        record.id, "stage3", sample_answers()["stage3"], complete=True
    )
    await repo.enqueue(record.id, "questions")
    job = await repo.claim("w", 30, provider="p", model="m")
    await repo.fail_job(job.id, "w", "The model is down.")
    queued = await repo.queue_missing_steps(record.id)
    again = await repo.queue_missing_steps(record.id)

    assert before_stage3 == []
    assert [job.kind for job in queued] == ["preliminary"]
    assert again == []
    kinds = [(job.kind, job.status) for job in await repo.jobs_for(record.id)]
    assert kinds == [("questions", "failed"), ("preliminary", "queued")]


def folder_state(folder: Path) -> dict[str, str]:
    """Every file in ``folder`` with its digest: what 'left as it was' means."""
    return {p.name: digest(p) for p in sorted(folder.iterdir())}


async def wal_store_bytes(tmp_path: Path) -> bytes:
    """The bytes of a real store (WAL mode, one starmap), closed cleanly."""
    path = tmp_path / "made" / "starmap.db"
    repo = await Repository.open(path)
    await repo.create_starmap("Kept", stage_answers=sample_answers())
    await repo.close()
    return path.read_bytes()


def newer(data: bytes) -> bytes:
    """The store as a newer starmap-tui would leave it (user_version bumped)."""
    return data[:60] + (SCHEMA_VERSION + 1).to_bytes(4, "big") + data[64:]


def damaged_first_page(data: bytes) -> bytes:
    """A WAL-mode header whose schema page is garbage."""
    return data[:100] + bytes(range(256)) * 15 + data[3940:]


REFUSED = {
    "newer": (newer, "newer starmap-tui"),
    "damaged": (damaged_first_page, "damaged"),
}
COMMANDS = {
    "list": ["list"],
    "doctor": ["doctor"],
    "show": ["show", "abc"],
    "tui": [],
}


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("case", REFUSED)
async def test_a_refused_store_leaves_its_folder_as_it_was(
    tmp_path: Path, case: str, command: str
):
    make, message = REFUSED[case]
    folder = tmp_path / "store"
    folder.mkdir()
    db = folder / "starmap.db"
    db.write_bytes(make(await wal_store_bytes(tmp_path)))
    before = folder_state(folder)

    done = run_cli(["--db", str(db), *COMMANDS[command]], home=tmp_path / "home")

    assert done.returncode != 0
    assert message in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert folder_state(folder) == before


async def test_the_preflight_check_leaves_no_side_files(tmp_path: Path):
    from starmap_tui.storage.preflight import check_database

    folder = tmp_path / "store"
    folder.mkdir()
    db = folder / "starmap.db"
    db.write_bytes(await wal_store_bytes(tmp_path))
    before = folder_state(folder)

    assert check_database(db) == SCHEMA_VERSION
    assert folder_state(folder) == before
    db.write_bytes(newer(db.read_bytes()))
    with pytest.raises(StoreTooNew):
        check_database(db)
    assert sorted(folder_state(folder)) == ["starmap.db"]


async def test_listing_a_closed_store_leaves_no_side_files(tmp_path: Path):
    folder = tmp_path / "store"
    folder.mkdir()
    db = folder / "starmap.db"
    db.write_bytes(await wal_store_bytes(tmp_path))
    before = folder_state(folder)

    done = run_cli(["--db", str(db), "list"], home=tmp_path / "home")

    assert done.returncode == 0, done.stderr
    assert "Kept" in done.stdout
    assert folder_state(folder) == before


async def test_a_store_damaged_past_its_first_page_is_a_clear_list_error(
    tmp_path: Path,
):
    folder = tmp_path / "store"
    folder.mkdir()
    db = folder / "starmap.db"
    data = await wal_store_bytes(tmp_path)
    db.write_bytes(data[:4096] + b"\xee" * (len(data) - 4096))
    before = folder_state(folder)

    done = run_cli(["--db", str(db), "list"], home=tmp_path / "home")

    assert done.returncode == 1
    assert "damaged" in done.stderr
    assert "Traceback" not in done.stderr
    assert folder_state(folder) == before


# -- rename --------------------------------------------------------------------


async def generated_starmap(repo: Repository, title: str) -> str:
    """A starmap whose preliminary and final reports the offline engine wrote."""
    from starmap_tui.worker.providers.offline import OfflineProvider
    from starmap_tui.worker.runner import Runner, RunnerSettings

    record = await repo.create_starmap(
        title,
        stage_answers=sample_answers(),
        completed_stages=["experience", "stage1", "stage2", "stage3"],
        queue=("questions", "preliminary", "final"),
    )
    quick = RunnerSettings(poll_seconds=0.05, heartbeat_seconds=0.2)
    await Runner(repo, OfflineProvider, quick).run_until_idle()
    return record.id


async def test_renaming_retitles_the_current_reports_and_keeps_revisions(
    repo: Repository,
):
    starmap_id = await generated_starmap(repo, "Old [title]")
    before = await repo.get_starmap(starmap_id)
    revisions = await repo.revisions(starmap_id)
    assert before.final_report.startswith("# Old \\[title\\]\n")

    after = await repo.rename(starmap_id, "  New *title*  ")

    assert after.title == "New *title*"
    for old, new in (
        (before.final_report, after.final_report),
        (before.preliminary_report, after.preliminary_report),
    ):
        assert new.splitlines()[0] == "# New \\*title\\*"
        assert new.splitlines()[1:] == old.splitlines()[1:]
    assert after.final_json == before.final_json
    assert await repo.revisions(starmap_id) == revisions
    assert (await repo.get_starmap(starmap_id)).final_report == after.final_report
    assert [a.event for a in await repo.activity(starmap_id)][-1] == "renamed"


async def test_renaming_leaves_a_heading_the_user_rewrote(repo: Repository):
    starmap_id = await generated_starmap(repo, "Old title")
    report = (await repo.get_starmap(starmap_id)).final_report
    edited = "# Intake plan for the board\n" + report.partition("\n")[2]
    await repo.save_edited_report(starmap_id, "final", edited)

    after = await repo.rename(starmap_id, "New title")

    assert after.final_report == edited
    assert after.preliminary_report.startswith("# New title\n")


async def test_renaming_a_starmap_without_reports_changes_only_the_title(
    repo: Repository,
):
    record = await repo.create_starmap("Draft")

    after = await repo.rename(record.id, "Renamed draft")

    assert (after.title, after.final_report, after.preliminary_report) == (
        "Renamed draft",
        None,
        None,
    )


async def test_a_step_settling_under_a_running_final_keeps_the_final_on_show(
    repo: Repository,
):
    record = await repo.create_starmap("Overlap", stage_answers=sample_answers())
    await repo.enqueue(record.id, "preliminary")
    preliminary = await repo.claim("w", 30, provider="p", model="m")
    final_job = await repo.enqueue(record.id, "final")
    assert await repo.claim("w", 30, provider="p", model="m") == await repo.get_job(
        final_job.id
    )
    assert await repo.record_progress(final_job.id, "w", 67, "Writing", 5.0)

    await repo.complete_job(
        preliminary.id, "w", result={"summary": {"objectives": ["x"]}}, markdown="# P"
    )
    stored = await repo.get_starmap(record.id)
    assert stored.status == "processing"
    assert stored.preliminary_report == "# P"
    assert (
        stored.report_job_id,
        stored.report_job_kind,
        stored.report_job_status,
        stored.report_job_progress,
    ) == (final_job.id, "final", "running", 67)


async def test_a_step_claimed_or_failed_under_a_queued_final_keeps_it_on_show(
    repo: Repository,
):
    record = await repo.create_starmap("Queued", stage_answers=sample_answers())
    await repo.enqueue(record.id, "questions")
    final_job = await repo.enqueue(record.id, "final")
    questions = await repo.claim("w", 30, provider="p", model="m")
    assert questions.kind == "questions"
    shown_while_running = await repo.get_starmap(record.id)

    await repo.fail_job(questions.id, "w", "The API key was rejected (401).")
    stored = await repo.get_starmap(record.id)

    for seen in (shown_while_running, stored):
        assert seen.status in ("queued", "processing")
        assert (seen.report_job_id, seen.report_job_status) == (final_job.id, "queued")
