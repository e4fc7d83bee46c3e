"""starmap-tui: training needs analyses in the terminal."""

from __future__ import annotations

__version__ = "0.1.0"
