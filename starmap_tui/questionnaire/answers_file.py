"""Reading a starmap from a JSON answers document (``new --answers FILE``).

The shape is ``{"title": str, "answers": {field_id: value},
"dynamic_answers": {question_id: value}}``; other keys are ignored, so the
JSON export is accepted back. Every problem is collected, not just the first.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from starmap_tui.questionnaire.stages import STATIC_STAGES, static_field
from starmap_tui.questionnaire.validation import (
    apply_defaults,
    coerce_value,
    validate_answers,
)


class AnswersInvalid(ValueError):
    """The document cannot be used; ``problems`` lists every reason."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class AnswersDocument:
    """A validated answers document, with answers grouped by stage."""

    title: str
    stage_answers: dict[str, dict[str, Any]]
    dynamic_answers: dict[str, Any]


def parse_answers_text(text: str, *, title: str | None = None) -> AnswersDocument:
    """Parse and validate the JSON text of an answers document."""
    # Editors on Windows often save UTF-8 with a byte order mark.
    text = text.removeprefix("\ufeff")
    try:
        data = json.loads(text, parse_int=_parse_int)
    except json.JSONDecodeError as exc:
        raise AnswersInvalid(
            [f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"]
        ) from exc
    except RecursionError as exc:
        raise AnswersInvalid(["not usable JSON (nested too deeply)"]) from exc
    return parse_answers(data, title=title)


# Far beyond any budget, head count or percent; it also keeps every number
# convertible to text, which Python refuses past 4300 digits.
LARGEST_NUMBER = 10**15


def _parse_int(text: str) -> int | float:
    """A JSON integer; one too long to convert becomes infinity, refused later."""
    return int(text) if len(text) <= 100 else math.inf


def parse_answers(data: Any, *, title: str | None = None) -> AnswersDocument:
    """Validate a decoded answers document against every static stage."""
    if not isinstance(data, dict):
        raise AnswersInvalid(["the document must be a JSON object"])
    # Other keys are ignored, so only what is kept is checked.
    kept = {k: data[k] for k in ("title", "answers", "dynamic_answers") if k in data}
    problems = list(_unstorable(kept, ""))
    if problems:
        raise AnswersInvalid(problems)
    answers = _mapping(data, "answers", problems)
    dynamic = _mapping(data, "dynamic_answers", problems)
    name = title if title is not None else data.get("title", "")
    if not isinstance(name, str) or not name.strip():
        problems.append("title: give a non-empty title (in the file or --title)")
    unknown = sorted(k for k in answers if static_field(k) is None)
    problems.extend(f"{k}: not a known question id" for k in unknown)
    stages = _by_stage(answers, problems)
    if problems:
        raise AnswersInvalid(problems)
    return AnswersDocument(str(name).strip(), stages, dict(dynamic))


def _unstorable(value: Any, where: str) -> Iterator[str]:
    """A problem for every value under ``value`` the store cannot keep as is.

    Text must be encodable as UTF-8 (no lone surrogates such as ``\\ud800``);
    numbers must be finite and within ±LARGEST_NUMBER. ``where`` names the
    place as ``answers.field_id``.
    """
    if isinstance(value, dict):
        for key, item in value.items():
            name = f"{where}.{key}" if where else str(key)
            yield from _unstorable(key, name) if isinstance(key, str) else ()
            yield from _unstorable(item, name)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _unstorable(item, f"{where}[{index}]")
    elif isinstance(value, str):
        if not _encodable(value):
            yield f"{where}: contains characters that are not valid Unicode text"
    elif isinstance(value, int | float) and not _storable_number(value):
        yield f"{where}: give a finite number no larger than 10^15"


def _storable_number(value: float) -> bool:
    """Booleans pass; other numbers must be finite and within the bound."""
    return isinstance(value, bool) or (
        math.isfinite(value) and abs(value) <= LARGEST_NUMBER
    )


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _mapping(data: dict[str, Any], key: str, problems: list[str]) -> dict[str, Any]:
    value = data.get(key, {})
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.append(f"{key}: must be an object of question id → answer")
        return {}
    return value


def _by_stage(
    answers: dict[str, Any], problems: list[str]
) -> dict[str, dict[str, Any]]:
    stages: dict[str, dict[str, Any]] = {}
    for stage in STATIC_STAGES:
        given = {
            f.id: coerce_value(f, answers[f.id])
            for f in stage.fields
            if f.id in answers
        }
        given = apply_defaults(stage.fields, given)
        errors = validate_answers(stage.fields, given)
        problems.extend(
            f"{field_id}: {message}" for field_id, message in errors.items()
        )
        stages[stage.id] = given
    return stages
