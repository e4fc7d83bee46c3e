"""End to end, as a person would: the installed ``starmap-tui`` in tmux.

A starmap is made through the screens with the offline engine (paced so its
work takes long enough to interrupt), the app is killed with SIGKILL while the
final report is being written, and ``--resume`` brings the finished report up
on screen.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from starmap_tui.questionnaire.fields import Field, FieldType
from starmap_tui.questionnaire.stages import STAGE1, STAGE2, STAGE3

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux"),
]

COMMAND = Path(sys.executable).with_name("starmap-tui")
T = FieldType

# What a person types, field by field; a select answer is the option to pick.
ANSWERS: dict[str, object] = {
    "requester_name": "Dana Reyes",
    "requester_role": "L&D Manager",
    "requester_department": "Operations",
    "requester_email": "dana@example.com",
    "org_name": "Northwind Clinics",
    "org_industry": "Healthcare",
    "org_size": "201-500 employees",
    "org_headquarters": "Denver, CO",
    "org_compliance": "HIPAA",
    "org_stakeholders": "HR Leadership",
    "project_objectives": "Cut patient intake errors 30%",
    "project_constraints": "Twelve clinics on shifts",
    "target_audience": "120 front-desk coordinators",
    "project_timeline": ("2027-01-11", "2027-06-30"),
    "project_budget_range": "$50,000 - $100,000",
}


class Terminal:
    """One tmux session on a private server, driven by keys, read as text."""

    def __init__(self, socket: str, env: dict[str, str]) -> None:
        self.socket = socket
        self.env = env

    def tmux(self, *args: str) -> str:
        """Run a tmux command against our private server."""
        done = subprocess.run(
            ["tmux", "-L", self.socket, *args],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        return done.stdout

    def start(self, *args: str) -> None:
        """Start the app in a fresh 120x40 session."""
        settings = [f"-e{name}={value}" for name, value in self.env.items()]
        command = " ".join([str(COMMAND), *args])
        self.tmux(
            "new-session",
            "-d",
            "-s",
            "app",
            "-x",
            "120",
            "-y",
            "40",
            *settings,
            command,
        )

    def pid(self) -> int:
        """The app's process id (the pane runs it directly)."""
        return int(self.tmux("display-message", "-p", "-t", "app", "#{pane_pid}"))

    def screen(self) -> str:
        """The visible screen as text."""
        return self.tmux("capture-pane", "-p", "-t", "app")

    def keys(self, *keys: str) -> None:
        """Press keys one at a time, as a person would."""
        for key in keys:
            self.tmux("send-keys", "-t", "app", key)
            time.sleep(0.12)

    def type(self, text: str) -> None:
        """Type text literally."""
        self.tmux("send-keys", "-t", "app", "-l", text)
        time.sleep(0.12)

    def wait_for(self, text: str, timeout: float = 30.0) -> str:
        """Wait until ``text`` is on screen, then a moment more for focus to land
        (a person reads the screen before typing); fail with the screen if the
        text never shows."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if text in screen:
                time.sleep(0.4)
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"never saw {text!r} on screen:\n{screen}")
            time.sleep(0.1)

    def stop(self) -> None:
        """Kill the private tmux server."""
        subprocess.run(
            ["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=30
        )


@pytest.fixture
def terminal(starmap_home: Path) -> Iterator[Terminal]:
    """A private tmux server with the test's store and a paced offline engine."""
    env = {
        "STARMAP_HOME": str(starmap_home),
        "STARMAP_OFFLINE_PACE": "0.3",
        "TERM": "xterm-256color",
        "PATH": os.environ.get("PATH", ""),
    }
    term = Terminal(f"starmap-e2e-{uuid.uuid4().hex[:8]}", env)
    yield term
    term.stop()


def answer_field(term: Terminal, field: Field) -> None:
    """Answer one field from ANSWERS, or pass over it, ending on the next field."""
    value = ANSWERS.get(field.id)
    if field.type in (T.TEXT, T.TEXTAREA):
        if value:
            term.type(str(value))
            # A person sees the words land before moving on.
            term.wait_for(str(value)[:20])
        term.keys("Tab")
    elif field.type is T.SINGLE_SELECT:
        if value:
            pick_option(term, field, str(value))
        term.keys("Tab")
    elif field.type is T.MULTI_SELECT:
        if value:
            position = field.options.index(str(value))
            term.keys(*["Down"] * position, "space")
        # The list, the "Other…" box and its Add button.
        term.keys("Tab", "Tab", "Tab")
    elif field.type is T.CALENDAR_RANGE:
        start, end = value  # type: ignore[misc]
        term.type(start)
        term.wait_for(start)
        term.keys("Tab")
        term.type(end)
        term.wait_for(end)
        term.keys("Tab")
    else:
        raise AssertionError(f"the e2e test does not fill {field.type} fields")


def pick_option(term: Terminal, field: Field, option: str) -> None:
    """Choose an option in a drop-down (its first entry is the prompt)."""
    term.keys("Enter")
    term.keys(*["Down"] * (field.options.index(option) + 1), "Enter")


def fill_stage(term: Terminal, stage_fields: tuple[Field, ...], step: str) -> None:
    """Answer a stage's fields in order and press Next."""
    term.wait_for(step)
    for field in stage_fields:
        answer_field(term, field)
    term.keys("F3")


def json_from_command(home: Path, *args: str) -> object:
    """What the installed command prints as JSON for ``args`` on ``home``'s store."""
    done = subprocess.run(
        [str(COMMAND), *args],
        env={**os.environ, "STARMAP_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout)


def starmap_in_store(home: Path) -> dict[str, object]:
    """The one starmap as ``starmap-tui list --json`` reports it."""
    rows = json_from_command(home, "list", "--json")
    assert isinstance(rows, list) and len(rows) == 1, rows
    return rows[0]


def wait_for_final_running(home: Path, timeout: float = 60) -> dict[str, object]:
    """Poll the store until the final report is being written."""
    deadline = time.monotonic() + timeout
    while True:
        row = starmap_in_store(home)
        if row["job"] == "final" and row["job_status"] == "running":
            return row
        if time.monotonic() > deadline:
            raise AssertionError(f"the final report never started: {row}")
        time.sleep(0.2)


def test_make_a_starmap_kill_the_app_mid_generation_and_resume(
    terminal: Terminal, starmap_home: Path
):
    terminal.start()
    terminal.wait_for("No starmaps yet")
    terminal.keys("n")
    terminal.wait_for("Step 1 of 6")
    terminal.type("Intake accuracy")
    terminal.keys("Tab", "Enter", "F3")
    fill_stage(terminal, STAGE1.fields, "Step 2 of 6")
    fill_stage(terminal, STAGE2.fields, "Step 3 of 6")
    fill_stage(terminal, STAGE3.fields, "Step 4 of 6")

    terminal.wait_for("Step 5 of 6")
    terminal.wait_for("Generate", timeout=60)
    terminal.keys("F5")
    # The final report's progress shows where Generate was pressed. (Whether
    # the preliminary report is done by then depends on the two jobs' pace;
    # the report screen's tests cover how it is labelled.)
    terminal.wait_for("Final report", timeout=60)
    row = wait_for_final_running(starmap_home)
    os.kill(terminal.pid(), signal.SIGKILL)

    assert starmap_in_store(starmap_home)["status"] == "processing"
    terminal.stop()
    terminal.start("--resume", str(row["id"])[:8])
    screen = terminal.wait_for("Executive Summary", timeout=90)
    assert "Intake accuracy" in screen
    terminal.wait_for("completed", timeout=60)
    assert starmap_in_store(starmap_home)["status"] == "completed"
