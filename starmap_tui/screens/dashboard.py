"""The home screen: every starmap, filtered and paged in SQL, updating live.

The first page comes from the standard-library light reader so the screen
paints before the ORM is imported; once the app's repository is open, every
read goes through it. Only the visible page is ever read, and a refresh that
arrives while a read runs is folded into one more read afterwards.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import Input, Static

from starmap_tui.storage.listing import LightReader, statuses_for
from starmap_tui.storage.records import StarmapRecord, StarmapRow, Stats
from starmap_tui.widgets.filter_bar import FilterBar
from starmap_tui.widgets.job_table import JobTable
from starmap_tui.widgets.key_bar import KeyBar
from starmap_tui.widgets.starmap_preview import StarmapPreview
from starmap_tui.widgets.stats_bar import StatsBar

if TYPE_CHECKING:
    from textual.app import SystemCommand

    from starmap_tui.storage.repository import Repository
    from starmap_tui.worker.runner import Runner

log = logging.getLogger(__name__)

PAGE_SIZE = 200
# How long the first frame may wait for the first page read since compose; a
# slower store paints an empty table first and fills it when the read is in.
FIRST_PAINT_WAIT = 0.5
FILTER_NAMES: tuple[str, ...] = ("all", "draft", "processing", "completed", "failed")
# Below this many columns the preview and the search box narrow.
NARROW_WIDTH = 110
NEEDS_SELECTION = frozenset({"open", "retry", "cancel", "rename", "delete", "export"})


class StarmapHost(Protocol):
    """What the dashboard needs from the app (typed without importing it)."""

    repo: Repository | None
    runner: Runner | None
    db_path: Path

    @property
    def store_ready(self) -> bool:
        """Whether the repository is open."""

    async def store(self) -> Repository:
        """The repository, once open."""

    def jobs_changed(self) -> None:
        """Wake the runner and refresh the screens."""

    async def open_starmap(self, starmap_id: str, *, resumed: bool = False) -> None:
        """Route a starmap to its screen."""


@dataclass(frozen=True)
class PageQuery:
    """Which page of which starmaps to read."""

    filter_name: str
    search: str
    offset: int

    @property
    def statuses(self) -> tuple[str, ...]:
        """The statuses the filter covers."""
        return statuses_for(self.filter_name)

    @property
    def unfiltered(self) -> bool:
        """Whether the query shows every starmap (its count is the total)."""
        return not self.statuses and not self.search.strip()


@dataclass(frozen=True)
class Page:
    """One read: the rows shown, how many match, and the counters."""

    query: PageQuery
    rows: list[StarmapRow]
    matching: int
    stats: Stats


def read_light_page(db_path: Path, query: PageQuery) -> Page | None:
    """Read a page with the light reader, then close it (runs in a thread).

    None when the store is missing or needs migrating. The reader is never
    kept: once the store opens, this process must hold no connection beside
    the store's own.
    """
    reader = LightReader.open(db_path)
    if reader is None:
        return None
    try:
        return light_page(reader, query)
    finally:
        reader.close()


def light_page(reader: LightReader, query: PageQuery) -> Page:
    """Read a page with the light reader (runs in a thread)."""
    stats = reader.stats()
    matching = (
        stats.total if query.unfiltered else reader.count(query.statuses, query.search)
    )
    rows = reader.rows(query.statuses, query.search, PAGE_SIZE, query.offset)
    return Page(query, rows, matching, stats)


async def repo_page(repo: Repository, query: PageQuery) -> Page:
    """Read a page through the repository, its three reads side by side."""
    rows, stats = await asyncio.gather(
        repo.list_starmaps(query.statuses, query.search, PAGE_SIZE, query.offset),
        repo.stats(),
    )
    matching = (
        stats.total
        if query.unfiltered
        else await repo.count_starmaps(query.statuses, query.search)
    )
    return Page(query, rows, matching, stats)


def read_failure(exc: Exception, db_path: Path) -> str:
    """What the line under the table says when reading the starmaps failed."""
    from starmap_tui.storage.errors import StoreError
    from starmap_tui.storage.preflight import corrupt_error

    if isinstance(exc, StoreError):
        return str(exc)
    # SQLAlchemy keeps the driver's error as ``orig``.
    cause = getattr(exc, "orig", None) or exc
    if isinstance(cause, sqlite3.DatabaseError):
        text = str(cause).lower()
        if "malformed" in text or "not a database" in text:
            return str(corrupt_error(db_path, cause))
    return f"Cannot read starmaps: {exc}"


def page_info(page: Page) -> str:
    """The line under the table: which rows of how many."""
    if page.matching == 0:
        if page.query.unfiltered:
            return "No starmaps yet. Press n to start one."
        return "No starmaps match. Press 1 for all, or esc to clear the search."
    first = page.query.offset + 1
    last = page.query.offset + len(page.rows)
    info = f"rows {first:,}\N{EN DASH}{last:,} of {page.matching:,}"
    if page.matching > PAGE_SIZE:
        info += "   [ and ] turn the page"
    return info


class DashboardScreen(Screen[None]):
    """Every starmap: counters, filter, search, a paged table and a preview."""

    TITLE = "Dashboard"
    AUTO_FOCUS = "#starmaps"
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [
        (0, "-narrow"),
        (NARROW_WIDTH, "-wide"),
    ]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new", "New", id="dashboard.new"),
        Binding("enter,o", "open", "Open", id="dashboard.open"),
        Binding("r", "retry", "Retry", id="dashboard.retry"),
        Binding(
            "c",
            "cancel",
            "Cancel",
            tooltip="Cancel the running job",
            id="dashboard.cancel",
        ),
        Binding("e", "rename", "Rename", id="dashboard.rename"),
        Binding("d", "delete", "Delete", id="dashboard.delete"),
        Binding("x", "export", "Export", id="dashboard.export"),
        # The search box shows its key, so the key bar leaves it out.
        Binding("slash", "focus_search", "Search", id="dashboard.search", show=False),
        Binding(
            "escape", "clear_search", "Clear search", id="dashboard.clear", show=False
        ),
        *(
            Binding(
                str(n),
                f"filter('{name}')",
                f"Show {name}",
                id=f"dashboard.filter_{name}",
                show=False,
            )
            for n, name in enumerate(FILTER_NAMES, 1)
        ),
        Binding(
            "left_square_bracket",
            "page(-1)",
            "Previous page",
            id="dashboard.previous_page",
            show=False,
        ),
        Binding(
            "right_square_bracket",
            "page(1)",
            "Next page",
            id="dashboard.next_page",
            show=False,
        ),
        Binding("question_mark", "app.help", "Help", id="dashboard.help", show=False),
        Binding("q", "app.quit", "Quit", id="dashboard.quit", show=False),
    ]

    def __init__(self) -> None:
        super().__init__(id="dashboard")
        self._query = PageQuery("all", "", 0)
        self._matching = 0
        self._rows: dict[str, StarmapRow] = {}
        self._selected_id: str | None = None
        self._chosen = False
        self._land = "first"
        self._loading = False
        self._pending = False
        self._stale = False
        self._first_read: asyncio.Future[Page | None] | None = None

    # -- layout ---------------------------------------------------------------

    def compose(self) -> ComposeResult:
        """Counters, filter and search, the table beside its preview, keys."""
        self._first_read = asyncio.get_running_loop().run_in_executor(
            None, read_light_page, self.host.db_path, self._query
        )
        with Vertical(id="dashboard-body"):
            yield StatsBar(id="stats")
            with Horizontal(id="toolbar"):
                yield FilterBar(FILTER_NAMES, id="filters")
                yield Input(placeholder="Search (/)", id="search")
            with Horizontal(id="main"):
                yield JobTable(id="starmaps")
                yield StarmapPreview(id="preview")
            yield Static("Reading starmaps…", id="page-info", markup=False)

    @property
    def host(self) -> StarmapHost:
        """The app, seen through what the dashboard uses of it."""
        return cast(StarmapHost, self.app)

    @property
    def table(self) -> JobTable:
        """The table of starmaps."""
        return self.query_one("#starmaps", JobTable)

    @property
    def selected_id(self) -> str | None:
        """The highlighted starmap's id."""
        return self.table.highlighted_id

    @property
    def selected_row(self) -> StarmapRow | None:
        """The highlighted starmap's listing row."""
        selected = self.selected_id
        return self._rows.get(selected) if selected else None

    async def on_mount(self) -> None:
        """Show the first page, read in a thread since compose, if it is in."""
        # The key bar is a dozen widgets; it follows the frame with the rows.
        self.call_after_refresh(self.mount, KeyBar())
        if self._first_read is not None:
            await asyncio.wait([self._first_read], timeout=FIRST_PAINT_WAIT)
            if self._first_read.done() and self._take_first_read():
                return
        self.request_load()

    def _take_first_read(self) -> bool:
        """Apply the first read; False if there is nothing to apply yet."""
        first, self._first_read = self._first_read, None
        if first is None or first.exception() is not None:
            return False
        page = first.result()
        if page is None or page.query != self._query:
            return False
        self._apply(page)
        return True

    # -- loading ----------------------------------------------------------------

    def request_load(self) -> None:
        """Re-read the visible page; folded into the running read if there is one."""
        if self._loading:
            self._pending = True
            return
        self._loading = True
        self._pending = False
        self.run_worker(self._load_until_settled(), group="dashboard-load")

    async def _load_until_settled(self) -> None:
        try:
            while True:
                self._pending = False
                await self._load_once()
                if not self._pending:
                    break
        except NoMatches:
            # The widgets are gone: the app is closing while a read was out.
            return
        except Exception as exc:
            log.exception("reading the dashboard failed")
            message = read_failure(exc, self.host.db_path)
            for info in self.query("#page-info").results(Static):
                info.update(message)
                info.add_class("-error")
        finally:
            self._loading = False

    async def _load_once(self) -> None:
        query = self._query
        page = await self._fetch(query)
        if page is None:
            self._show_waiting()
            return
        page = await self._follow_selection(page)
        if page.matching and not page.rows and query.offset:
            last = (page.matching - 1) // PAGE_SIZE * PAGE_SIZE
            page = await self._fetch_required(
                PageQuery(query.filter_name, query.search, last)
            )
        if self._query != query:
            # The filter, search or page changed while reading: read again.
            self._pending = True
            return
        self._apply(page)

    async def _fetch(self, query: PageQuery) -> Page | None:
        if self._first_read is not None:
            await asyncio.wait([self._first_read])
            self._take_first_read()
        if self.host.store_ready:
            return await repo_page(await self.host.store(), query)
        return await asyncio.to_thread(read_light_page, self.host.db_path, query)

    async def _fetch_required(self, query: PageQuery) -> Page:
        page = await self._fetch(query)
        if page is None:
            raise RuntimeError("the store went away")
        return page

    async def _follow_selection(self, page: Page) -> Page:
        """Move to the page that holds the selected starmap, if it moved away."""
        wanted = self._wanted_id()
        if wanted is None or not self.host.store_ready:
            return page
        if any(row.id == wanted for row in page.rows):
            return page
        repo = await self.host.store()
        query = page.query
        position = await repo.position_of(wanted, query.statuses, query.search)
        if position is None:
            return page
        offset = position // PAGE_SIZE * PAGE_SIZE
        if offset == query.offset:
            return page
        return await self._fetch_required(
            PageQuery(query.filter_name, query.search, offset)
        )

    def _apply(self, page: Page) -> None:
        self.query_one("#page-info", Static).remove_class("-error")
        self._query = page.query
        self._matching = page.matching
        self._rows = {row.id: row for row in page.rows}
        table = self.table
        table.has_previous_page = page.query.offset > 0
        table.has_next_page = page.query.offset + len(page.rows) < page.matching
        table.show_rows(page.rows, self._wanted_id(), self._land)
        self._chosen = False
        if table.row_count:
            self._selected_id = table.highlighted_id
            self._land = "here"
        self.query_one("#stats", StatsBar).show(page.stats)
        self.query_one("#page-info", Static).update(page_info(page))
        self._refresh_preview()
        self.refresh_bindings()

    def _wanted_id(self) -> str | None:
        """The starmap the next read should keep highlighted.

        The table's own cursor is the truth (a key press may have moved it
        while a read was out), unless an action chose the next highlight.
        """
        if self._chosen or not self.table.row_count:
            return self._selected_id
        return self.table.highlighted_id

    def _choose(self, starmap_id: str | None, land: str) -> None:
        """Make the next read highlight ``starmap_id`` (None: land by ``land``)."""
        self._selected_id = starmap_id
        self._chosen = True
        self._land = land

    def _show_waiting(self) -> None:
        self.query_one("#page-info", Static).update("Opening the store…")

    # -- live updates -------------------------------------------------------------

    def on_store_changed(self, message: Any) -> None:
        """A job moved or the periodic tick came: re-read the visible page."""
        event = message.event
        if not self.is_current:
            self._stale = True
            return
        if event is not None and event.kind == "progress":
            self.table.set_progress(event.starmap_id, event.percent, event.phase)
            preview = self.query_one("#preview", StarmapPreview)
            preview.set_progress(event.starmap_id, event.percent, event.phase)
            return
        self.request_load()

    def on_screen_resume(self) -> None:
        """Back on top: catch up with what changed meanwhile."""
        if self._stale:
            self._stale = False
            self.request_load()

    # -- selection and preview -----------------------------------------------------

    @on(JobTable.RowHighlighted, "#starmaps")
    def _highlighted(self) -> None:
        selected = self.table.highlighted_id
        if selected is not None and not self._chosen:
            self._selected_id = selected
            self._land = "here"
        self._refresh_preview()
        self.refresh_bindings()

    @on(JobTable.RowSelected, "#starmaps")
    async def _selected(self) -> None:
        await self.run_action("open")

    @on(JobTable.PageRequested)
    def _page_requested(self, event: JobTable.PageRequested) -> None:
        self._go_to_page(event.step, event.land)

    def _refresh_preview(self) -> None:
        preview = self.query_one("#preview", StarmapPreview)
        row = self.selected_row
        if row is None:
            preview.show_empty(self._matching, filtered=not self._query.unfiltered)
            return
        key = (row.id, row.updated_at.isoformat())
        if preview.shown_key == key:
            return
        if preview.shown_key is None or preview.shown_key[0] != row.id:
            preview.show_row(row)
        if self.host.store_ready:
            self._load_record_preview(row.id, key)

    @work(group="dashboard-preview", exclusive=True, exit_on_error=False)
    async def _load_record_preview(self, starmap_id: str, key: tuple[str, str]) -> None:
        record = await (await self.host.store()).get_starmap(starmap_id)
        try:
            if record is None or self.selected_id != starmap_id:
                return
            self.query_one("#preview", StarmapPreview).show_record(record, key)
        except NoMatches:
            return

    # -- filter, search, pages ------------------------------------------------------

    @on(FilterBar.Changed, "#filters")
    def _filter_changed(self, event: FilterBar.Changed) -> None:
        name = event.name
        if name == self._query.filter_name:
            return
        self._query = PageQuery(name, self._query.search, 0)
        self._land = "first"
        self.request_load()

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        if event.value == self._query.search:
            return
        self._query = PageQuery(self._query.filter_name, event.value, 0)
        self._land = "first"
        self.request_load()

    @on(Input.Submitted, "#search")
    def _search_submitted(self) -> None:
        self.table.focus()

    def action_filter(self, name: str) -> None:
        """Show only starmaps of one filter (all, draft, processing, ...)."""
        self.query_one("#filters", FilterBar).active = name

    def action_focus_search(self) -> None:
        """Put the cursor in the search field."""
        self.query_one("#search", Input).focus()

    def action_clear_search(self) -> None:
        """Empty the search and go back to the table."""
        self.query_one("#search", Input).value = ""
        self.table.focus()

    def action_page(self, step: int) -> None:
        """Show the next (1) or previous (-1) page of rows."""
        self._go_to_page(step, "first")

    def _go_to_page(self, step: int, land: str) -> None:
        offset = self._query.offset + step * PAGE_SIZE
        if offset < 0 or (step > 0 and offset >= self._matching):
            return
        self._query = PageQuery(self._query.filter_name, self._query.search, offset)
        self._choose(None, land)
        self.request_load()

    # -- actions on the highlighted starmap -------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Dim the actions that need a starmap while none is highlighted."""
        if action in NEEDS_SELECTION and self.selected_id is None:
            return None
        return True

    def action_new(self) -> None:
        """Start a new starmap in the wizard."""
        from starmap_tui.screens.wizard import WizardScreen

        self.app.push_screen(WizardScreen())

    async def action_open(self) -> None:
        """Open the highlighted starmap where it belongs for its status."""
        if self.selected_id is not None:
            await self.host.open_starmap(self.selected_id)

    async def action_retry(self) -> None:
        """Queue again the failed or cancelled steps of the highlighted starmap."""
        starmap_id = self.selected_id
        if starmap_id is None:
            return
        jobs = await (await self.host.store()).retry(starmap_id)
        if not jobs:
            self.notify("Nothing to retry: no step failed or was cancelled.")
            return
        self.host.jobs_changed()
        self.notify(f"Retrying {', '.join(job.kind for job in jobs)}.")

    async def action_cancel(self) -> None:
        """Stop the highlighted starmap's queued or running generation."""
        starmap_id = self.selected_id
        if starmap_id is None:
            return
        await self.host.store()
        runner = self.host.runner
        assert runner is not None
        if not await runner.cancel_starmap(starmap_id):
            self.notify("Nothing is queued or running for this starmap.")
            return
        self.host.jobs_changed()
        self.notify("Generation cancelled.")

    def action_rename(self) -> None:
        """Give the highlighted starmap a new title."""
        row = self.selected_row
        if row is not None:
            from starmap_tui.screens.modals import RenameModal

            self.app.push_screen(RenameModal(row.title), partial(self._rename, row.id))

    async def _rename(self, starmap_id: str, title: str | None) -> None:
        if not title:
            return
        await (await self.host.store()).rename(starmap_id, title)
        self.request_load()

    def action_delete(self) -> None:
        """Delete the highlighted starmap after asking."""
        row = self.selected_row
        if row is not None:
            from starmap_tui.screens.modals import ConfirmModal

            question = (
                f"Delete “{row.title}”?\n\nIts answers, reports and history go "
                "with it. This cannot be undone."
            )
            modal = ConfirmModal(question, yes_label="Delete")
            self.app.push_screen(modal, partial(self._delete, row.id))

    async def _delete(self, starmap_id: str, confirmed: bool | None) -> None:
        if not confirmed:
            return
        self._choose(self._neighbour_of(starmap_id), "here")
        repo = await self.host.store()
        if self.host.runner is not None:
            await self.host.runner.cancel_starmap(starmap_id)
        await repo.delete(starmap_id)
        self.request_load()

    def _neighbour_of(self, starmap_id: str) -> str | None:
        ids = self.table.row_ids
        if starmap_id not in ids:
            return self._selected_id
        index = ids.index(starmap_id)
        if index + 1 < len(ids):
            return ids[index + 1]
        return ids[index - 1] if index > 0 else None

    async def action_export(self) -> None:
        """Write the highlighted starmap to a Markdown, HTML or JSON file."""
        starmap_id = self.selected_id
        if starmap_id is None:
            return
        record = await (await self.host.store()).get_starmap(starmap_id)
        if record is None:
            return
        from starmap_tui.exports import default_export_path
        from starmap_tui.screens.modals import ExportModal

        default = default_export_path(record.title, "md" if record.report else "json")
        self.app.push_screen(ExportModal(default), partial(self._export, record))

    async def _export(
        self, record: StarmapRecord, choice: tuple[str, Path] | None
    ) -> None:
        if choice is None:
            return
        from starmap_tui.exports import ExportError, write_export

        fmt, path = choice
        try:
            path = await asyncio.to_thread(write_export, record, fmt, path)
        except ExportError as exc:
            self.notify(str(exc), severity="error")
            return
        await (await self.host.store()).log_activity(
            record.id, "exported", f"{fmt} {path}"
        )
        self.notify(f"Exported to {path}")

    # -- the command palette ----------------------------------------------------------

    def palette_commands(self) -> Iterable[SystemCommand]:
        """The dashboard's actions for the command palette, from its bindings."""
        from textual.app import SystemCommand

        seen: set[str] = set()
        for binding in Binding.make_bindings(self.BINDINGS):
            action = binding.action
            # "new" and the app.* actions are already the app's own commands.
            if action in seen or action == "new" or action.startswith("app."):
                continue
            seen.add(action)
            name = action.split("(")[0]
            if self.check_action(name, ()) is not True:
                continue
            yield SystemCommand(
                binding.description,
                f"Dashboard · key {self.app.get_key_display(binding)}",
                partial(self.run_action, action),
            )
