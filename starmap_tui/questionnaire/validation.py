"""Answer checks for every field type: coercion, validity, completeness."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

from starmap_tui.questionnaire.fields import Field, FieldType, Stage

T = FieldType
TEXT_LIKE = {T.TEXT, T.TEXTAREA, T.SINGLE_SELECT}
NUMERIC = {T.NUMBER, T.SLIDER}

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EMAIL = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}$"
)
_PHONE_CHARS = re.compile(r"^\+?[0-9 ()\-.]+$")
_HOST = re.compile(
    r"^(localhost|([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}"
    r"|\d{1,3}(\.\d{1,3}){3})$"
)
_THOUSANDS = re.compile(r"^[-+]?\d{1,3}(,\d{3})+(\.\d+)?$")
_TRUE = {"yes", "y", "true", "1", "on"}
_FALSE = {"no", "n", "false", "0", "off"}

_REQUIRED_MESSAGES: dict[FieldType, str] = {
    T.TEXT: "Enter a value",
    T.TEXTAREA: "Enter a value",
    T.SINGLE_SELECT: "Choose an option",
    T.MULTI_SELECT: "Choose at least one option",
    T.CALENDAR_DATE: "Choose a date",
    T.CALENDAR_RANGE: "Choose a start and an end date",
    T.SLIDER: "Choose a value",
    T.NUMBER: "Enter a number",
    T.BOOLEAN: "Choose yes or no",
}

_FORMAT_MESSAGES: dict[str, str] = {
    "email": "Enter an email like name@example.com",
    "url": "Enter a web address like https://example.com",
    "phone": "Enter a phone number using digits, spaces and + - ( ) .",
}


# Coercion ------------------------------------------------------------------


def coerce_value(field: Field, value: Any) -> Any:
    """The answer in its stored shape; values that cannot be coerced pass through."""
    if field.type is T.SINGLE_SELECT:
        return _coerce_single(field, value)
    if field.type in TEXT_LIKE:
        return _coerce_text(value)
    if field.type is T.MULTI_SELECT:
        return _coerce_multi(field, value)
    if field.type is T.CALENDAR_DATE:
        return _coerce_date(value)
    if field.type is T.CALENDAR_RANGE:
        return _coerce_range(value)
    if field.type in NUMERIC:
        return _coerce_number(value)
    return _coerce_bool(value)


def _coerce_text(value: Any) -> Any:
    """Strip strings; turn plain numbers into text; leave the rest alone."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def _coerce_single(field: Field, value: Any) -> Any:
    """Stripped text, a listed option in its own spelling whatever the case."""
    value = _coerce_text(value)
    if not isinstance(value, str):
        return value
    key = value.casefold()
    return next((o for o in field.options if o.casefold() == key), value)


def _coerce_multi(field: Field, value: Any) -> Any:
    """A list without blanks or duplicates, listed options in their own spelling."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        return value
    canonical = {option.casefold(): option for option in field.options}
    result: list[str] = []
    seen: set[str] = set()
    for item in value:
        text = str(item).strip() if item is not None else ""
        key = text.casefold()
        if text and key not in seen:
            seen.add(key)
            result.append(canonical.get(key, text))
    return result


def _coerce_date(value: Any) -> Any:
    """ISO text from a date, datetime or padded string."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return value.strip()
    return value


def _coerce_range(value: Any) -> Any:
    """``{"start", "end"}`` ISO text from a mapping or a two-item sequence."""
    if isinstance(value, list | tuple) and len(value) == 2:
        value = {"start": value[0], "end": value[1]}
    if not isinstance(value, Mapping):
        return value
    return {
        "start": _blank_to_empty(_coerce_date(value.get("start"))),
        "end": _blank_to_empty(_coerce_date(value.get("end"))),
    }


def _blank_to_empty(value: Any) -> Any:
    """An absent range end is stored as the empty string."""
    return "" if value is None else value


