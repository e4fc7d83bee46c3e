"""Repair and check generated deep-dive questions before use (DOMAIN.md §2)."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from starmap_tui.questionnaire.fields import Field, FieldType
from starmap_tui.questionnaire.validation import (
    coerce_value,
    is_answered,
    parse_iso_date,
    validate_value,
)

T = FieldType
MIN_QUESTIONS = 4
MAX_QUESTIONS = 9
LABEL_WORDS = 14
HELP_WORDS = 20
ID_CHARS = 40
TEXT_MAX = 120
TEXTAREA_MAX = 2000
UNIT_CHARS = 12
DEFAULT_TITLE = "Deep dive"

_KNOWN_TYPES = {kind.value for kind in FieldType}

_TYPE_ALIASES: dict[str, FieldType] = {
    "select": T.SINGLE_SELECT,
    "single": T.SINGLE_SELECT,
    "single_choice": T.SINGLE_SELECT,
    "choice": T.SINGLE_SELECT,
    "dropdown": T.SINGLE_SELECT,
    "radio": T.SINGLE_SELECT,
    "multiple_choice": T.SINGLE_SELECT,
    "multiselect": T.MULTI_SELECT,
    "multi": T.MULTI_SELECT,
    "multi_choice": T.MULTI_SELECT,
    "multiple_select": T.MULTI_SELECT,
    "checkbox": T.MULTI_SELECT,
    "checkboxes": T.MULTI_SELECT,
    "date": T.CALENDAR_DATE,
    "range": T.CALENDAR_RANGE,
    "date_range": T.CALENDAR_RANGE,
    "daterange": T.CALENDAR_RANGE,
    "bool": T.BOOLEAN,
    "yes_no": T.BOOLEAN,
    "yesno": T.BOOLEAN,
    "toggle": T.BOOLEAN,
    "integer": T.NUMBER,
    "int": T.NUMBER,
    "float": T.NUMBER,
    "numeric": T.NUMBER,
    "scale": T.SLIDER,
    "rating": T.SLIDER,
    "string": T.TEXT,
    "short_text": T.TEXT,
    "input": T.TEXT,
    "long_text": T.TEXTAREA,
    "paragraph": T.TEXTAREA,
    "text_area": T.TEXTAREA,
}


class QuestionsInvalid(ValueError):
    """Generated questions that cannot be used, with why each item was dropped."""

    def __init__(self, message: str, dropped: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.dropped = tuple(dropped)


class _Drop(Exception):
    """Internal: one question cannot be repaired; the text says why."""


@dataclass(frozen=True)
class QuestionSet:
    """Usable deep-dive questions, plus a reason for every item left out."""

    title: str
    fields: tuple[Field, ...]
    dropped: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The §2 JSON; ``dropped`` is added only when something was dropped."""
        data: dict[str, Any] = {
            "title": self.title,
            "questions": [f.to_dict() for f in self.fields],
        }
        if self.dropped:
            data["dropped"] = list(self.dropped)
        return data


# The whole set -------------------------------------------------------------


def normalise_questions(raw: Any) -> QuestionSet:
    """Repair what can be repaired, drop the rest, and insist on 4 to 9 questions."""
    title, items = _unpack(raw)
    fields: list[Field] = []
    dropped: list[str] = []
    used_ids: set[str] = set()
    for number, item in enumerate(items, start=1):
        try:
            field = _normalise_item(item)
        except _Drop as reason:
            dropped.append(f"{_describe(item, number)}: {reason}")
            continue
        if len(fields) == MAX_QUESTIONS:
            dropped.append(f"{_describe(item, number)}: more than {MAX_QUESTIONS}")
            continue
        fields.append(replace(field, id=_unique_id(field.id, used_ids)))
    if len(fields) < MIN_QUESTIONS:
        message = (
            f"Only {len(fields)} usable question(s) were generated; "
            f"at least {MIN_QUESTIONS} are needed"
        )
        raise QuestionsInvalid(message, tuple(dropped))
    return QuestionSet(title, tuple(fields), tuple(dropped))


