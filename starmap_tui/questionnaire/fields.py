"""Field definitions shared by the static stages and generated questions."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class FieldType(StrEnum):
    """The kinds of question a stage can ask (DOMAIN.md §1.1)."""

    TEXT = "text"
    TEXTAREA = "textarea"
    SINGLE_SELECT = "single_select"
    MULTI_SELECT = "multi_select"
    CALENDAR_DATE = "calendar_date"
    CALENDAR_RANGE = "calendar_range"
    SLIDER = "slider"
    NUMBER = "number"
    BOOLEAN = "boolean"


@dataclass(frozen=True)
class Field:
    """One question: what it asks, how it is answered and what is valid.

    Only the attributes that fit ``type`` are meaningful; the rest keep their
    defaults. ``format`` names an extra text check: ``email``, ``url``,
    ``phone`` or ``None``. ``default`` may be a zero-argument callable when the
    value depends on the moment it is applied (the machine's time zone); read
    it through :meth:`resolved_default`.
    """

    id: str
    label: str
    type: FieldType
    help: str = ""
    required: bool = False
    placeholder: str = ""
    max_length: int | None = None
    min_length: int | None = None
    format: str | None = None
    options: tuple[str, ...] = ()
    allow_custom: bool = True
    default: Any = None
    min_date: str | None = None
    max_date: str | None = None
    min: float | None = None
    max: float | None = None
    step: float = 1
    unit: str = ""

    def resolved_default(self) -> Any:
        """The declared default, computed now when it is a callable."""
        return self.default() if callable(self.default) else self.default

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of DOMAIN.md §2, without empty attributes."""
        data: dict[str, Any] = {
            "id": self.id,
            "type": str(self.type),
            "label": self.label,
            "help": self.help,
            "required": self.required,
        }
        optional = {
            "placeholder": self.placeholder or None,
            "max_length": self.max_length,
            "options": list(self.options) or None,
            "default": None if callable(self.default) else _plain(self.default),
            "min_length": self.min_length,
            "format": self.format,
            "allow_custom": False if self.options and not self.allow_custom else None,
            "min_date": self.min_date,
            "max_date": self.max_date,
            "min": self.min,
            "max": self.max,
            "step": self.step if self.type in _NUMERIC else None,
            "unit": self.unit or None,
        }
        data.update({k: v for k, v in optional.items() if v is not None})
        return data


_NUMERIC = {FieldType.SLIDER, FieldType.NUMBER}


def _plain(value: Any) -> Any:
    """A JSON-ready copy: tuples (multi-select defaults) become lists."""
    return list(value) if isinstance(value, tuple) else value


@dataclass(frozen=True)
class Stage:
    """One step of the wizard with its fields."""

    id: str
    title: str
    fields: tuple[Field, ...] = field(default_factory=tuple)

    def field_by_id(self, field_id: str) -> Field | None:
        """The field with this id, if the stage has one."""
        return next((f for f in self.fields if f.id == field_id), None)
