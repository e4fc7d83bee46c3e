"""Allow ``python -m starmap_tui``."""

from __future__ import annotations

from starmap_tui.cli import main

raise SystemExit(main())
