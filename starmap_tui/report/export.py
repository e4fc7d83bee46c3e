"""Exports of a starmap: Markdown, a standalone HTML page, and a JSON document.

The JSON document carries ``title``, ``answers`` and ``dynamic_answers`` at the
top level, so ``starmap-tui new --answers FILE`` can read an export back.
"""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime
from typing import Any

from markdown_it import MarkdownIt

JSON_FORMAT = "starmap-tui/1"

_CSS = """
:root { color-scheme: light dark; }
body {
  font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  max-width: 56rem; margin: 2rem auto; padding: 0 1.25rem;
  color: #1f2328; background: #ffffff;
}
h1 { font-size: 1.9rem; border-bottom: 2px solid #d0d7de; padding-bottom: .3rem; }
h2 { font-size: 1.4rem; margin-top: 2.2rem; border-bottom: 1px solid #d0d7de; }
h3 { font-size: 1.1rem; margin-top: 1.4rem; }
table { border-collapse: collapse; width: 100%; margin: 1rem 0; }
th, td { border: 1px solid #d0d7de; padding: .4rem .6rem; text-align: left;
  vertical-align: top; }
th { background: #f6f8fa; }
blockquote { margin: 1rem 0; padding: .5rem 1rem; border-left: 4px solid #d4a72c;
  background: #fff8c5; }
code { font-family: ui-monospace, Menlo, Consolas, monospace; }
@media (prefers-color-scheme: dark) {
  body { color: #e6edf3; background: #0d1117; }
  th { background: #161b22; }
  th, td, h1, h2 { border-color: #30363d; }
  blockquote { background: #2d2a1a; }
}
@media print { body { max-width: none; margin: 0; } }
"""


def to_markdown(markdown: str) -> str:
    """The Markdown as it is, ending in exactly one newline."""
    return markdown.rstrip("\n") + "\n"


def _renderer() -> MarkdownIt:
    """CommonMark with tables, raw HTML off so answers can't inject markup."""
    return MarkdownIt("commonmark", {"html": False}).enable("table")


def to_html(markdown: str, *, title: str) -> str:
    """A standalone HTML5 page of the Markdown, with its own inline CSS."""
    body = _renderer().render(markdown)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="starmap-tui">\n'
        f"<title>{html.escape(title)}</title>\n"
        f"<style>{_CSS}</style>\n</head>\n<body>\n<main>\n{body}</main>\n"
        "</body>\n</html>\n"
    )


class ExportNotJSON(ValueError):
    """The starmap holds a value that standard JSON cannot represent."""


def to_json_document(
    *,
    title: str,
    answers: dict[str, Any],
    dynamic_questions: Any,
    dynamic_answers: dict[str, Any],
    report: dict[str, Any] | None,
    markdown: str | None,
    status: str,
    experience_level: str | None,
) -> str:
    """A JSON export that ``starmap-tui new --answers FILE`` accepts back."""
    document = {
        "format": JSON_FORMAT,
        "title": title,
        "status": status,
        "experience_level": experience_level,
        "answers": answers,
        "dynamic_questions": dynamic_questions,
        "dynamic_answers": dynamic_answers,
        "report": report,
        "markdown": markdown,
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    try:
        text = json.dumps(
            document, ensure_ascii=False, indent=2, default=str, allow_nan=False
        )
    except ValueError as exc:
        raise ExportNotJSON(
            f"'{title}' holds a number that is not finite (NaN or infinity), "
            "which JSON cannot carry. Correct that answer, then export again."
        ) from exc
    return text + "\n"
