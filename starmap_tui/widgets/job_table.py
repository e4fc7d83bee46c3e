"""The dashboard's table of starmaps: one page of rows, keyed by starmap id."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.text import Text
from textual.geometry import Size
from textual.message import Message
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, ColumnKey, RowDoesNotExist

from starmap_tui.questionnaire.stages import STEP_TITLES
from starmap_tui.storage.records import StarmapRow
from starmap_tui.widgets.safe_text import literal

COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("title", "Title", 24),
    ("status", "Status", 10),
    ("progress", "Progress", 13),
    ("step", "Current step", 13),
    ("updated", "Last update", 16),
)

STATUS_STYLES: dict[str, str] = {
    "draft": "",
    "queued": "yellow",
    "processing": "bold yellow",
    "completed": "green",
    "failed": "bold red",
    "cancelled": "dim",
}

BAR_WIDTH = 8
MIN_TITLE_WIDTH = 16
# Each cell is padded by one column on either side; the scrollbar takes two.
CELL_PADDING = 2
SCROLLBAR = 2

Cells = tuple[Text, ...]


def progress_bar(percent: int, width: int = BAR_WIDTH) -> str:
    """A text bar such as ``██████░░░░ 60%``."""
    percent = max(0, min(100, int(percent)))
    filled = round(width * percent / 100)
    return f"{'█' * filled}{'░' * (width - filled)} {percent:>3}%"


def row_percent(row: StarmapRow) -> int:
    """How far along a starmap is, for its bar."""
    return 100 if row.status == "completed" else row.progress


def step_label(row: StarmapRow) -> str:
    """The wizard step's title, or the running job's phase while it works."""
    if row.status in ("queued", "processing") and row.job_phase:
        return row.job_phase
    return STEP_TITLES.get(row.current_step, row.current_step)


def format_updated(moment: datetime) -> str:
    """A timestamp in the local zone, to the minute."""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def row_cells(row: StarmapRow) -> Cells:
    """The cells of one starmap, every piece of text taken literally."""
    style = STATUS_STYLES.get(row.status, "")
    return (
        literal(row.title),
        literal(row.status, style),
        Text(progress_bar(row_percent(row)), style=style or "default"),
        literal(step_label(row)),
        Text(format_updated(row.updated_at), style="dim"),
    )


def _widths() -> list[tuple[str, int]]:
    return [(key, width) for key, _label, width in COLUMNS]


def same_text(first: Text, second: Text) -> bool:
    """Whether two cells look the same (rich's ``==`` ignores the base style)."""
    return (first.plain, first.style, first.spans) == (
        second.plain,
        second.style,
        second.spans,
    )


class JobTable(DataTable[Text]):
    """One page of starmaps; asks for the next page when the cursor runs off it."""

    class PageRequested(Message):
        """The cursor ran past the page edge: load the page ``step`` away."""

        def __init__(self, step: int, land: str) -> None:
            super().__init__()
            self.step = step
            self.land = land

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.has_previous_page = False
        self.has_next_page = False
        self.loaded = False
        self._cells: dict[str, Cells] = {}
        self._title_width = COLUMNS[0][2]
        self._batch = 0
        self._rest_pending = False

    def on_mount(self) -> None:
        """Add the columns."""
        self._add_columns()

    def _add_columns(self) -> None:
        for key, label, width in COLUMNS:
            width = self._title_width if key == "title" else width
            self.add_column(label, key=key, width=width)

    def on_resize(self) -> None:
        """Give the title column whatever width the other columns leave."""
        others = sum(width for key, width in _widths() if key != "title")
        spare = self.size.width - others - CELL_PADDING * len(COLUMNS) - SCROLLBAR
        title_width = max(MIN_TITLE_WIDTH, spare)
        if title_width == self._title_width:
            return
        # Widening the column in place (the resize already invalidated the
        # rendered rows) avoids re-adding, and so re-measuring, every row.
        self.virtual_size = Size(
            self.virtual_size.width + title_width - self._title_width,
            self.virtual_size.height,
        )
        self._title_width = title_width
        self.columns[ColumnKey("title")].width = title_width
        self.refresh()

    # -- reading ----------------------------------------------------------------

    @property
    def row_ids(self) -> list[str]:
        """The starmap ids shown, top to bottom."""
        return list(self._cells)

    @property
    def highlighted_id(self) -> str | None:
        """The id of the starmap under the cursor, or None when empty."""
        if not self.row_count:
            return None
        try:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        except CellDoesNotExist:
            return None
        return key.value

    def cell_text(self, starmap_id: str, column: str) -> str:
        """The plain text shown in one cell (for tests and the preview)."""
        return self.get_cell(starmap_id, column).plain

    # -- writing ----------------------------------------------------------------

    def show_rows(
        self, rows: Sequence[StarmapRow], keep_id: str | None, land: str = "first"
    ) -> None:
        """Show ``rows``, keeping the cursor on ``keep_id`` when it is there.

        Without ``keep_id`` among the rows, ``land`` places the cursor: on the
        first or last row, or ("here") on the row index it was on.
        """
        cells = {row.id: row_cells(row) for row in rows}
        target = self._target_row(list(cells), keep_id, land)
        if list(cells) == list(self._cells):
            self._update_changed(cells)
        else:
            self._rebuild(cells, at_least=target + 1)
        self.loaded = True
        if self.row_count and target != self.cursor_row:
            self.move_cursor(row=target, animate=False)

    def _target_row(self, ids: list[str], keep_id: str | None, land: str) -> int:
        if keep_id is not None and keep_id in ids:
            return ids.index(keep_id)
        if land == "last":
            return max(len(ids) - 1, 0)
        if land == "here":
            return max(min(self.cursor_row, len(ids) - 1), 0)
        return 0

    def _update_changed(self, cells: dict[str, Cells]) -> None:
        old_cells, self._cells = self._cells, cells
        for starmap_id, new in cells.items():
            old = old_cells[starmap_id]
            for (key, _label, _width), before, after in zip(
                COLUMNS, old, new, strict=True
            ):
                if not same_text(before, after):
                    self._update_cell(starmap_id, key, after)

    def _update_cell(self, starmap_id: str, column: str, cell: Text) -> None:
        try:
            self.update_cell(starmap_id, column, cell)
        except (RowDoesNotExist, CellDoesNotExist):
            # Not added yet (the rest of the page follows the first paint);
            # it will be added from _cells with the new value.
            return

    def _rebuild(self, cells: dict[str, Cells], at_least: int) -> None:
        """Replace every row; rows beyond the first screenful follow a frame later.

        Adding a row measures each of its cells, so a whole page at once would
        hold up the frame that shows the rows the user can actually see.
        """
        self.clear()
        self._cells = cells
        ids = list(cells)
        # No more rows than the terminal has lines can be visible at first.
        now = max(self.app.size.height, at_least)
        for starmap_id in ids[:now]:
            self.add_row(*cells[starmap_id], key=starmap_id)
        self._batch += 1
        self._rest_pending = len(ids) > now
        if self._rest_pending:
            self.call_after_refresh(self._add_rest, self._batch, ids[now:])

    def _add_rest(self, batch: int, ids: list[str]) -> None:
        if batch != self._batch:
            return
        self._rest_pending = False
        for starmap_id in ids:
            self.add_row(*self._cells[starmap_id], key=starmap_id)

    def set_progress(self, starmap_id: str, percent: int) -> None:
        """Move one row's bar without a query (a runner progress event)."""
        cells = self._cells.get(starmap_id)
        if cells is None:
            return
        bar = Text(progress_bar(percent), style=cells[2].style)
        if same_text(bar, cells[2]):
            return
        self._cells[starmap_id] = (*cells[:2], bar, *cells[3:])
        try:
            self.update_cell(starmap_id, "progress", bar)
        except (RowDoesNotExist, CellDoesNotExist):
            return

    # -- paging at the edges ------------------------------------------------------

    @property
    def _on_last_row(self) -> bool:
        return not self._rest_pending and self.cursor_row >= self.row_count - 1

    def action_cursor_down(self) -> None:
        """Move down; from the last row, go on to the next page."""
        if self.has_next_page and self._on_last_row:
            self.post_message(self.PageRequested(1, "first"))
            return
        super().action_cursor_down()

    def action_cursor_up(self) -> None:
        """Move up; from the first row, go back to the previous page."""
        if self.has_previous_page and self.cursor_row <= 0:
            self.post_message(self.PageRequested(-1, "last"))
            return
        super().action_cursor_up()

    def action_page_down(self) -> None:
        """Page down; on the last row, load the next page."""
        if self.has_next_page and self._on_last_row:
            self.post_message(self.PageRequested(1, "first"))
            return
        super().action_page_down()

    def action_page_up(self) -> None:
        """Page up; on the first row, load the previous page."""
        if self.has_previous_page and self.cursor_row <= 0:
            self.post_message(self.PageRequested(-1, "last"))
            return
        super().action_page_up()
