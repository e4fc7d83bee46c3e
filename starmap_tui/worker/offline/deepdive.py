"""The deep-dive answers of a final report, read by question id and label."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starmap_tui.worker.offline import ids
from starmap_tui.worker.offline.facts import Facts, as_date, as_list, as_number, as_text
from starmap_tui.worker.offline.text import clip

_KNOWN = {v for k, v in vars(ids).items() if k.isupper()}


@dataclass
class DeepDive:
    """Answers to our own question bank, plus labelled answers to any others."""

    answers: dict[str, Any] = field(default_factory=dict)
    others: list[tuple[str, str]] = field(default_factory=list)

    @property
    def count(self) -> int:
        """How many deep-dive questions were answered."""
        return len(self.answers) + len(self.others)

    def text(self, qid: str) -> str:
        """A text answer, or ""."""
        return as_text(self.answers.get(qid))

    def items(self, qid: str) -> list[str]:
        """A multi-select answer (a single choice counts as one)."""
        return as_list(self.answers.get(qid))

    def number(self, qid: str) -> float | None:
        """A numeric answer, or None."""
        return as_number(self.answers.get(qid))

    def flag(self, qid: str) -> bool | None:
        """A yes/no answer, or None when unanswered."""
        value = self.answers.get(qid)
        if isinstance(value, bool):
            return value
        text = as_text(value).casefold()
        return {"yes": True, "true": True, "no": False, "false": False}.get(text)


def display(value: Any) -> str:
    """An answer of any type as short readable text ("" when blank)."""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(as_list(value))
    if isinstance(value, dict) and {"start", "end"} <= value.keys():
        start, end = as_date(value["start"]), as_date(value["end"])
        return f"{start} to {end}" if start and end else ""
    number = as_number(value) if not isinstance(value, str) else None
    if number is not None:
        return f"{number:g}"
    return clip(as_text(value), 40)


def _labels(questions: list[dict[str, Any]]) -> dict[str, str]:
    return {
        as_text(q.get("id")): as_text(q.get("label")) or as_text(q.get("id"))
        for q in questions
        if as_text(q.get("id"))
    }


def read_deep_dive(facts: Facts) -> DeepDive:
    """The answered deep-dive questions of ``facts``; blanks are skipped."""
    labels = _labels(facts.dynamic_questions)
    deep = DeepDive()
    for raw_id, value in facts.dynamic_answers.items():
        qid = str(raw_id)
        if not display(value):
            continue
        if qid in _KNOWN:
            deep.answers[qid] = value
        else:
            deep.others.append((labels.get(qid, qid.replace("_", " ")), display(value)))
    return deep