def _unpack(raw: Any) -> tuple[str, list[Any]]:
    """The title and the list of raw questions, from an object or a bare list."""
    if isinstance(raw, list):
        return DEFAULT_TITLE, raw
    if isinstance(raw, Mapping) and isinstance(raw.get("questions"), list):
        title = _limit_words(_clean(raw.get("title")), LABEL_WORDS)
        return title or DEFAULT_TITLE, raw["questions"]
    raise QuestionsInvalid('Expected a JSON object with a "questions" list')


def _describe(item: Any, number: int) -> str:
    """How a dropped item is named in the reasons: its position and label."""
    label = _clean(item.get("label")) if isinstance(item, Mapping) else ""
    return f"question {number} ({label!r})" if label else f"question {number}"


def _unique_id(base: str, used: set[str]) -> str:
    """``base``, or ``base_2``, ``base_3``… when it is already taken."""
    candidate, n = base, 2
    while candidate in used:
        candidate, n = f"{base}_{n}", n + 1
    used.add(candidate)
    return candidate


# One question ----------------------------------------------------------------


def _normalise_item(item: Any) -> Field:
    """One usable Field from a raw question, or _Drop with the reason."""
    if not isinstance(item, Mapping):
        raise _Drop("not an object")
    # Some models write the question under "question" instead of "label".
    raw_label = item.get("label") or item.get("question")
    label = _limit_words(_clean(raw_label), LABEL_WORDS)
    if not label:
        raise _Drop("no label")
    kind = _field_type(item)
    field = Field(
        id=slugify(item.get("id")) or slugify(label) or "question",
        label=label,
        type=kind,
        help=_limit_words(_clean(item.get("help")), HELP_WORDS),
        required=item.get("required") is True,
        **_type_attributes(kind, item),
    )
    return replace(field, default=_usable_default(field, item.get("default")))


def _field_type(item: Mapping[str, Any]) -> FieldType:
    """The known type named by ``type``, through the aliases."""
    raw = item.get("type")
    if not isinstance(raw, str) or not raw.strip():
        raise _Drop("no type")
    key = re.sub(r"[\s-]+", "_", raw.strip().lower())
    if key in _KNOWN_TYPES:
        return FieldType(key)
    if key in _TYPE_ALIASES:
        return _TYPE_ALIASES[key]
    raise _Drop(f"unknown type {raw.strip()!r}")


def _type_attributes(kind: FieldType, item: Mapping[str, Any]) -> dict[str, Any]:
    """The attributes that belong to this type, repaired."""
    if kind in {T.TEXT, T.TEXTAREA}:
        return _text_attributes(kind, item)
    if kind in {T.SINGLE_SELECT, T.MULTI_SELECT}:
        return _select_attributes(item)
    if kind in {T.SLIDER, T.NUMBER}:
        return _number_attributes(kind, item)
    if kind in {T.CALENDAR_DATE, T.CALENDAR_RANGE}:
        return _date_attributes(item)
    return {}


def _text_attributes(kind: FieldType, item: Mapping[str, Any]) -> dict[str, Any]:
    """Placeholder and a positive max_length (a sensible one when absent)."""
    limit = _number(item.get("max_length"))
    if limit is None or limit < 1 or not float(limit).is_integer():
        limit = TEXT_MAX if kind is T.TEXT else TEXTAREA_MAX
    return {"placeholder": _clean(item.get("placeholder")), "max_length": int(limit)}


def _select_attributes(item: Mapping[str, Any]) -> dict[str, Any]:
    """At least one distinct, non-blank option."""
    options = _options(item.get("options"))
    if not options:
        raise _Drop("a select needs at least one option")
    return {"options": options, "allow_custom": item.get("allow_custom") is not False}


def _options(raw: Any) -> tuple[str, ...]:
    """Option texts from strings or {value, label} objects, deduplicated."""
    if not isinstance(raw, list | tuple):
        return ()
    result: list[str] = []
    seen: set[str] = set()
    for entry in raw:
        text = _option_text(entry)
        if text and text.casefold() not in seen:
            seen.add(text.casefold())
            result.append(text)
    return tuple(result)


def _option_text(entry: Any) -> str:
    """The words a person sees for one option; the label wins over the value."""
    if isinstance(entry, Mapping):
        return _clean(entry.get("label")) or _clean(entry.get("value"))
    return _clean(entry)


