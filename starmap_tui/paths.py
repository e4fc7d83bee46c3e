"""Where starmap-tui keeps its files.

Nothing here touches the disk at import time. ``STARMAP_HOME`` moves every
location below one folder, which is what the tests use.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "starmap-tui"
HOME_ENV = "STARMAP_HOME"


@dataclass(frozen=True)
class AppPaths:
    """The folders and files the app uses; resolved once at start-up."""

    data_dir: Path
    config_dir: Path
    log_dir: Path

    @property
    def database(self) -> Path:
        """The default SQLite store."""
        return self.data_dir / "starmap.db"

    @property
    def config_file(self) -> Path:
        """The optional TOML settings file."""
        return self.config_dir / "config.toml"

    @property
    def log_file(self) -> Path:
        """The log file (never the terminal the TUI draws on)."""
        return self.log_dir / "starmap-tui.log"

    @property
    def crash_dir(self) -> Path:
        """Where crash reports are written, secrets masked."""
        return self.log_dir / "crashes"


def resolve_paths(environ: dict[str, str] | None = None) -> AppPaths:
    """Work out the locations from ``STARMAP_HOME`` or platformdirs."""
    env = os.environ if environ is None else environ
    home = env.get(HOME_ENV)
    if home:
        root = Path(home).expanduser()
        return AppPaths(root / "data", root / "config", root / "log")

    import platformdirs

    return AppPaths(
        Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
        Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
        Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)),
    )
