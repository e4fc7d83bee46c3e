"""Success metrics read from the objectives, evaluation and the business case."""

from __future__ import annotations

import re
from dataclasses import dataclass

from starmap_tui.worker.offline.facts import Facts, amounts
from starmap_tui.worker.offline.text import clauses, clip

_NUM = r"\$?\d[\d,]*(?:\.\d+)?\s*(?:%|percent|k\b)?"
_FROM_TO = re.compile(
    rf"\bfrom\s+({_NUM})\s*((?:(?!to\b)[a-z]+\s*){{0,3}})\s*to\s+({_NUM})([^,;]*)", re.I
)
_INSTEAD = re.compile(
    rf"({_NUM})\s*((?:(?!instead\b)[a-z]+\s+){{0,2}})instead\s+of\s+({_NUM})"
    r"(\s*(?!(?:by|within|in|before|and|or|for)\b)[a-z]+)?",
    re.I,
)
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*(?:%|percent)", re.I)
_COUNT = re.compile(r"(\d[\d,]*(?:\.\d+)?)\s*([a-z]+)?", re.I)
_DOWN = re.compile(
    r"\b(?:cut|reduc|lower|decreas|shorten|fewer|less|drop|halv|minimi)", re.I
)
_MONTHS = "jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec"
# A point in time ("by Q3 2026"), when the metric is due; or a duration
# ("within 6 months"), which may be the metric's timeframe or part of what
# the objective asks ("new staff work unaided within 2 weeks" of starting).
_WHEN = re.compile(
    rf"\b(?:by|within|in|before)\s+(?:(?P<date>q[1-4]\s*\d{{4}}"
    rf"|\d{{4}}-\d{{2}}-\d{{2}}|(?:{_MONTHS})[a-z]*\s+\d{{4}}"
    rf"|(?:the\s+)?end of\s+(?:the\s+)?(?:year|quarter|q[1-4]|\d{{4}}))"
    r"|(?P<span>\d+\s+(?:weeks?|months?|days?|years?)))",
    re.I,
)


def _whens(text: str) -> tuple[str, str]:
    """The first point in time and the first duration stated in ``text``."""
    due = span = ""
    for match in _WHEN.finditer(text):
        if match.group("date"):
            due = due or match.group(0)
        else:
            span = span or match.group(0)
    return due, span


@dataclass
class Metric:
    """One success metric; empty baseline or target means not yet known."""

    metric: str
    baseline: str
    target: str
    timeframe: str

    def as_dict(self) -> dict[str, str]:
        """The report shape of DOMAIN.md §3."""
        return {
            "metric": self.metric,
            "baseline": self.baseline,
            "target": self.target,
            "timeframe": self.timeframe,
        }


def _from_to(clause: str) -> tuple[str, str, str] | None:
    match = _FROM_TO.search(clause)
    if not match:
        return None
    base, base_unit, goal, rest = (g.strip() for g in match.groups())
    unit = " ".join(_WHEN.sub("", rest).split()[:3]) or base_unit
    baseline, target = f"{base} {base_unit or unit}", f"{goal} {unit}"
    # A timeframe after the figures ("... to 8 weeks within 6 months") is
    # not part of the target; leave it in the clause for the timeframe.
    when = _WHEN.search(match.group(4))
    end = match.start(4) + when.start() if when else match.end()
    stated = clause[match.start() : end]
    return baseline.strip(), target.strip(), stated


def _instead_of(clause: str) -> tuple[str, str, str] | None:
    """ "3 weeks instead of 8": the second figure is today's, the first the goal."""
    match = _INSTEAD.search(clause)
    if not match:
        return None
    goal, goal_unit, base, base_unit = (g.strip() for g in match.groups(""))
    unit = goal_unit or base_unit
    baseline, target = f"{base} {base_unit or unit}", f"{goal} {unit}"
    return baseline.strip(), target.strip(), match.group(0)


def _pair(clause: str) -> tuple[str, str, str] | None:
    """Baseline, target and the words that stated them, when both are given."""
    return _from_to(clause) or _instead_of(clause)


def _target(clause: str) -> str:
    percent = _PERCENT.search(clause)
    sign = "-" if _DOWN.search(clause) else "+"
    if percent:
        return f"{sign}{percent.group(1)}% against baseline"
    count = _COUNT.search(_WHEN.sub("", clause))
    if count:
        return " ".join(part for part in count.groups() if part)
    return ""


def _plan_end(facts: Facts) -> str:
    """The default timeframe: the project end, when results are evaluated."""
    return f"by {facts.timeline.end.isoformat()}" if facts.timeline else ""


def _metric(clause: str, facts: Facts) -> Metric:
    """One objective clause as a metric.

    A date ("by Q3 2026") is the timeframe. A duration ("within 6 months")
    is the timeframe only when the clause also states a change to measure;
    alone, it is what the objective asks for ("staff work unaided within
    2 weeks"), so it becomes the target and the plan gives the timeframe.
    """
    pair = _pair(clause)
    baseline, target, rest = "", _target(clause), clause
    if pair:
        baseline, target, stated = pair
        rest = clause.replace(stated, " ")
    when, span = _whens(rest)
    if span and target:
        when = when or span
    elif span:
        target = span
    return Metric(clip(clause, 25), baseline, target, when or _plan_end(facts))


def parse_metrics(facts: Facts) -> list[Metric]:
    """One metric per objective clause, with the numbers the clause states."""
    return [_metric(c, facts) for c in clauses(facts.text("project_objectives"))[:5]]


def cost_figure(text: str) -> int | None:
    """The largest dollar amount in ``text``, if any is written with $ or k/M."""
    marked = re.findall(r"\$\s*\d[\d,.]*\s*[kKmM]?|\d[\d,.]*\s*[kKmM]\b", text)
    found = [a for m in marked for a in amounts(m)]
    return max(found) if found else None
