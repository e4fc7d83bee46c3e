"""The offline engine's rules: deep-dive questions and reports built from answers.

Nothing here calls a network or a model. :func:`generate` reads a generation
context and returns the JSON-ready result for one job kind.
"""

from __future__ import annotations

from typing import Any

from starmap_tui.worker.offline.facts import read_facts
from starmap_tui.worker.offline.questions import build_questions
from starmap_tui.worker.offline.report import build_report

__all__ = ["build_questions", "build_report", "generate", "read_facts"]


def generate(kind: str, context: Any) -> dict[str, Any]:
    """The questions or report for ``kind``, built from ``context`` by rules."""
    facts = read_facts(context, final=kind == "final")
    if kind == "questions":
        return build_questions(facts)
    return build_report(facts)
