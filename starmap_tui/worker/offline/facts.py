"""The facts of one starmap, read leniently from a generation context.

Every key may be missing or malformed; whatever cannot be read becomes an
empty value here, and the rules turn empty values into unknowns.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from starmap_tui.worker.offline.stated import Stated, read_stated
from starmap_tui.worker.offline.text import uniq

_AMOUNT = re.compile(r"(\d[\d,]*(?:\.\d+)?)\s*([kKmM](?![a-z]))?")
_NO_ANSWER = {"none", "limited/none", "n/a", "other"}
_VIDEO_TOOLS = ("Zoom", "Teams", "Google Workspace", "Microsoft 365")
_LMS_TOOLS = ("LMS", "Moodle", "Canvas")


@dataclass(frozen=True)
class Timeline:
    """The project's start and end dates (end on or after start)."""

    start: date
    end: date

    @property
    def days(self) -> int:
        """Calendar days from start to end, both included."""
        return (self.end - self.start).days + 1

    @property
    def weeks(self) -> float:
        """The span in weeks."""
        return self.days / 7


@dataclass(frozen=True)
class Budget:
    """The budget option as typed, the range it allows and the range we plan in."""

    label: str
    floor: int | None = None
    ceiling: int | None = None
    plan_low: int | None = None
    plan_high: int | None = None

    @property
    def known(self) -> bool:
        """True when the answer gives amounts we can plan within."""
        return self.plan_low is not None and self.plan_high is not None


@dataclass
class Facts:
    """Everything the rules read, already cleaned."""

    title: str
    level: str
    today: date
    answers: dict[str, Any]
    timeline: Timeline | None
    budget: Budget
    compliance: list[str]
    stakeholders: list[str]
    hardware: list[str]
    software: list[str]
    extra_context: str
    final: bool
    dynamic_questions: list[dict[str, Any]] = field(default_factory=list)
    dynamic_answers: dict[str, Any] = field(default_factory=dict)
    corpus: str = ""
    # Learners counted in the added context, which wins over the audience answer.
    audience_size: int | None = None
    # What the added context replaced: "budget", "start", "end" or "audience",
    # each with the questionnaire's answer as text.
    replaced: dict[str, str] = field(default_factory=dict)
    # Figures in the added context that could not be used, and why.
    context_problems: list[str] = field(default_factory=list)

    def text(self, field_id: str) -> str:
        """A static answer as clean text ("" when missing or not text)."""
        return as_text(self.answers.get(field_id))

    def mentions(self, pattern: re.Pattern[str]) -> bool:
        """True when the free-text answers match ``pattern``."""
        return pattern.search(self.corpus) is not None

    def has_hardware(self, *names: str) -> bool:
        """True when any of ``names`` is among the available devices."""
        return _any_named(self.hardware, names)

    def has_software(self, *names: str) -> bool:
        """True when any of ``names`` is among the available platforms."""
        return _any_named(self.software, names)

    def video_tools(self) -> list[str]:
        """The video-meeting platforms the organization has."""
        return [s for s in self.software if _any_named([s], _VIDEO_TOOLS)]

    def lms(self) -> list[str]:
        """The learning platforms the organization has."""
        return [s for s in self.software if _any_named([s], _LMS_TOOLS)]

    @property
    def novice(self) -> bool:
        """True for a user new to needs analysis."""
        return self.level == "novice"

    @property
    def expert(self) -> bool:
        """True for a seasoned practitioner."""
        return self.level == "expert"


def _any_named(items: list[str], names: tuple[str, ...]) -> bool:
    lowered = {item.casefold() for item in items}
    return any(name.casefold() in lowered for name in names)


def as_text(value: Any) -> str:
    """A value as trimmed text; containers and None become ""."""
    if isinstance(value, bool) or value is None or isinstance(value, dict | list):
        return ""
    return str(value).strip()


def as_list(value: Any) -> list[str]:
    """A multi-select answer as unique strings; a lone string counts as one."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        return []
    return uniq(str(v) for v in value if isinstance(v, str | int | float))


def as_number(value: Any) -> float | None:
    """A finite number from a number or numeric text, else None."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(str(value).strip().replace(",", ""))
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def as_date(value: Any) -> date | None:
    """An ISO date, else None."""
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def read_timeline(value: Any) -> Timeline | None:
    """The project timeline, or None when missing, malformed or reversed."""
    if isinstance(value, dict):
        start, end = as_date(value.get("start")), as_date(value.get("end"))
    elif isinstance(value, list | tuple) and len(value) == 2:
        start, end = as_date(value[0]), as_date(value[1])
    else:
        return None
    if start is None or end is None or end < start:
        return None
    return Timeline(start, end)


