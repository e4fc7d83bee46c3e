"""The code's shape: import contracts and lint, checked in every test run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def run(tool: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run a tool installed beside this interpreter, from the project root."""
    return subprocess.run(
        [str(BIN / tool), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_import_contracts_hold():
    result = run("lint-imports")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_lint_is_clean():
    result = run("ruff", "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean():
    result = run("ruff", "format", "--check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_importing_the_package_does_no_work(tmp_path: Path):
    home = tmp_path / "home"
    code = (
        "import starmap_tui.cli, starmap_tui.app, starmap_tui.storage.repository, "
        "starmap_tui.worker.runner, starmap_tui.config, starmap_tui.paths"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={"STARMAP_HOME": str(home), "PATH": ""},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert not home.exists()