def _number_attributes(kind: FieldType, item: Mapping[str, Any]) -> dict[str, Any]:
    """min < max (a slider defaults to 0..100), a positive step, a short unit."""
    low, high = _number(item.get("min")), _number(item.get("max"))
    if kind is T.SLIDER:
        low = 0 if low is None else low
        high = 100 if high is None else high
    if low is not None and high is not None:
        if low == high:
            raise _Drop(f"min and max are both {low}")
        low, high = min(low, high), max(low, high)
    step = _number(item.get("step"))
    unit = _clean(item.get("unit"))[:UNIT_CHARS]
    return {
        "min": low,
        "max": high,
        "step": step if step and step > 0 else 1,
        "unit": unit,
    }


def _date_attributes(item: Mapping[str, Any]) -> dict[str, Any]:
    """Valid ISO min_date / max_date, in order."""
    dates = [
        _clean(item.get(key)) if parse_iso_date(_clean(item.get(key))) else None
        for key in ("min_date", "max_date")
    ]
    earliest, latest = dates
    if earliest and latest and latest < earliest:
        earliest, latest = latest, earliest
    return {"min_date": earliest, "max_date": latest}


def _usable_default(field: Field, raw: Any) -> Any:
    """The default when it is a valid answer for the field; otherwise none."""
    # A range default would make the frozen Field unhashable, and §1.1
    # declares defaults only for selects, dates and numbers.
    if raw is None or field.type is T.CALENDAR_RANGE:
        return None
    value = coerce_value(field, raw)
    if not is_answered(field, value) or validate_value(field, value) is not None:
        return None
    return tuple(value) if isinstance(value, list) else value


# Text helpers ------------------------------------------------------------------


def _clean(value: Any) -> str:
    """Text with whitespace collapsed; numbers as text; anything else empty."""
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int | float):
        return str(value)
    return " ".join(value.split()) if isinstance(value, str) else ""


def _limit_words(text: str, limit: int) -> str:
    """At most ``limit`` words; a trimmed text ends with an ellipsis."""
    words = text.split()
    if len(words) <= limit:
        return text
    return " ".join(words[:limit]).rstrip(",;:-") + "…"


def _number(value: Any) -> int | float | None:
    """A finite number from a number or numeric text; whole values as int."""
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value):
        return None
    return int(value) if float(value).is_integer() else value


def slugify(value: Any) -> str:
    """A snake_case id from any text: ``"Team Size?"`` → ``team_size``."""
    text = _clean(value)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    slug = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    if slug[:1].isdigit():
        slug = f"q_{slug}"
    if len(slug) > ID_CHARS:
        cut = slug[:ID_CHARS]
        slug = cut.rsplit("_", 1)[0] if "_" in cut else cut
    return slug


# Stored JSON -------------------------------------------------------------------


def question_set_from_dict(data: Any) -> QuestionSet:
    """Rebuild a QuestionSet from its stored ``to_dict`` JSON, without loss."""
    if not isinstance(data, Mapping) or not isinstance(data.get("questions"), list):
        raise QuestionsInvalid("Stored questions are not in the expected shape")
    try:
        fields = tuple(field_from_dict(q) for q in data["questions"])
    except (KeyError, TypeError, ValueError) as error:
        raise QuestionsInvalid(f"A stored question is damaged: {error}") from error
    dropped = tuple(str(reason) for reason in data.get("dropped") or ())
    return QuestionSet(str(data.get("title") or DEFAULT_TITLE), fields, dropped)


def field_from_dict(data: Mapping[str, Any]) -> Field:
    """A Field from ``Field.to_dict`` output; absent attributes keep defaults."""
    default = data.get("default")
    return Field(
        id=str(data["id"]),
        label=str(data["label"]),
        type=FieldType(data["type"]),
        help=str(data.get("help", "")),
        required=data.get("required") is True,
        placeholder=str(data.get("placeholder", "")),
        max_length=data.get("max_length"),
        min_length=data.get("min_length"),
        format=data.get("format"),
        options=tuple(data.get("options") or ()),
        allow_custom=data.get("allow_custom") is not False,
        default=tuple(default) if isinstance(default, list) else default,
        min_date=data.get("min_date"),
        max_date=data.get("max_date"),
        min=data.get("min"),
        max=data.get("max"),
        step=data.get("step", 1),
        unit=str(data.get("unit", "")),
    )
