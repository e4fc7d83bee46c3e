"""Writing a starmap out as Markdown, standalone HTML or re-importable JSON.

One place for the dashboard, the report screen and ``starmap-tui export``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from starmap_tui.report import export
from starmap_tui.storage.records import StarmapRecord

EXPORT_FORMATS = ("md", "html", "json")
# C0 controls but tab and newline, and DEL: escape sequences in answers or
# model output must not reach a terminal or a page that shows an export.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def without_controls(text: str) -> str:
    """Text with terminal control characters removed (tabs and newlines kept)."""
    return _CONTROLS.sub("", text)


class ExportError(Exception):
    """An export could not be made or written; the message says what to do."""


def slugify(title: str) -> str:
    """A file-name-safe form of a title: ``Intake training`` → ``intake-training``."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return slug[:60].rstrip("-") or "starmap"


def default_export_path(title: str, fmt: str = "md") -> Path:
    """Where an export goes unless the user says otherwise: the working folder."""
    return Path.cwd() / f"{slugify(title)}.{fmt}"


def export_text(record: StarmapRecord, fmt: str) -> str:
    """The export of a starmap in ``fmt`` (md, html or json).

    JSON always works (it carries the answers, so ``new --answers`` accepts it
    back); Markdown and HTML need a report.
    """
    if fmt not in EXPORT_FORMATS:
        raise ExportError(f"Unknown format {fmt!r}: choose md, html or json.")
    if fmt == "json":
        return export.to_json_document(
            title=record.title,
            answers=record.answers,
            dynamic_questions=record.dynamic_questions,
            dynamic_answers=record.dynamic_answers,
            report=record.final_json or record.preliminary_json,
            markdown=record.report,
            status=record.status,
            experience_level=record.experience_level,
        )
    if not record.report:
        raise ExportError(
            f"'{record.title}' has no report yet; export it as JSON to keep the "
            "answers."
        )
    report = without_controls(record.report)
    if fmt == "html":
        return export.to_html(report, title=without_controls(record.title))
    return export.to_markdown(report)


def export_target(path: str | Path) -> Path:
    """The full path an export to ``path`` is written to (``~`` expanded, a
    relative path taken from the working folder)."""
    return Path(os.path.abspath(Path(path).expanduser()))


def write_export(record: StarmapRecord, fmt: str, path: str | Path) -> Path:
    """Write the export to ``path`` (parents created), overwriting a file that
    is there, and return the full path it went to."""
    if not str(path).strip():
        raise ExportError("Give a file name to export to.")
    target = export_target(path)
    if target.is_dir():
        name = f"{slugify(record.title)}.{fmt}"
        raise ExportError(f"{target} is a folder. Add a file name, such as {name}.")
    text = export_text(record, fmt)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    except PermissionError:
        raise ExportError(
            f"No permission to write {target}. Pick a folder you can write to."
        ) from None
    except OSError as exc:
        raise ExportError(f"Cannot write {target}: {exc.strerror or exc}.") from None
    return target
