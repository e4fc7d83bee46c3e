"""Answers as people read them: for prompts and the report's Discovery Q&A."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from starmap_tui.questionnaire.fields import Field, FieldType
from starmap_tui.questionnaire.validation import (
    coerce_value,
    is_answered,
    is_number,
)

T = FieldType
_PREFIX_UNITS = {"$", "€", "£", "¥", "₹"}
_ATTACHED_UNITS = {"%"}


def format_answer(field: Field, value: Any) -> str:
    """The answer as plain text; an empty string when there is none."""
    value = coerce_value(field, value)
    if value is None or value == "" or value == []:
        return ""
    if field.type is T.MULTI_SELECT and isinstance(value, list):
        return ", ".join(value)
    if field.type is T.CALENDAR_RANGE and isinstance(value, Mapping):
        return _format_range(value)
    if field.type is T.BOOLEAN and isinstance(value, bool):
        return "Yes" if value else "No"
    if field.type in {T.NUMBER, T.SLIDER} and is_number(value):
        return _format_number(value, field.unit)
    return str(value)


def _format_range(value: Mapping[str, Any]) -> str:
    """``start to end``, or the one end that is known."""
    start, end = value.get("start") or "", value.get("end") or ""
    if start and end:
        return f"{start} to {end}"
    if start:
        return f"from {start}"
    return f"until {end}" if end else ""


def _format_number(value: float, unit: str) -> str:
    """Digits grouped by thousands, with the unit where people put it."""
    digits = f"{value:,}"
    if not unit:
        return digits
    if unit in _PREFIX_UNITS:
        return f"-{unit}{digits[1:]}" if value < 0 else f"{unit}{digits}"
    if unit in _ATTACHED_UNITS:
        return f"{digits}{unit}"
    return f"{digits} {unit}"


def labelled_answers(
    fields: Iterable[Field], answers: Mapping[str, Any]
) -> list[tuple[str, str]]:
    """(label, answer text) in field order, skipping fields not answered (§1.1)."""
    pairs: list[tuple[str, str]] = []
    for field in fields:
        value = answers.get(field.id)
        if is_answered(field, value):
            pairs.append((field.label, format_answer(field, value)))
    return pairs
