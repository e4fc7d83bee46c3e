"""Debounced, serialised saving: the wizard's autosave, free of any widget.

A change marks a key (a wizard step) as pending and restarts a short timer;
when it fires, or when someone asks for a flush (a step change, a blur, quit),
every pending key is saved, one save at a time. A change made while a save is
running is never dropped: the key is pending again and the running flush loops
round to save it, reading the answers as they are at that moment.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Literal

log = logging.getLogger(__name__)

SaveState = Literal["idle", "dirty", "saving", "saved", "error"]


class Autosaver:
    """Saves pending keys after a quiet period, or at once when flushed."""

    def __init__(
        self,
        save: Callable[[str], Awaitable[None]],
        *,
        delay: float = 2.0,
        on_state: Callable[[SaveState], None] | None = None,
    ) -> None:
        self.delay = delay
        self.state: SaveState = "idle"
        self.saved_at: datetime | None = None
        self.error: str | None = None
        self.saves = 0
        self.changed_at: float | None = None
        self.save_started_at: float | None = None
        self._save = save
        self._on_state = on_state
        self._pending: dict[str, None] = {}
        self._lock = asyncio.Lock()
        self._timer: asyncio.TimerHandle | None = None
        self._task: asyncio.Task[bool] | None = None

    @property
    def pending(self) -> bool:
        """Whether some change has not been written yet."""
        return bool(self._pending)

    @property
    def saving(self) -> bool:
        """Whether a save is running now."""
        return self._lock.locked()

    def changed(self, key: str) -> None:
        """Note a change to ``key`` and save it once changes stop for a while."""
        self._pending[key] = None
        self.changed_at = time.monotonic()
        if not self.saving:
            self._set_state("dirty")
        self._schedule(self.delay)

    def flush_soon(self) -> None:
        """Start saving now without waiting for it (a blur, a screen switch)."""
        self._cancel_timer()
        if self._pending and (self._task is None or self._task.done()):
            self._task = asyncio.create_task(self.flush())

    async def flush(self) -> bool:
        """Save everything pending, after any save already running; True if all did."""
        self._cancel_timer()
        async with self._lock:
            while self._pending:
                key = next(iter(self._pending))
                del self._pending[key]
                if not await self._save_one(key):
                    return False
            if self.state == "saving":
                self._set_state("saved")
        return True

    async def _save_one(self, key: str) -> bool:
        self._set_state("saving")
        self.save_started_at = time.monotonic()
        try:
            await self._save(key)
        except Exception as exc:
            log.exception("autosave of %s failed", key)
            # Pending again (first, so the order holds) and retried later.
            self._pending = {key: None, **self._pending}
            self.error = str(exc) or type(exc).__name__
            self._set_state("error")
            self._schedule(max(self.delay, 1.0))
            return False
        self.saves += 1
        self.error = None
        self.saved_at = datetime.now()
        return True

    def _schedule(self, delay: float) -> None:
        self._cancel_timer()
        self._timer = asyncio.get_running_loop().call_later(delay, self.flush_soon)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _set_state(self, state: SaveState) -> None:
        self.state = state
        if self._on_state is not None:
            self._on_state(state)

    def close(self) -> None:
        """Stop the timer; pending changes stay pending (flush first to keep them)."""
        self._cancel_timer()