def amounts(text: str) -> list[int]:
    """Dollar amounts written in ``text`` ("$10,000", "1M", "30k")."""
    found = []
    for number, suffix in _AMOUNT.findall(text):
        scale = {"k": 1_000, "m": 1_000_000}.get(suffix.lower(), 1)
        found.append(round(float(number.replace(",", "")) * scale))
    return found


def read_budget(value: Any) -> Budget:
    """The budget answer with the range it allows and the range we plan in."""
    label = as_text(value)
    lowered = label.casefold()
    found = amounts(label)
    if not found or "determined" in lowered or "tbd" in lowered:
        return Budget(label)
    if lowered.startswith(("<", "under", "less than", "up to")):
        ceiling = found[0]
        return Budget(label, 0, ceiling, round(ceiling * 0.5), round(ceiling * 0.95))
    if lowered.startswith((">", "over", "more than")) or lowered.endswith("+"):
        floor = found[0]
        return Budget(label, floor, None, floor, round(floor * 1.5))
    if len(found) >= 2:
        low, high = sorted(found[:2])
        return Budget(label, low, high, low, high)
    return Budget(label, 0, found[0], round(found[0] * 0.8), found[0])


def read_level(value: Any) -> str:
    """``novice``, ``intermediate`` or ``expert``; intermediate when unclear."""
    text = as_text(value).casefold()
    return next((k for k in ("novice", "expert") if text.startswith(k)), "intermediate")


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _corpus(answers: dict[str, Any], extra: str) -> str:
    keys = (
        "project_objectives",
        "project_constraints",
        "target_audience",
        "additional_context",
        "org_mission",
        "subject_matter_experts",
    )
    return " \n".join([*(as_text(answers.get(k)) for k in keys), extra]).casefold()


def _choices(answers: dict[str, Any], field_id: str) -> list[str]:
    return [v for v in as_list(answers.get(field_id)) if v.casefold() not in _NO_ANSWER]


def read_facts(context: Any, *, final: bool) -> Facts:
    """The facts of ``context``; never raises on malformed input.

    Figures stated in the added context (budget, head count, dates) win over
    the questionnaire's answers; ``Facts.replaced`` records what they replaced.
    """
    ctx = _mapping(context)
    answers = {str(k): v for k, v in _mapping(ctx.get("answers")).items()}
    extra = as_text(ctx.get("extra_context"))
    questions = ctx.get("dynamic_questions") if final else None
    facts = Facts(
        title=as_text(ctx.get("title")),
        level=read_level(ctx.get("experience_level") or answers.get("exp_level")),
        today=as_date(ctx.get("today")) or date(2000, 1, 1),
        answers=answers,
        timeline=read_timeline(answers.get("project_timeline")),
        budget=read_budget(answers.get("project_budget_range")),
        compliance=_choices(answers, "org_compliance"),
        stakeholders=as_list(answers.get("org_stakeholders")),
        hardware=as_list(answers.get("available_hardware")),
        software=_choices(answers, "available_software"),
        extra_context=extra,
        final=final,
        dynamic_questions=[q for q in questions or [] if isinstance(q, dict)]
        if isinstance(questions, list)
        else [],
        dynamic_answers=_mapping(ctx.get("dynamic_answers")) if final else {},
        corpus=_corpus(answers, extra),
    )
    _apply_stated(facts, read_stated(extra))
    return facts


def _apply_stated(facts: Facts, stated: Stated) -> None:
    """Let what the added context states win over the questionnaire."""
    if stated.budget is not None:
        budget = read_budget(stated.budget)
        if budget.known and budget.label != facts.budget.label:
            facts.replaced["budget"] = facts.budget.label or "no answer"
            facts.budget = budget
    if stated.learners is not None:
        facts.replaced["audience"] = facts.text("target_audience") or "no answer"
        facts.audience_size = stated.learners
    if stated.start is not None or stated.end is not None:
        _apply_dates(facts, stated.start, stated.end)


def _apply_dates(facts: Facts, start: date | None, end: date | None) -> None:
    old = facts.timeline
    new_start = start or (old.start if old else None)
    new_end = end or (old.end if old else None)
    stated = " to ".join(str(d) for d in (start, end) if d)
    if new_start is None or new_end is None:
        facts.context_problems.append(
            f"The added context gives {stated}, but the timeline needs both a "
            "start and an end date: what is the other one?"
        )
        return
    if new_end < new_start:
        facts.context_problems.append(
            f"The added context's dates ({stated}) would end the project on "
            f"{new_end}, before it starts on {new_start}: which date is right?"
        )
        return
    if start is not None and (old is None or start != old.start):
        facts.replaced["start"] = str(old.start) if old else "no answer"
    if end is not None and (old is None or end != old.end):
        facts.replaced["end"] = str(old.end) if old else "no answer"
    facts.timeline = Timeline(new_start, new_end)
