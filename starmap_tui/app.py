"""StarmapApp: owns the store, the runner and the screens.

The runner lives here, not on a screen, because Textual cancels a screen's
workers when the screen is popped; generation must go on whatever is shown.
The first dashboard paints from a light, standard-library read; the ORM and
the runner start after the first frame.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.message import Message

from starmap_tui.config import Settings

if TYPE_CHECKING:
    from collections.abc import Callable

    from textual.screen import Screen

    from starmap_tui.storage.records import StarmapRecord
    from starmap_tui.storage.repository import Repository
    from starmap_tui.worker.providers.base import Provider
    from starmap_tui.worker.runner import Runner, RunnerEvent, RunnerSettings

log = logging.getLogger(__name__)

REFRESH_SECONDS = 1.0
# Closing the terminal sends SIGHUP; a service manager or `kill` sends SIGTERM.
HANGUP_SIGNALS = (signal.SIGHUP, signal.SIGTERM)
# What a shell reports for a process ended by a hang-up (128 + SIGHUP).
EXIT_HANGUP = 128 + signal.SIGHUP


class StoreChanged(Message, bubble=False):
    """Sent to every screen when jobs or starmaps may have changed.

    ``event`` is the runner's event when this process caused the change; it is
    None for the periodic re-read that picks up other processes' work.
    """

    def __init__(self, event: RunnerEvent | None = None) -> None:
        super().__init__()
        self.event = event


class StarmapApp(App[None]):
    """The starmap-tui terminal app."""

    TITLE = "starmap-tui"
    CSS_PATH = "app.tcss"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", id="quit", priority=True),
        Binding("f1", "help", "Help", id="help"),
    ]

    def __init__(
        self,
        settings: Settings,
        db_path: Path,
        *,
        resume_id: str | None = None,
        runner_settings: RunnerSettings | None = None,
        provider_factory: Callable[[], Provider] | None = None,
    ) -> None:
        """``provider_factory`` replaces the provider the settings name (benches
        use it to pace the offline engine); ``runner_settings`` the runner's."""
        super().__init__()
        self._provider_factory = provider_factory
        self._core_stopped = False
        self.settings = settings
        self.db_path = db_path
        self.resume_id = resume_id
        self.repo: Repository | None = None
        self.runner: Runner | None = None
        self.store_error: str | None = None
        self._runner_settings = runner_settings
        self._store_ready = asyncio.Event()
        self._signals: list[signal.Signals] = []
        self._quitting = False
        self._asking_to_quit = False

    # -- start-up -------------------------------------------------------------

    def on_mount(self) -> None:
        """Paint the dashboard now; open the store after the first frame."""
        from starmap_tui.screens.dashboard import DashboardScreen

        # Start-up builds thousands of objects that live as long as the app and
        # frees almost none; a full collection over them in the middle of the
        # first frame costs ~35 ms (bench/bench_startup.py). The collector
        # pauses until the core is up, then what was built is frozen.
        gc.disable()
        self._catch_hangups()
        self.push_screen(DashboardScreen())
        self.call_after_refresh(self._start_core)

    def _catch_hangups(self) -> None:
        """Quit as ctrl+q does when the terminal closes or the process is asked to
        stop: unsaved answers are saved and running jobs given back first."""
        loop = asyncio.get_running_loop()
        for sig in HANGUP_SIGNALS:
            try:
                loop.add_signal_handler(sig, self._hang_up, sig)
            except (NotImplementedError, RuntimeError, ValueError):
                # Not the main thread, or a platform without these signals.
                return
            self._signals.append(sig)

    def _hang_up(self, sig: signal.Signals) -> None:
        log.info("%s received: saving and quitting", sig.name)
        if not self._quitting:
            self._quitting = True
            self.run_worker(self._quit_on(sig), group="hang-up", exit_on_error=False)

    async def _quit_on(self, sig: signal.Signals) -> None:
        try:
            await self.action_quit()
        finally:
            if sig == signal.SIGHUP:
                # The terminal is gone: Textual's own shutdown would wait
                # forever to restore a screen nobody can see. Everything is
                # saved and every job given back by now, so leave at once.
                log.info("terminal closed: exiting")
                logging.shutdown()
                os._exit(EXIT_HANGUP)

    def _release_signals(self) -> None:
        loop = asyncio.get_running_loop()
        while self._signals:
            loop.remove_signal_handler(self._signals.pop())

    async def _start_core(self) -> None:
        try:
            await self._open_core()
        finally:
            self._resume_collector()

    def _resume_collector(self) -> None:
        # Frozen objects stay out of every later full collection, which keeps
        # those short too (felt as stutter while typing; bench/bench_typing.py).
        gc.freeze()
        gc.enable()

    async def _open_core(self) -> None:
        from starmap_tui.storage.errors import StoreError
        from starmap_tui.storage.repository import Repository

        try:
            self.repo = await Repository.open(self.db_path)
        except StoreError as exc:
            self.store_error = str(exc)
            self.notify(
                str(exc), title="Cannot open the store", severity="error", timeout=30
            )
            return
        self.runner = self._make_runner(self.repo)
        await self.runner.start()
        self._store_ready.set()
        self.set_interval(REFRESH_SECONDS, self._refresh_screens)
        self._refresh_screens()
        if self.resume_id:
            await self.open_starmap(self.resume_id, resumed=True)

    def _make_runner(self, repo: Repository) -> Runner:
        from starmap_tui.worker.providers.registry import make_provider
        from starmap_tui.worker.runner import Runner, RunnerSettings

        settings = self._runner_settings or RunnerSettings(
            concurrency=self.settings.concurrency,
            job_deadline=self.settings.job_deadline,
            model=self.settings.model,
            temperature=self.settings.temperature,
            max_tokens=self.settings.max_tokens,
        )
        factory = self._provider_factory or (lambda: make_provider(self.settings))
        return Runner(repo, factory, settings, on_event=self._on_runner_event)

    async def store(self) -> Repository:
        """The repository, once it is open (waits during start-up)."""
        await self._store_ready.wait()
        assert self.repo is not None
        return self.repo

    @property
    def store_ready(self) -> bool:
        """Whether the repository and runner are up."""
        return self._store_ready.is_set()

    # -- runner events -----------------------------------------------------------

    def _on_runner_event(self, event: RunnerEvent) -> None:
        self._broadcast(event)

    def _refresh_screens(self) -> None:
        self._broadcast(None)

    def _broadcast(self, event: RunnerEvent | None) -> None:
        for screen in self.screen_stack:
            screen.post_message(StoreChanged(event))

    def jobs_changed(self) -> None:
        """A screen queued work: wake the runner and refresh every screen."""
        if self.runner is not None:
            self.runner.wake()
        self._refresh_screens()

    # -- navigation ---------------------------------------------------------------

    async def open_starmap(self, starmap_id: str, *, resumed: bool = False) -> None:
        """Show a starmap where it belongs for its status.

        A draft opens at its first incomplete step, a queued or running one on
        its progress, a completed one on its report, a failed one on the reason
        with Retry. Opening never changes the starmap's status.
        """
        repo = await self.store()
        record = await repo.get_starmap(starmap_id)
        if record is None:
            self.notify(f"No starmap with id {starmap_id}.", severity="error")
            return
        if resumed:
            await repo.log_activity(record.id, "resumed", record.status)
        self.push_screen(self._screen_for(record))

    def _screen_for(self, record: StarmapRecord) -> Screen[None]:
        from starmap_tui.screens.report import ReportScreen
        from starmap_tui.screens.wizard import WizardScreen

        # The report screen shows a final report, its progress, or why it
        # failed (with Retry); everything before the final step is the wizard's.
        if record.final_report or record.report_job_kind == "final":
            return ReportScreen(record.id)
        return WizardScreen(record.id, step=resume_step(record))

    # -- actions ----------------------------------------------------------------------

    def action_help(self) -> None:
        """Show the keys that work here, read from the live bindings."""
        from starmap_tui.screens.help import HelpScreen

        self.push_screen(HelpScreen(self.screen))

    def action_new_starmap(self) -> None:
        """Start a new starmap in the wizard."""
        from starmap_tui.screens.wizard import WizardScreen

        self.push_screen(WizardScreen())

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The palette: Textual's commands, the app's, and the screen's own."""
        for command in super().get_system_commands(screen):
            # Our Help, built from the live bindings, stands for Textual's Keys.
            if command.title != "Keys":
                yield command
        yield SystemCommand(
            "New starmap", "Start a new starmap", self.action_new_starmap
        )
        yield SystemCommand("Help", "Show the keys that work here", self.action_help)
        screen_commands = getattr(screen, "palette_commands", None)
        if screen_commands is not None:
            yield from screen_commands()

    async def action_quit(self) -> None:
        """Save what is unsaved, give running jobs back, and leave.

        If something cannot be saved (a full disk, a deleted starmap), the
        user is asked before leaving; a hang-up cannot ask, so it leaves.
        """
        if self._asking_to_quit:
            # ctrl+q again while asked: the answer is yes.
            await self._leave()
            return
        unsaved = await self._save_everything()
        if unsaved and not self._quitting:
            from starmap_tui.screens.modals import ConfirmModal

            self._asking_to_quit = True

            question = (
                f"{unsaved} could not be saved, so quitting now would lose it."
                "\n\nQuit anyway? (ctrl+q again also quits)"
            )
            modal = ConfirmModal(question, yes_label="Quit anyway", no_label="Stay")
            self.push_screen(modal, self._quit_if_sure)
            return
        await self._leave()

    async def _quit_if_sure(self, sure: bool | None) -> None:
        self._asking_to_quit = False
        if sure:
            await self._leave()

    async def _save_everything(self) -> str:
        """Flush every screen's unsaved work; what could not be saved, if any."""
        failed: list[str] = []
        for screen in reversed(self.screen_stack):
            flush = getattr(screen, "flush_unsaved", None)
            if flush is None:
                continue
            try:
                saved = await flush()
            except Exception as exc:
                log.exception("saving before quit failed")
                saved = str(exc) or type(exc).__name__
            # A screen's flush says False (or why) when something stayed unsaved.
            if saved is False:
                failed.append(f"Your latest changes on {screen.title or 'a screen'}")
            elif isinstance(saved, str):
                failed.append(f"Your latest changes ({saved})")
        return "; ".join(failed)

    async def _leave(self) -> None:
        running = self.runner.running_jobs if self.runner is not None else 0
        if running:
            jobs = "job" if running == 1 else f"{running} jobs"
            self.notify(
                f"Giving the running {jobs} a few seconds to finish; what is "
                "left goes back to the queue and carries on next time.",
                title="Quitting",
                timeout=10,
            )
        await self._stop_core()
        self.exit()

    async def on_unmount(self) -> None:
        """However the app ends, the runner gives its jobs back and stops."""
        self._release_signals()
        await self._stop_core(grace=0)

    async def _stop_core(self, grace: float | None = None) -> None:
        # Once only; the attributes stay set so a screen's last refresh,
        # racing the exit, finds a store (closed) rather than None.
        if self._core_stopped:
            return
        self._core_stopped = True
        # An app that ends before its core started must not leave the
        # process without a collector.
        gc.enable()
        if self.runner is not None:
            await self.runner.stop(grace)
        if self.repo is not None:
            await self.repo.close()


def resume_step(record: StarmapRecord) -> str:
    """The wizard step a starmap should open at."""
    from starmap_tui.questionnaire.stages import STEP_ORDER

    if record.status == "failed" or record.status == "cancelled":
        return record.current_step if record.current_step in STEP_ORDER else "stage3"
    static = ("experience", "stage1", "stage2", "stage3")
    first_open = next((s for s in static if s not in record.completed_stages), None)
    asked = record.dynamic_questions or record.report_job_kind or record.report
    if record.current_step in static and not asked:
        # Until generation is asked for, the step the user was on wins over a
        # later one: stage 3 answered in full but never left by Next is where
        # they stopped, not the deep dive (which would start generating).
        here = [record.current_step, *([first_open] if first_open else [])]
        return min(here, key=static.index)
    if first_open is not None:
        return first_open
    if record.dynamic_questions and "dynamic" not in record.completed_stages:
        return "dynamic"
    if record.report_job_kind in ("questions", "preliminary"):
        return "dynamic"
    return "report" if record.report else "dynamic"