def _coerce_number(value: Any) -> Any:
    """Numbers from numeric text; whole floats become ints; blank becomes None."""
    if isinstance(value, str):
        text = value.strip()
        if _THOUSANDS.match(text):
            text = text.replace(",", "")
        if not text:
            return None
        try:
            value = float(text)
        except ValueError:
            return value.strip()
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return value


def _coerce_bool(value: Any) -> Any:
    """True / False from yes-no words; blank becomes None."""
    if isinstance(value, str):
        word = value.strip().casefold()
        if not word:
            return None
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    return value


# Answered -------------------------------------------------------------------


def is_answered(field: Field, value: Any) -> bool:
    """Whether the value counts as an answer for a required field (§1.1)."""
    value = coerce_value(field, value)
    if field.type in TEXT_LIKE:
        return isinstance(value, str) and bool(value)
    if field.type is T.MULTI_SELECT:
        return isinstance(value, list) and bool(value)
    if field.type is T.CALENDAR_DATE:
        return parse_iso_date(value) is not None
    if field.type is T.CALENDAR_RANGE:
        return _range_error(field, value) is None
    if field.type in NUMERIC:
        return is_number(value)
    return isinstance(value, bool)


def is_number(value: Any) -> bool:
    """A finite int or float; booleans are not numbers here."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return math.isfinite(value)


def parse_iso_date(value: Any) -> date | None:
    """The date for a real ``yyyy-mm-dd`` string, else None."""
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _is_blank(value: Any) -> bool:
    """Nothing entered at all: None, empty text, an empty list or empty range."""
    if value is None:
        return True
    if isinstance(value, str | list | tuple):
        return not value
    if isinstance(value, Mapping):
        return not any(value.get(k) for k in ("start", "end"))
    return False


# Validation ----------------------------------------------------------------


def validate_value(field: Field, value: Any) -> str | None:
    """A message saying what to fix, or None when the value is acceptable."""
    value = coerce_value(field, value)
    if _is_blank(value):
        return _REQUIRED_MESSAGES[field.type] if field.required else None
    checks = {
        T.TEXT: _text_error,
        T.TEXTAREA: _text_error,
        T.SINGLE_SELECT: _single_error,
        T.MULTI_SELECT: _multi_error,
        T.CALENDAR_DATE: _date_error,
        T.CALENDAR_RANGE: _range_error,
        T.SLIDER: _number_error,
        T.NUMBER: _number_error,
        T.BOOLEAN: _bool_error,
    }
    return checks[field.type](field, value)


def _text_error(field: Field, value: Any) -> str | None:
    """Length limits and the field's format (email, url, phone)."""
    if not isinstance(value, str):
        return "Enter text"
    if field.min_length and len(value) < field.min_length:
        return f"Enter at least {field.min_length} characters"
    if field.max_length and len(value) > field.max_length:
        return f"Keep it to {field.max_length} characters or fewer"
    if field.format and not _FORMAT_CHECKS[field.format](value):
        return _FORMAT_MESSAGES[field.format]
    return None


def is_email(value: str) -> bool:
    """Whether the text looks like ``local@domain.tld``."""
    return len(value) <= 254 and bool(_EMAIL.match(value))


def is_url(value: str) -> bool:
    """Whether the text is an http(s) address with a plausible host."""
    if any(ch.isspace() for ch in value):
        return False
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        return False
    return parts.scheme in {"http", "https"} and bool(_HOST.match(host))


def is_phone(value: str) -> bool:
    """Digits, spaces and ``+ - ( ) .`` with 7 to 15 digits in all."""
    digits = sum(ch.isdigit() for ch in value)
    return bool(_PHONE_CHARS.match(value)) and 7 <= digits <= 15


_FORMAT_CHECKS = {"email": is_email, "url": is_url, "phone": is_phone}


def _single_error(field: Field, value: Any) -> str | None:
    """One of the options, or a custom value where the field allows it."""
    if not isinstance(value, str):
        return "Choose an option"
    if value in field.options:
        return None
    if not field.allow_custom:
        return "Choose one of the listed options"
    return _text_error(field, value) if field.max_length else None


