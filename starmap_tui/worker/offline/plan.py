"""Delivery phases fitted to the timeline and budget items fitted to the range."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from starmap_tui.worker.offline.facts import Budget, Facts, Timeline

DEFAULT_WEEKS = 12
_WEIGHTS = {
    "Discovery": 2,
    "Design": 3,
    "Build": 4,
    "Pilot": 2,
    "Rollout": 3,
    "Evaluation": 2,
}
# Shorter projects merge neighbouring phases; (minimum weeks, phase groups).
_SHAPES: tuple[tuple[float, tuple[tuple[str, ...], ...]], ...] = (
    (
        12,
        (
            ("Discovery",),
            ("Design",),
            ("Build",),
            ("Pilot",),
            ("Rollout",),
            ("Evaluation",),
        ),
    ),
    (
        8,
        (
            ("Discovery",),
            ("Design", "Build"),
            ("Pilot",),
            ("Rollout",),
            ("Evaluation",),
        ),
    ),
    (4, (("Discovery", "Design"), ("Build",), ("Pilot", "Rollout"), ("Evaluation",))),
    (0, (("Discovery", "Design"), ("Build",), ("Rollout", "Evaluation"))),
)


@dataclass(frozen=True)
class Phase:
    """One delivery phase with its dates (None when there is no timeline)."""

    name: str
    parts: tuple[str, ...]
    days: int
    start: date | None
    end: date | None

    @property
    def weeks(self) -> float:
        """Duration in weeks, rounded down to a tenth so phases never overrun."""
        return math.floor(self.days / 7 * 10) / 10


def _shape(weeks: float) -> tuple[tuple[str, ...], ...]:
    return next(groups for least, groups in _SHAPES if weeks >= least)


def _split_days(total: int, weights: list[int]) -> list[int]:
    """``total`` days shared by weight, each at least one, summing exactly."""
    days = [max(1, total * w // sum(weights)) for w in weights]
    biggest = weights.index(max(weights))
    days[biggest] += total - sum(days)
    return days


def phases(facts: Facts) -> list[Phase]:
    """The delivery phases, dated inside the timeline when there is one."""
    timeline = facts.timeline
    total = timeline.days if timeline else DEFAULT_WEEKS * 7
    groups = list(_shape(total / 7))[: max(1, total)]
    weights = [sum(_WEIGHTS[p] for p in group) for group in groups]
    spans = _split_days(total, weights)
    return _dated(groups, spans, timeline)


def _dated(
    groups: list[tuple[str, ...]], spans: list[int], timeline: Timeline | None
) -> list[Phase]:
    out = []
    cursor = timeline.start if timeline else None
    for group, days in zip(groups, spans, strict=True):
        end = cursor + timedelta(days=days - 1) if cursor else None
        out.append(Phase(" & ".join(group), group, days, cursor, end))
        cursor = end + timedelta(days=1) if end else None
    return out


@dataclass(frozen=True)
class BudgetLine:
    """One budget item and its weight in the plan."""

    item: str
    weight: int


def budget_lines(facts: Facts, modality_names: list[str]) -> list[BudgetLine]:
    """The cost items this plan needs, weighted by their usual share."""
    build = human_list_short(modality_names)
    lines = [
        BudgetLine("Needs analysis and instructional design", 20),
        BudgetLine(f"Content development ({build})", 35),
    ]
    live = {"Virtual instructor-led training", "In-person workshops"}
    if live & set(modality_names):
        lines.append(BudgetLine("Facilitation and learner time for live sessions", 15))
    if "VR simulation" in modality_names:
        lines.append(BudgetLine("VR scenario production and headset management", 15))
    elif not facts.lms():
        lines.append(BudgetLine("Completion tracking and hosting", 8))
    lines.append(BudgetLine("Pilot, evaluation and revisions", 10))
    lines.append(BudgetLine("Contingency (about 10%)", 10))
    return lines[:6]


def human_list_short(names: list[str]) -> str:
    """The first two names, for an item label that stays short."""
    return ", ".join(names[:2]) or "core modules"


def _unit(high: int) -> int:
    return 10 if high < 50_000 else 100 if high < 500_000 else 1000


def _share(total: int, weights: list[int], unit: int, rounder: Any) -> list[int]:
    """``total`` split by weight in multiples of ``unit``; the last takes the rest."""
    parts = [rounder(total * w / sum(weights) / unit) * unit for w in weights[:-1]]
    return [*parts, total - sum(parts)]


def _amounts(budget: Budget, weights: list[int], unit: int) -> tuple[list[int], ...]:
    assert budget.plan_low is not None and budget.plan_high is not None
    highs = _share(budget.plan_high, weights, unit, round)
    lows = _share(budget.plan_low, weights, unit, math.floor)
    if any(low > high for low, high in zip(lows, highs, strict=True)):
        lows = highs
    return lows, highs


def budget_items(budget: Budget, lines: list[BudgetLine]) -> list[dict[str, Any]]:
    """Items whose low and high amounts sum exactly to the planned range."""
    if not budget.known or not lines or budget.plan_high is None:
        return []
    weights = [line.weight for line in lines]
    lows, highs = _amounts(budget, weights, _unit(budget.plan_high))
    if min(lows + highs) < 0:
        lows, highs = _amounts(budget, weights, 1)
    return [
        {"item": line.item, "low": low, "high": high}
        for line, low, high in zip(lines, lows, highs, strict=True)
    ]
