"""Closing the terminal (SIGHUP) or being asked to stop (SIGTERM) quits as
ctrl+q does: what was typed a moment before is saved, nothing is lost."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from test_e2e_tmux import (
    Terminal,
    json_from_command,
    pytestmark,
    starmap_in_store,
    terminal,
)

__all__ = ["pytestmark", "terminal"]


def answers_in_store(home: Path, starmap_id: str) -> dict[str, object]:
    """The answers as ``export --format json`` gives them back."""
    document = json_from_command(home, "export", starmap_id, "--format", "json")
    assert isinstance(document, dict)
    return document["answers"]


def wait_gone(pid: int, timeout: float = 30.0) -> None:
    """Wait until the process has exited."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"process {pid} is still running")
        time.sleep(0.1)


@pytest.mark.parametrize(
    "sig", [signal.SIGHUP, signal.SIGTERM, None], ids=["HUP", "TERM", "closed"]
)
def test_a_hangup_right_after_typing_saves_the_answer(
    terminal: Terminal, starmap_home: Path, sig: signal.Signals | None
):
    """None: the terminal itself goes away (its tmux server is killed)."""
    terminal.start()
    terminal.wait_for("No starmaps yet")
    terminal.keys("n")
    terminal.wait_for("Step 1 of 6")
    terminal.type("Hang-up test")
    terminal.keys("Tab", "Enter", "F3")
    terminal.wait_for("Step 2 of 6")
    name = f"Dana {sig.name if sig else 'Closed'} Reyes"
    terminal.type(name)
    terminal.wait_for(name)
    # Well inside the two seconds autosave waits for.
    pid = terminal.pid()
    if sig is None:
        terminal.stop()
    else:
        os.kill(pid, sig)
    # Gone, not left running (and holding its jobs) without a terminal.
    wait_gone(pid)
    row = starmap_in_store(starmap_home)
    assert row["title"] == "Hang-up test"
    assert answers_in_store(starmap_home, str(row["id"]))["requester_name"] == name