def _multi_error(field: Field, value: Any) -> str | None:
    """A list of options, plus custom values where the field allows them."""
    if not isinstance(value, list):
        return "Choose one or more options"
    unknown = [v for v in value if v not in field.options]
    if unknown and not field.allow_custom:
        return f"Not one of the listed options: {unknown[0]}"
    return None


def _date_error(field: Field, value: Any) -> str | None:
    """A real ISO date inside the field's min_date..max_date."""
    day = parse_iso_date(value)
    if day is None:
        return "Enter a real date as yyyy-mm-dd"
    return _date_bounds_error(field, day)


# Dates outside these years are typing slips, and the report's arithmetic on
# them (phases, weeks) would run past what a date can hold.
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2200, 12, 31)


def _date_bounds_error(field: Field, day: date) -> str | None:
    """A message when the date falls outside min_date..max_date."""
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        return (
            f"Choose a date between {EARLIEST_DATE.isoformat()} and "
            f"{LATEST_DATE.isoformat()}"
        )
    earliest = parse_iso_date(field.min_date)
    latest = parse_iso_date(field.max_date)
    if earliest and day < earliest:
        return f"Choose a date on or after {field.min_date}"
    if latest and day > latest:
        return f"Choose a date on or before {field.max_date}"
    return None


def _range_error(field: Field, value: Any) -> str | None:
    """Both ends real dates inside the bounds, the end not before the start."""
    if not isinstance(value, Mapping):
        return "Choose a start and an end date"
    start, end = value.get("start"), value.get("end")
    if not start or not end:
        return "Choose an end date" if start else "Choose a start date"
    first, last = parse_iso_date(start), parse_iso_date(end)
    if first is None or last is None:
        return "Enter real dates as yyyy-mm-dd"
    if last < first:
        return "End date must be on or after the start date"
    return _date_bounds_error(field, first) or _date_bounds_error(field, last)


def _number_error(field: Field, value: Any) -> str | None:
    """A number inside min..max; out-of-range values are refused, not clamped."""
    if not is_number(value):
        return "Enter a number"
    low, high = field.min, field.max
    if low is not None and high is not None and not low <= value <= high:
        return f"Must be between {_num(low)} and {_num(high)}"
    if low is not None and value < low:
        return f"Must be at least {_num(low)}"
    if high is not None and value > high:
        return f"Must be at most {_num(high)}"
    return None


def _num(value: float) -> str:
    """A bound as people write it: 10, not 10.0."""
    return str(int(value)) if float(value).is_integer() else str(value)


def _bool_error(field: Field, value: Any) -> str | None:
    """Yes or no only."""
    return None if isinstance(value, bool) else "Choose yes or no"


# Whole sets of answers -------------------------------------------------------


def validate_answers(
    fields: Iterable[Field], answers: Mapping[str, Any]
) -> dict[str, str]:
    """Field id → message for every field whose answer is missing or invalid."""
    errors: dict[str, str] = {}
    for field in fields:
        message = validate_value(field, answers.get(field.id))
        if (
            message is None
            and field.required
            and not is_answered(field, answers.get(field.id))
        ):
            message = _REQUIRED_MESSAGES[field.type]
        if message:
            errors[field.id] = message
    return errors


def stage_complete(stage: Stage, answers: Mapping[str, Any]) -> bool:
    """Whether every field of the stage has a valid answer (required ones present)."""
    return not validate_answers(stage.fields, answers)


def apply_defaults(
    fields: Iterable[Field], answers: Mapping[str, Any]
) -> dict[str, Any]:
    """A new dict: the answers plus declared defaults for ids not yet present."""
    result = dict(answers)
    for field in fields:
        if field.id in result:
            continue
        default = field.resolved_default()
        if default is not None:
            result[field.id] = coerce_value(field, default)
    return result
