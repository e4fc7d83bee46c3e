"""The headless command line, driven as a real subprocess against a temp store."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from starmap_tui.storage.errors import AmbiguousStarmap, UnknownStarmap
from starmap_tui.storage.listing import pick_one
from starmap_tui.storage.repository import Repository
from tests.helpers import flat_answers, sample_answers

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$")
JSON_KEYS = {"id", "title", "status", "progress", "created_at", "updated_at"}


# -- running the command -------------------------------------------------------


def cli(
    *args: str, stdin: str | None = None, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``starmap-tui ARGS`` to completion with this test's STARMAP_HOME."""
    env = os.environ.copy()
    env.update(extra_env or {})
    return subprocess.run(
        [sys.executable, "-m", "starmap_tui", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def start_cli(*args: str, extra_env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start ``starmap-tui ARGS`` in the background."""
    env = os.environ.copy()
    env.update(extra_env or {})
    return subprocess.Popen(
        [sys.executable, "-m", "starmap_tui", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def wait_for(
    condition: Callable[[], bool], *, timeout: float = 30.0, message: str = ""
) -> None:
    """Poll ``condition`` until true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {message}")
        time.sleep(0.05)


def last_line(text: str) -> str:
    """The last non-empty line of some output."""
    return [line for line in text.splitlines() if line.strip()][-1]


# -- answers files and the store -------------------------------------------------


def answers_doc(title: str = "Front desk onboarding", **dynamic: Any) -> dict:
    """A valid answers document with optional deep-dive answers."""
    return {
        "title": title,
        "answers": flat_answers(sample_answers()),
        "dynamic_answers": dynamic,
    }


def write_json(path: Path, data: Any) -> Path:
    """Write ``data`` as JSON to ``path``."""
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.fixture
def answers_path(tmp_path: Path) -> Path:
    """A valid answers file without deep-dive answers."""
    return write_json(tmp_path / "answers.json", answers_doc())


def new_starmap(answers: Path, *flags: str) -> str:
    """Run ``new`` and return the id it printed."""
    done = cli("new", "--answers", str(answers), *flags)
    assert done.returncode == 0, done.stderr
    return last_line(done.stdout)


def listed(*flags: str) -> list[dict[str, Any]]:
    """``list --json`` decoded."""
    done = cli("list", "--json", *flags)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def db_query(db: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Rows from a read-only look at the store."""
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True, timeout=20)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def starmap_status(db: Path, starmap_id: str) -> str:
    """The starmap's status straight from the store."""
    return db_query(db, "SELECT status FROM starmap WHERE id = ?", starmap_id)[0][0]


def job_statuses(db: Path, starmap_id: str) -> dict[str, str]:
    """The latest status of each job kind of a starmap."""
    rows = db_query(
        db,
        "SELECT kind, status FROM report_job WHERE starmap_id = ? ORDER BY created_at",
        starmap_id,
    )
    return dict(rows)


def store_files(folder: Path) -> dict[str, bytes]:
    """Every file in the data folder with its bytes."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def closed_port() -> int:
    """A 127.0.0.1 port that nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- a local stand-in for a networked model ------------------------------------


class FakeModel(ThreadingHTTPServer):
    """A 127.0.0.1 server that refuses with 401 ("refuse"), answers 503
    ("busy") or holds requests open ("hang")."""

    daemon_threads = True

    def __init__(self, mode: str) -> None:
        super().__init__(("127.0.0.1", 0), _FakeModelHandler)
        self.mode = mode
        self.requests = 0
        self.release = threading.Event()

    @property
    def base_url(self) -> str:
        """The OpenAI-style base URL to pass with --base-url."""
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class _FakeModelHandler(BaseHTTPRequestHandler):
    server: FakeModel

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.requests += 1
        if self.server.mode == "hang":
            # Keep the step running until the test is done with it.
            self.server.release.wait(60)
            return
        busy = self.server.mode == "busy"
        said = (
            "overloaded, says the test server"
            if busy
            else "bad key from the test server"
        )
        body = json.dumps({"error": {"message": said}})
        self.send_response(503 if busy else 401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output quiet."""


@pytest.fixture
def fake_model(request: pytest.FixtureRequest) -> Iterator[FakeModel]:
    """A FakeModel in the mode given by indirect parametrisation."""
    server = FakeModel(getattr(request, "param", "refuse"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()


def openai_flags(model: FakeModel) -> list[str]:
    """Global options that point the provider at the fake model."""
    return ["--provider", "openai", "--model", "m", "--base-url", model.base_url]


KEY_ENV = {"STARMAP_API_KEY": "dummy"}


# -- new -----------------------------------------------------------------------------


def test_new_prints_the_id_last_and_leaves_it_queued(
    answers_path: Path, db_path: Path
) -> None:
    done = cli("new", "--answers", str(answers_path))

    assert done.returncode == 0, done.stderr
    starmap_id = last_line(done.stdout)
    assert UUID.match(starmap_id)
    rows = listed()
    assert [(r["id"], r["status"]) for r in rows] == [(starmap_id, "queued")]
    assert job_statuses(db_path, starmap_id) == {
        "questions": "queued",
        "preliminary": "queued",
    }
    table = cli("list").stdout
    assert starmap_id in table
    assert "queued" in table


def test_new_reads_the_file_from_stdin_and_takes_the_title_flag() -> None:
    text = json.dumps(answers_doc(title="From the file"))

    done = cli("new", "--answers", "-", "--title", "From the flag", stdin=text)

    assert done.returncode == 0, done.stderr
    assert listed()[0]["title"] == "From the flag"


def test_new_run_generates_everything_and_reports_progress(
    answers_path: Path,
) -> None:
    done = cli("new", "--answers", str(answers_path), "--run")

    assert done.returncode == 0, done.stderr
    starmap_id = last_line(done.stdout)
    assert UUID.match(starmap_id)
    for step in ("[questions]", "[preliminary]", "[final]"):
        assert step in done.stderr
    assert re.search(r"\[final\] \w+ 100%", done.stderr)
    assert "Completed: Front desk onboarding" in done.stderr
    assert listed()[0]["status"] == "completed"
    report = cli("show", starmap_id).stdout
    assert "## Executive Summary" in report


JOB_STATE = (
    "SELECT id, status, attempt, lease_owner, lease_expires_at, percent, "
    "started_at, updated_at FROM report_job WHERE starmap_id = ? ORDER BY id"
)
STARMAP_STATE = (
    "SELECT status, report_job_status, report_job_progress, report_job_phase, "
    "updated_at FROM starmap WHERE id = ?"
)


async def _queue_someone_elses_starmap(db_path: Path) -> str:
    """A starmap queued by another process, waiting for its own worker."""
    repo = await Repository.open(db_path)
    try:
        record = await repo.create_starmap(
            "Someone else's", stage_answers=sample_answers(), status="queued"
        )
        await repo.enqueue(record.id, "questions", headless=True)
        await repo.enqueue(record.id, "preliminary")
        return record.id
    finally:
        await repo.close()


async def test_new_run_leaves_other_starmaps_jobs_alone(
    answers_path: Path, db_path: Path
) -> None:
    other = await _queue_someone_elses_starmap(db_path)
    jobs_before = db_query(db_path, JOB_STATE, other)
    starmap_before = db_query(db_path, STARMAP_STATE, other)

    done = cli("new", "--answers", str(answers_path), "--run")

    assert done.returncode == 0, done.stderr
    mine = last_line(done.stdout)
    assert starmap_status(db_path, mine) == "completed"
    assert set(job_statuses(db_path, mine).values()) == {"succeeded"}
    assert db_query(db_path, JOB_STATE, other) == jobs_before
    assert [row[1] for row in jobs_before] == ["queued", "queued"]
    assert db_query(db_path, STARMAP_STATE, other) == starmap_before


def deep_dive_answer(question: dict[str, Any]) -> tuple[Any, str]:
    """A valid answer for a generated question, and how the report shows it."""
    if question["type"] in ("text", "textarea"):
        return f"Answer for {question['id']}", f"Answer for {question['id']}"
    if question["type"] == "multi_select":
        return [question["options"][0]], question["options"][0]
    raise AssertionError(f"no sample answer for {question['type']}")


def test_new_run_uses_the_deep_dive_answers_given(
    answers_path: Path, tmp_path: Path
) -> None:
    first = new_starmap(answers_path, "--run")
    exported = json.loads(cli("export", first, "--format", "json").stdout)
    questions = exported["dynamic_questions"]["questions"]
    asked = [
        next(q for q in questions if q["type"] == "multi_select"),
        next(q for q in questions if q["type"] in ("text", "textarea")),
    ]
    given = {q["id"]: deep_dive_answer(q) for q in asked}

    second = new_starmap(
        write_json(
            tmp_path / "deep.json",
            answers_doc(**{k: answer for k, (answer, _) in given.items()}),
        ),
        "--run",
    )

    report = cli("show", second).stdout
    before = cli("show", first).stdout
    assert "## Executive Summary" in report
    discovery = report.split("## Discovery Q&A", 1)[1].splitlines()
    for question in asked:
        colon = "" if question["label"].endswith("?") else ":"
        line = f"- **{question['label']}{colon}** {given[question['id']][1]}"
        assert line in discovery
        assert line not in before.splitlines()
    assert "### Unknowns" in report


def test_new_run_exits_1_with_the_reason_when_a_step_fails(
    answers_path: Path, fake_model: FakeModel
) -> None:
    done = cli(
        *openai_flags(fake_model),
        "new",
        "--answers",
        str(answers_path),
        "--run",
        extra_env=KEY_ENV,
    )

    assert done.returncode == 1, done.stderr
    assert "failed" in done.stderr
    assert "API key was rejected" in done.stderr
    assert fake_model.requests >= 1
    assert UUID.match(last_line(done.stdout))
    assert listed()[0]["status"] == "failed"


def test_new_with_a_missing_file_is_a_usage_error(
    tmp_path: Path, db_path: Path
) -> None:
    done = cli("new", "--answers", str(tmp_path / "nope.json"))

    assert done.returncode == 2
    assert "No such answers file" in done.stderr
    assert not db_path.exists()


def _malformed() -> str:
    return '{"title": "x", "answers": {'


def _wrong_types() -> str:
    doc = answers_doc()
    doc["answers"].update(requester_name=["Dana"], org_compliance=42)
    doc["dynamic_answers"] = "none"
    return json.dumps(doc)


def _unknown_ids() -> str:
    doc = answers_doc()
    doc["answers"].update(favourite_colour="blue", org_nmae="typo")
    return json.dumps(doc)


def _several_bad() -> str:
    doc = answers_doc(title="")
    doc["answers"].update(
        requester_email="not-an-email",
        exp_level="Wizard",
        project_timeline={"start": "2027-06-30", "end": "2027-01-01"},
    )
    del doc["answers"]["org_name"]
    return json.dumps(doc)


INVALID = {
    "malformed": (_malformed, ["not valid JSON (line 1"]),
    "wrong types": (
        _wrong_types,
        ["requester_name:", "org_compliance:", "dynamic_answers:"],
    ),
    "unknown ids": (_unknown_ids, ["favourite_colour:", "org_nmae:"]),
    "several bad fields": (
        _several_bad,
        [
            "title:",
            "requester_email:",
            "exp_level:",
            "project_timeline:",
            "org_name:",
        ],
    ),
}


@pytest.mark.parametrize("case", INVALID, ids=list(INVALID))
def test_invalid_files_list_every_problem_and_create_nothing(
    case: str, tmp_path: Path, db_path: Path
) -> None:
    make_text, expected = INVALID[case]
    path = tmp_path / "bad.json"
    path.write_text(make_text(), encoding="utf-8")

    done = cli("new", "--answers", str(path), "--run")

    assert done.returncode == 2
    assert done.stdout == ""
    assert "nothing was saved" in done.stderr
    problems = [ln for ln in done.stderr.splitlines() if ln.startswith("  - ")]
    for fragment in expected:
        assert any(fragment in line for line in problems), (fragment, done.stderr)
    assert len(problems) == len(expected)
    assert not db_path.exists()


@pytest.mark.parametrize("case", INVALID, ids=list(INVALID))
def test_invalid_files_leave_an_existing_store_untouched(
    case: str, answers_path: Path, tmp_path: Path, db_path: Path
) -> None:
    new_starmap(answers_path)
    before = store_files(db_path.parent)
    path = tmp_path / "bad.json"
    path.write_text(INVALID[case][0](), encoding="utf-8")

    done = cli("new", "--answers", str(path))

    assert done.returncode == 2
    assert store_files(db_path.parent) == before
    assert len(listed()) == 1


def test_global_db_option_puts_the_store_elsewhere(
    answers_path: Path, tmp_path: Path, db_path: Path
) -> None:
    other = tmp_path / "elsewhere" / "my.db"

    starmap_id = last_line(
        cli("--db", str(other), "new", "--answers", str(answers_path)).stdout
    )

    assert other.exists()
    assert not db_path.exists()
    assert [r["id"] for r in listed()] == []
    assert [
        r["id"] for r in json.loads(cli("--db", str(other), "list", "--json").stdout)
    ] == [starmap_id]


# -- list ------------------------------------------------------------------------------


async def make_mixed_store(db_path: Path) -> dict[str, str]:
    """One starmap in each status, made through the repository; status → id."""
    repo = await Repository.open(db_path)
    try:
        ids = {"failed": await _settled_one(repo, "failed", "questions")}
        ids["completed"] = await _settled_one(repo, "completed", "final")
        ids["cancelled"] = await _queued_one(repo, "cancelled")
        await repo.cancel(ids["cancelled"])
        ids["queued"] = await _queued_one(repo, "queued")
        ids["draft"] = (await repo.create_starmap("A draft")).id
        return ids
    finally:
        await repo.close()


async def _queued_one(repo: Repository, status: str, kind: str = "questions") -> str:
    record = await repo.create_starmap(
        f"A {status} one",
        stage_answers=sample_answers(),
        session_state={"headless": True},
        status="queued",
    )
    await repo.enqueue(record.id, kind)
    return record.id


async def _settled_one(repo: Repository, status: str, kind: str) -> str:
    """A starmap whose only job was claimed, then failed or completed."""
    starmap_id = await _queued_one(repo, status, kind)
    job = await repo.claim("test:1:x", 30, provider="p", model="m")
    assert job is not None and job.starmap_id == starmap_id
    if status == "failed":
        assert await repo.fail_job(job.id, "test:1:x", "Refused by the test.")
    else:
        done = await repo.complete_job(
            job.id, "test:1:x", result={}, markdown="# Done\n"
        )
        assert done
    return starmap_id


@pytest.fixture
async def mixed_store(db_path: Path) -> dict[str, str]:
    """A store holding a draft, queued, cancelled, failed and completed starmap."""
    ids = await make_mixed_store(db_path)
    assert {r["id"]: r["status"] for r in listed()} == {v: k for k, v in ids.items()}
    return ids


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("completed", {"completed"}),
        ("failed", {"failed"}),
        ("cancelled", {"cancelled"}),
        ("draft", {"draft"}),
        ("queued", {"queued"}),
        ("in-progress", {"draft", "queued"}),
        ("IN-PROGRESS", {"draft", "queued"}),
        ("all", {"draft", "queued", "cancelled", "failed", "completed"}),
    ],
)
def test_list_filters_by_status(
    mixed_store: dict[str, str], name: str, expected: set[str]
) -> None:
    rows = listed("--status", name)

    assert {r["id"] for r in rows} == {mixed_store[s] for s in expected}


def test_list_table_shows_the_filtered_rows(mixed_store: dict[str, str]) -> None:
    table = cli("list", "--status", "failed").stdout

    assert mixed_store["failed"] in table
    assert mixed_store["completed"] not in table
    assert table.splitlines()[0].split()[:2] == ["ID", "STATUS"]


def test_list_json_has_the_documented_shape(mixed_store: dict[str, str]) -> None:
    rows = listed()

    assert len(rows) == 5
    for row in rows:
        assert set(row) >= JSON_KEYS
        assert isinstance(row["progress"], int)
        assert 0 <= row["progress"] <= 100
        created = datetime.fromisoformat(row["created_at"])
        assert datetime.fromisoformat(row["updated_at"]) >= created
    stamps = [row["updated_at"] for row in rows]
    assert stamps == sorted(stamps, reverse=True)
    done = next(r for r in rows if r["id"] == mixed_store["completed"])
    assert (done["title"], done["progress"]) == ("A completed one", 100)


def test_list_limit(mixed_store: dict[str, str]) -> None:
    everything = listed()

    assert listed("--limit", "2") == everything[:2]
    assert listed("--limit", "0") == everything
    table = cli("list", "--limit", "0").stdout
    assert "No starmaps match." not in table
    assert len(table.splitlines()) == 1 + len(everything)
    assert "0: no limit" in cli("list", "--help").stdout


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--status", "finished"], "Unknown status 'finished'"),
        (["--limit", "-1"], "--limit must be 0 or more"),
        (["--limit", "many"], "invalid int value"),
    ],
)
def test_list_rejects_bad_options(flags: list[str], message: str) -> None:
    done = cli("list", *flags)

    assert done.returncode == 2
    assert message in done.stderr


async def test_list_makes_control_characters_in_titles_visible(
    repo: Repository,
) -> None:
    await repo.create_starmap("Plain title")
    await repo.create_starmap("Red \x1b[31malert\x07 title")

    table = cli("list").stdout

    assert "\x1b" not in table
    assert "\x07" not in table
    assert "Red \\x1b[31malert\\x07 title" in table
    assert "Plain title" in table
    assert json.loads(cli("list", "--json").stdout)[0]["title"].startswith("Red \x1b")


def test_list_without_a_store_says_so_and_creates_none(db_path: Path) -> None:
    assert cli("list").stdout.strip() == "No starmaps yet."
    assert json.loads(cli("list", "--json").stdout) == []
    assert not db_path.exists()


# -- show and export -------------------------------------------------------------


@pytest.fixture
def completed_id(answers_path: Path) -> str:
    """The id of a starmap generated with ``new --run``."""
    return new_starmap(answers_path, "--run")


def test_show_accepts_a_prefix_in_any_case(completed_id: str) -> None:
    full = cli("show", completed_id)
    short = cli("show", completed_id[:6].upper())

    assert full.returncode == short.returncode == 0
    assert short.stdout == full.stdout
    assert short.stdout.startswith("# Front desk onboarding")
    assert "## Executive Summary" in short.stdout


def test_show_without_a_report_yet_is_a_failure(answers_path: Path) -> None:
    starmap_id = new_starmap(answers_path)

    done = cli("show", starmap_id[:8])

    assert done.returncode == 1
    assert "has no report yet (status: queued" in done.stderr


@pytest.mark.parametrize("command", ["show", "export"])
def test_show_and_export_of_an_unfinished_draft_say_what_is_missing(
    mixed_store: dict[str, str], command: str
) -> None:
    draft = mixed_store["draft"]

    done = cli(command, draft[:8])

    assert done.returncode == 1
    assert "questionnaire is not finished" in done.stderr
    assert f"starmap-tui --resume {draft[:8]}" in done.stderr
    assert "new --answers" in done.stderr
    assert "worker" not in done.stderr


def test_show_of_a_failed_starmap_names_the_retry_command(
    mixed_store: dict[str, str],
) -> None:
    failed = mixed_store["failed"]

    done = cli("show", failed)

    assert done.returncode == 1
    assert "Refused by the test." in done.stderr
    assert f"starmap-tui retry {failed[:8]}" in done.stderr


@pytest.mark.parametrize("command", ["show", "export"])
def test_an_unknown_id_is_a_usage_error(completed_id: str, command: str) -> None:
    other = "0" if completed_id[0] != "0" else "1"

    done = cli(command, other + completed_id[1:])

    assert done.returncode == 2
    assert "No starmap id starts with" in done.stderr
    assert done.stdout == ""


@pytest.mark.parametrize("command", ["show", "export"])
async def test_an_ambiguous_prefix_is_a_usage_error(
    repo: Repository, command: str
) -> None:
    # Seventeen uuids over sixteen hex digits: two must share a first character.
    ids = [(await repo.create_starmap(f"Starmap {n}")).id for n in range(17)]
    firsts = [i[0] for i in ids]
    shared = next(c for c in firsts if firsts.count(c) > 1)

    done = cli(command, shared)

    assert done.returncode == 2
    assert f"'{shared}' matches more than one starmap" in done.stderr
    for starmap_id in ids:
        if starmap_id[0] == shared:
            assert starmap_id[:13] in done.stderr


def test_pick_one_explains_each_failure() -> None:
    ids = ["abc12345-0000", "abc12399-0000"]

    assert pick_one("abc123", ids[:1]) == ids[0]
    with pytest.raises(AmbiguousStarmap, match="matches more than one"):
        pick_one("abc123", ids)
    with pytest.raises(UnknownStarmap, match="No starmap id starts with 'zz'"):
        pick_one("zz", [])
    with pytest.raises(UnknownStarmap, match="Give a starmap id"):
        pick_one("  ", ids)


def test_an_empty_id_is_a_usage_error(completed_id: str) -> None:
    done = cli("show", "")

    assert done.returncode == 2
    assert "Give a starmap id" in done.stderr


def test_export_markdown_to_stdout_and_to_a_file(
    completed_id: str, tmp_path: Path
) -> None:
    shown = cli("show", completed_id).stdout
    target = tmp_path / "out" / "report.md"

    to_stdout = cli("export", completed_id[:8])
    to_file = cli("export", completed_id[:8], "-o", str(target))

    assert to_stdout.returncode == to_file.returncode == 0
    assert to_stdout.stdout.strip() == shown.strip()
    assert target.read_text(encoding="utf-8").strip() == shown.strip()
    assert f"Wrote {target}" in to_file.stderr
    assert to_file.stdout == ""


@pytest.mark.parametrize(
    ("flags", "name"), [(["--format", "html"], "r.txt"), ([], "report.html")]
)
def test_export_html(
    completed_id: str, tmp_path: Path, flags: list[str], name: str
) -> None:
    target = tmp_path / name

    done = cli("export", completed_id, "-o", str(target), *flags)

    assert done.returncode == 0, done.stderr
    html = target.read_text(encoding="utf-8")
    assert html.lstrip().lower().startswith("<!doctype html>")
    assert "Executive Summary</h2>" in html
    assert "<title>Front desk onboarding</title>" in html


def test_export_json_goes_back_into_new(
    completed_id: str, tmp_path: Path, db_path: Path
) -> None:
    target = tmp_path / "starmap.json"
    assert cli("export", completed_id, "-o", str(target)).returncode == 0
    exported = json.loads(target.read_text(encoding="utf-8"))
    assert exported["title"] == "Front desk onboarding"
    assert exported["answers"]["org_name"] == "Northwind Clinics"
    assert "## Executive Summary" in exported["markdown"]

    again = new_starmap(target, "--title", "Imported again", "--run")

    assert again != completed_id
    assert starmap_status(db_path, again) == "completed"
    reimported = json.loads(cli("export", again, "--format", "json").stdout)
    assert reimported["answers"] == exported["answers"]
    assert reimported["title"] == "Imported again"


def test_export_json_of_a_queued_starmap_still_works(answers_path: Path) -> None:
    starmap_id = new_starmap(answers_path)

    done = cli("export", starmap_id, "--format", "json")

    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert (data["status"], data["report"]) == ("queued", None)
    assert cli("export", starmap_id, "--format", "md").returncode == 1


def test_export_to_an_unwritable_place_fails_clearly(
    completed_id: str, tmp_path: Path
) -> None:
    done = cli("export", completed_id, "-o", str(tmp_path))

    assert done.returncode == 1
    assert f"Cannot write {tmp_path}" in done.stderr


# -- retry ----------------------------------------------------------------------------


def test_retry_queues_what_failed_or_was_cancelled(
    mixed_store: dict[str, str], db_path: Path
) -> None:
    failed, cancelled = mixed_store["failed"], mixed_store["cancelled"]

    done = cli("retry", failed[:6])
    again = cli("retry", cancelled)

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(
        f"Queued again for 'A failed one' ({failed[:8]}): questions."
    )
    assert job_statuses(db_path, failed) == {"questions": "queued"}
    assert again.returncode == 0, again.stderr
    assert "'A cancelled one'" in again.stdout
    assert job_statuses(db_path, cancelled) == {"questions": "queued"}


@pytest.mark.parametrize("status", ["completed", "draft", "queued"])
def test_retry_with_nothing_to_retry_says_so(
    mixed_store: dict[str, str], db_path: Path, status: str
) -> None:
    starmap_id = mixed_store[status]
    jobs = job_statuses(db_path, starmap_id)

    done = cli("retry", starmap_id)

    assert done.returncode == 1
    assert "Nothing to retry" in done.stderr
    assert f"(status: {status})" in done.stderr
    assert done.stdout == ""
    assert job_statuses(db_path, starmap_id) == jobs


def test_retry_of_an_unknown_id_is_a_usage_error(mixed_store: dict[str, str]) -> None:
    done = cli("retry", "zz")

    assert done.returncode == 2
    assert "No starmap id starts with 'zz'" in done.stderr


def test_a_failed_new_run_names_the_retry_command(
    answers_path: Path, fake_model: FakeModel
) -> None:
    done = cli(
        *openai_flags(fake_model),
        "new",
        "--answers",
        str(answers_path),
        "--run",
        extra_env=KEY_ENV,
    )

    assert done.returncode == 1
    starmap_id = last_line(done.stdout)
    assert f"run 'starmap-tui retry {starmap_id[:8]}'" in done.stderr


def test_the_readme_and_the_help_list_every_command() -> None:
    from starmap_tui.cli import COMMANDS

    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    block = readme.split("### Command line", 1)[1].split("```")[1]
    usage = cli("--help").stdout
    for name in COMMANDS:
        assert f"starmap-tui {name}" in block, name
        assert re.search(rf"^\s+{name}\s+\w", usage, re.M), name


# -- worker ---------------------------------------------------------------------------


def test_worker_once_carries_a_new_starmap_to_completed(
    answers_path: Path, db_path: Path
) -> None:
    starmap_id = new_starmap(answers_path)

    done = cli("worker", "--once", "--concurrency", "2")

    assert done.returncode == 0, done.stderr
    assert starmap_status(db_path, starmap_id) == "completed"
    assert job_statuses(db_path, starmap_id) == {
        "questions": "succeeded",
        "preliminary": "succeeded",
        "final": "succeeded",
    }
    assert "## Executive Summary" in cli("show", starmap_id).stdout
    lines = done.stdout.splitlines()
    short = starmap_id[:8]
    assert sorted(lines[:-1]) == sorted(
        f"{short}  {kind:<11}  succeeded"
        for kind in ("questions", "preliminary", "final")
    )
    assert lines[-1] == "Finished 3 jobs: 3 succeeded."


def test_worker_once_with_nothing_to_do_returns_at_once() -> None:
    done = cli("worker", "--once")

    assert done.returncode == 0, done.stderr
    assert done.stdout == "Finished no jobs.\n"


def test_worker_once_prints_a_failure_with_its_reason(
    answers_path: Path, fake_model: FakeModel
) -> None:
    starmap_id = new_starmap(answers_path)

    done = cli(*openai_flags(fake_model), "worker", "--once", extra_env=KEY_ENV)

    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    failed = [line for line in lines if " failed: " in line]
    assert failed and all(line.startswith(starmap_id[:8]) for line in failed)
    assert "API key was rejected" in failed[0]
    assert lines[-1].startswith(f"Finished {len(failed)} job")
    assert f"{len(failed)} failed" in lines[-1]


def test_worker_rejects_a_concurrency_below_one() -> None:
    done = cli("worker", "--concurrency", "0")

    assert done.returncode == 2
    assert "--concurrency must be at least 1" in done.stderr


def stop_worker(worker: subprocess.Popen, sig: signal.Signals) -> tuple[int, str]:
    """Signal a worker and return its exit code and stderr."""
    worker.send_signal(sig)
    try:
        _, stderr = worker.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.communicate()
        raise
    return worker.returncode, stderr


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_worker_runs_until_signalled_and_stops_gracefully(
    answers_path: Path, db_path: Path, sig: signal.Signals
) -> None:
    starmap_id = new_starmap(answers_path)
    worker = start_cli("worker", "--concurrency", "2")
    try:
        wait_for(
            lambda: starmap_status(db_path, starmap_id) == "completed",
            message="the worker to complete the starmap",
        )
        assert worker.poll() is None, "the worker stopped on its own"
    finally:
        code, stderr = stop_worker(worker, sig)

    assert code == 0, stderr
    assert "worker stopped" in stderr


@pytest.mark.parametrize("fake_model", ["hang"], indirect=True)
def test_worker_gives_back_a_running_job_on_sigterm(
    answers_path: Path, db_path: Path, fake_model: FakeModel
) -> None:
    starmap_id = new_starmap(answers_path)
    worker = start_cli(
        *openai_flags(fake_model), "worker", "--concurrency", "1", extra_env=KEY_ENV
    )
    try:
        wait_for(lambda: fake_model.requests >= 1, message="a request to the model")
        assert "running" in job_statuses(db_path, starmap_id).values()
    finally:
        code, stderr = stop_worker(worker, signal.SIGTERM)

    assert code == 0, stderr
    rows = db_query(
        db_path,
        "SELECT status, attempt, lease_owner FROM report_job WHERE starmap_id = ?",
        starmap_id,
    )
    assert rows == [("queued", 0, None), ("queued", 0, None)]


# -- paths and doctor -------------------------------------------------------------


def test_paths_point_inside_starmap_home(starmap_home: Path, tmp_path: Path) -> None:
    done = cli("paths")

    assert done.returncode == 0
    lines = dict(line.split(None, 1) for line in done.stdout.splitlines())
    assert Path(lines["database"]) == starmap_home / "data" / "starmap.db"
    assert Path(lines["config"]) == starmap_home / "config" / "config.toml"
    assert Path(lines["log"]) == starmap_home / "log" / "starmap-tui.log"
    other = tmp_path / "x.db"
    assert f"database       {other}" in cli("--db", str(other), "paths").stdout


def test_doctor_with_the_offline_provider_is_happy(db_path: Path) -> None:
    done = cli("doctor")

    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"^store\s+ok\s+.*starmap\.db: 0 starmaps", done.stdout, re.M)
    lines = done.stdout.splitlines()
    assert lines[1] == (
        "provider  ok    the offline engine needs no network and no key."
    )
    assert "OK" not in done.stdout


@pytest.mark.parametrize("fake_model", ["busy"], indirect=True)
def test_doctor_does_not_promise_a_retry_it_will_not_make(
    fake_model: FakeModel,
) -> None:
    done = cli(*openai_flags(fake_model), "doctor", extra_env=KEY_ENV)

    assert done.returncode == 1
    (line,) = [x for x in done.stdout.splitlines() if x.startswith("provider")]
    assert line.startswith(
        f"provider  FAIL  openai model 'm' at {fake_model.base_url}: "
        f"{fake_model.base_url}"
    )
    assert "overloaded (503)" in line
    assert "will retry" not in line
    assert "run 'starmap-tui doctor' again" in line
    assert fake_model.requests == 1


def test_doctor_says_when_the_provider_cannot_be_reached() -> None:
    url = f"http://127.0.0.1:{closed_port()}/v1"

    done = cli("--provider", "openai", "--base-url", url, "doctor", extra_env=KEY_ENV)

    assert done.returncode == 1
    assert re.search(r"^store\s+ok", done.stdout, re.M)
    assert re.search(
        rf"^provider\s+FAIL\s+.*Cannot reach {re.escape(url)}", done.stdout, re.M
    )
    assert "dummy" not in done.stdout + done.stderr
