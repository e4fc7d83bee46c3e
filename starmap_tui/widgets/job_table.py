"""The dashboard's table of starmaps: one page of rows, keyed by starmap id.

The table draws itself line by line (Textual's line API): a row is a few
segments cut straight from its text. DataTable measured every cell through
Rich, which made the table most of the first frame's cost with a full page
(bench/bench_startup.py). Columns that do not fit are dropped, least needed
first; the title takes the width that is left and ends in "…" when cut.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, NamedTuple

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from starmap_tui.questionnaire.stages import STEP_ORDER, STEP_TITLES
from starmap_tui.storage.records import StarmapRow
from starmap_tui.widgets.safe_text import clean


@dataclass(frozen=True)
class Column:
    """One column: its key, heading and width (the title's is its least)."""

    key: str
    label: str
    width: int
    # When the table is too narrow, the column with the lowest rank goes first.
    rank: int


COLUMNS: tuple[Column, ...] = (
    Column("title", "Title", 20, rank=5),
    Column("status", "Status", 10, rank=4),
    Column("progress", "Progress", 13, rank=3),
    Column("step", "Current step", 14, rank=2),
    Column("updated", "Last update", 16, rank=1),
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
# A column's text has one blank column either side.
PADDING = 1
ELLIPSIS = "…"


class Cell(NamedTuple):
    """What one cell shows: literal text and a Rich style name."""

    text: str
    style: str = ""


Cells = tuple[Cell, ...]


def progress_bar(percent: int, width: int = BAR_WIDTH) -> str:
    """A text bar such as ``██████░░░░ 60%``."""
    percent = max(0, min(100, int(percent)))
    filled = round(width * percent / 100)
    return f"{'█' * filled}{'░' * (width - filled)} {percent:>3}%"


def job_active(job_status: str | None) -> bool:
    """Whether a starmap's latest job is waiting or running."""
    return job_status in ("queued", "running")


def questionnaire_percent(step: str) -> int:
    """How far through the steps a draft is, by the step it is on."""
    if step not in STEP_ORDER:
        return 0
    return round(100 * STEP_ORDER.index(step) / (len(STEP_ORDER) - 1))


def row_percent(row: StarmapRow) -> int:
    """How far along a starmap is, for its bar.

    A job at work shows its own progress, whatever the status (a completed
    starmap being regenerated, a draft's questions being written); otherwise
    a draft shows how far through the questionnaire it is.
    """
    if job_active(row.job_status):
        return row.progress
    if row.status == "completed":
        return 100
    if row.status == "draft":
        return questionnaire_percent(row.current_step)
    return row.progress


def step_label(row: StarmapRow) -> str:
    """The wizard step's title, or the job's phase while one is at work."""
    if row.job_phase and (
        job_active(row.job_status) or row.status in ("queued", "processing")
    ):
        return row.job_phase
    return STEP_TITLES.get(row.current_step, row.current_step)


def format_updated(moment: datetime) -> str:
    """A timestamp in the local zone, to the minute."""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def row_cells(row: StarmapRow) -> Cells:
    """The cells of one starmap, every piece of text made literal."""
    style = STATUS_STYLES.get(row.status, "")
    return (
        Cell(clean(row.title)),
        Cell(clean(row.status), style),
        Cell(progress_bar(row_percent(row)), style),
        Cell(clean(step_label(row))),
        Cell(format_updated(row.updated_at), "dim"),
    )


def fit(text: str, width: int) -> str:
    """``text`` made exactly ``width`` cells wide, cut with an ellipsis."""
    if cell_len(text) > width:
        text = set_cell_size(text, max(width - 1, 0)) + ELLIPSIS
    return set_cell_size(text, width)


def layout(width: int) -> list[tuple[int, int]]:
    """(column index, text width) of the columns shown in ``width`` cells."""
    shown = sorted(range(len(COLUMNS)), key=lambda i: COLUMNS[i].rank, reverse=True)

    def needed(indexes: list[int]) -> int:
        return sum(COLUMNS[i].width + 2 * PADDING for i in indexes)

    while len(shown) > 1 and needed(shown) > width:
        shown.pop()
    shown.sort()
    title_width = COLUMNS[0].width + max(0, width - needed(shown))
    return [(i, title_width if i == 0 else COLUMNS[i].width) for i in shown]


class RowMessage(Message):
    """Something happened to one row of a table."""

    def __init__(self, table: JobTable, starmap_id: str | None) -> None:
        super().__init__()
        self.table = table
        self.starmap_id = starmap_id

    @property
    def control(self) -> JobTable:
        """The table (lets ``@on`` match it by selector)."""
        return self.table


class JobTable(ScrollView, can_focus=True):
    """One page of starmaps with a row cursor; asks for the next page at the edge."""

    HELP_NAME = "Starmap table"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "first_row", "First row", show=False),
        Binding("end", "last_row", "Last row", show=False),
        Binding("enter", "select_row", "Open", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "job-table--header",
        "job-table--even-row",
        "job-table--cursor",
        "job-table--hover",
    }

    class RowHighlighted(RowMessage):
        """The cursor is on another starmap (None: the table is empty)."""

    class RowSelected(RowMessage):
        """The user chose the highlighted starmap (enter, or a click on it)."""

    class PageRequested(Message):
        """The cursor ran past the page edge: load the page ``step`` away."""

        def __init__(self, step: int, land: str) -> None:
            super().__init__()
            self.step = step
            self.land = land

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.has_previous_page = False
        self.has_next_page = False
        self.loaded = False
        self._cells: dict[str, Cells] = {}
        self._ids: list[str] = []
        self._cursor = 0
        self._hover: int | None = None
        self._columns = layout(80)
        self._lines: dict[int, Strip] = {}

    # -- reading ----------------------------------------------------------------

    @property
    def row_ids(self) -> list[str]:
        """The starmap ids shown, top to bottom."""
        return list(self._ids)

    @property
    def row_count(self) -> int:
        """How many rows the page has."""
        return len(self._ids)

    @property
    def cursor_row(self) -> int:
        """The index of the highlighted row (0 when the table is empty)."""
        return self._cursor

    @property
    def highlighted_id(self) -> str | None:
        """The id of the starmap under the cursor, or None when empty."""
        return self._ids[self._cursor] if self._ids else None

    @property
    def shown_columns(self) -> list[str]:
        """The keys of the columns the current width leaves room for."""
        return [COLUMNS[index].key for index, _width in self._columns]

    def get_row_index(self, starmap_id: str) -> int:
        """The row a starmap is on (ValueError when it is not on this page)."""
        return self._ids.index(starmap_id)

    def cell_text(self, starmap_id: str, column: str) -> str:
        """The text a cell holds (shown or not at this width)."""
        index = next(i for i, c in enumerate(COLUMNS) if c.key == column)
        return self._cells[starmap_id][index].text

    # -- writing ----------------------------------------------------------------

    def show_rows(
        self, rows: Sequence[StarmapRow], keep_id: str | None, land: str = "first"
    ) -> None:
        """Show ``rows``, keeping the cursor on ``keep_id`` when it is there.

        Without ``keep_id`` among the rows, ``land`` places the cursor: on the
        first or last row, or ("here") on the row index it was on.
        """
        before = self.highlighted_id
        self._cells = {row.id: row_cells(row) for row in rows}
        self._ids = list(self._cells)
        self._cursor = self._target_row(keep_id, land)
        self.loaded = True
        self.virtual_size = Size(
            self.scrollable_content_region.width, len(self._ids) + 1
        )
        self._redraw()
        self._scroll_to_cursor()
        if self.highlighted_id != before:
            self.post_message(self.RowHighlighted(self, self.highlighted_id))

    def _target_row(self, keep_id: str | None, land: str) -> int:
        if keep_id is not None and keep_id in self._cells:
            return self._ids.index(keep_id)
        if land == "last":
            return max(len(self._ids) - 1, 0)
        if land == "here":
            return max(min(self._cursor, len(self._ids) - 1), 0)
        return 0

    def set_progress(self, starmap_id: str, percent: int, phase: str = "") -> None:
        """Move one row's bar and phase without a query (a runner progress event)."""
        cells = self._cells.get(starmap_id)
        if cells is None:
            return
        bar = Cell(progress_bar(percent), cells[2].style)
        # A progress event means a job is at work: its phase is the step.
        step = Cell(clean(phase)) if phase else cells[3]
        updated = (*cells[:2], bar, step, *cells[4:])
        if updated != cells:
            self._cells[starmap_id] = updated
            self._redraw()

    def move_cursor(self, *, row: int, animate: bool = False) -> None:
        """Put the cursor on ``row`` (clamped to the page) and show it."""
        del animate  # the table always jumps; kept for DataTable's signature
        if not self._ids:
            return
        row = max(0, min(row, len(self._ids) - 1))
        if row == self._cursor:
            return
        self._cursor = row
        self._redraw()
        self._scroll_to_cursor()
        self.post_message(self.RowHighlighted(self, self.highlighted_id))

    def _redraw(self) -> None:
        self._lines.clear()
        self.refresh()

    def _scroll_to_cursor(self) -> None:
        rows_visible = max(self.scrollable_content_region.height - 1, 1)
        top = self.scroll_offset.y
        if self._cursor < top:
            self.scroll_to(y=self._cursor, animate=False, immediate=True)
        elif self._cursor >= top + rows_visible:
            target = self._cursor - rows_visible + 1
            self.scroll_to(y=target, animate=False, immediate=True)

    # -- drawing ----------------------------------------------------------------

    def on_resize(self) -> None:
        """Lay the columns out again for the new width."""
        width = self.scrollable_content_region.width
        self._columns = layout(width)
        self.virtual_size = Size(width, len(self._ids) + 1)
        self._redraw()
        self._scroll_to_cursor()

    def on_focus(self) -> None:
        """The cursor looks different when the table has focus."""
        self._redraw()

    def on_blur(self) -> None:
        """The cursor looks different when the table has focus."""
        self._redraw()

    def notify_style_update(self) -> None:
        """A theme or CSS change: draw every line again."""
        super().notify_style_update()
        self._lines.clear()

    def render_line(self, y: int) -> Strip:
        """Line ``y`` of the widget: the header, then the rows from the scroll."""
        index = -1 if y == 0 else y - 1 + self.scroll_offset.y
        line = self._lines.get(index)
        if line is None:
            line = self._lines[index] = self._draw(index)
        return line

    def _draw(self, index: int) -> Strip:
        width = self.scrollable_content_region.width
        if index == -1:
            style = self.get_component_rich_style("job-table--header")
            texts = [(COLUMNS[i].label, w, "") for i, w in self._columns]
            return self._strip(texts, style, width)
        if index >= len(self._ids):
            return Strip.blank(width, self.rich_style)
        cells = self._cells[self._ids[index]]
        texts = [(cells[i].text, w, cells[i].style) for i, w in self._columns]
        cursor = None
        if index == self._cursor:
            cursor = self.get_component_rich_style("job-table--cursor")
        return self._strip(texts, self._row_style(index), width, cursor)

    def _row_style(self, index: int) -> Style:
        style = self.rich_style
        if index % 2:
            style += self.get_component_rich_style("job-table--even-row")
        if index == self._hover:
            style += self.get_component_rich_style("job-table--hover")
        return style

    def _strip(
        self,
        texts: list[tuple[str, int, str]],
        style: Style,
        width: int,
        cursor: Style | None = None,
    ) -> Strip:
        """One line of padded cells; the cursor's colours win over a cell's."""
        pad = " " * PADDING
        segments = []
        for text, cell_width, cell_style in texts:
            styled = style + _parse(cell_style) if cell_style else style
            if cursor is not None:
                styled += cursor
            segments.append(Segment(pad + fit(text, cell_width) + pad, styled))
        line_style = style + cursor if cursor is not None else style
        return Strip(segments).extend_cell_length(width, line_style).crop(0, width)

    # -- keys and mouse ---------------------------------------------------------

    @property
    def _rows_per_screen(self) -> int:
        return max(self.scrollable_content_region.height - 1, 1)

    def action_cursor_down(self) -> None:
        """Move down; from the last row, go on to the next page."""
        if self._at_last_row and self.has_next_page:
            self.post_message(self.PageRequested(1, "first"))
            return
        self.move_cursor(row=self._cursor + 1)

    def action_cursor_up(self) -> None:
        """Move up; from the first row, go back to the previous page."""
        if self._cursor <= 0 and self.has_previous_page:
            self.post_message(self.PageRequested(-1, "last"))
            return
        self.move_cursor(row=self._cursor - 1)

    def action_page_down(self) -> None:
        """A screenful down; on the last row, load the next page."""
        if self._at_last_row and self.has_next_page:
            self.post_message(self.PageRequested(1, "first"))
            return
        self.move_cursor(row=self._cursor + self._rows_per_screen)

    def action_page_up(self) -> None:
        """A screenful up; on the first row, load the previous page."""
        if self._cursor <= 0 and self.has_previous_page:
            self.post_message(self.PageRequested(-1, "last"))
            return
        self.move_cursor(row=self._cursor - self._rows_per_screen)

    def action_first_row(self) -> None:
        """Go to the first row of the page."""
        self.move_cursor(row=0)

    def action_last_row(self) -> None:
        """Go to the last row of the page."""
        self.move_cursor(row=len(self._ids) - 1)

    def action_select_row(self) -> None:
        """Open the highlighted starmap."""
        if self.highlighted_id is not None:
            self.post_message(self.RowSelected(self, self.highlighted_id))

    @property
    def _at_last_row(self) -> bool:
        return self._cursor >= len(self._ids) - 1

    def _row_at(self, y: int) -> int | None:
        """The row under line ``y`` of the widget, if there is one."""
        if y < 1:
            return None
        index = y - 1 + self.scroll_offset.y
        return index if index < len(self._ids) else None

    def on_click(self, event: events.Click) -> None:
        """A click highlights a row; a click on the highlighted row opens it."""
        index = self._row_at(event.y)
        if index is None:
            return
        if index == self._cursor:
            self.action_select_row()
        else:
            self.move_cursor(row=index)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        """Show which row a click would pick."""
        self._set_hover(self._row_at(event.y))

    def on_leave(self) -> None:
        """The mouse left: no row is under it."""
        self._set_hover(None)

    def _set_hover(self, index: int | None) -> None:
        if index != self._hover:
            self._hover = index
            self._redraw()


_STYLES: dict[str, Style] = {}


def _parse(name: str) -> Style:
    """A Rich style from its name, parsed once."""
    style = _STYLES.get(name)
    if style is None:
        style = _STYLES[name] = Style.parse(name)
    return style
