"""Facts stated in the added context of a regeneration.

When a person regenerates a report "with added context" and writes, say,
"budget is now $250,000", "the audience grew to 400 people" or "deadline
moved to 2027-09-30", that newer statement wins over the questionnaire
answer. Only absolute statements count: a change given as a difference
("grew by 50", "an extra $20k") or a percentage is not a new figure, so it
is left to the text of the added context.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from starmap_tui.worker.offline import vocab
from starmap_tui.worker.offline.text import clauses, money

_NUMBER = r"\d[\d,]*(?:\.\d+)?"
_SCALE = {"k": 1_000, "thousand": 1_000, "m": 1_000_000, "million": 1_000_000}
_MONEY = re.compile(
    rf"(?:\$|\busd\s?)\s*(?P<a>{_NUMBER})\s*(?P<sa>k|m|million|thousand)?\b"
    rf"|\b(?P<b>{_NUMBER})\s*(?P<sb>k|m|million|thousand)\b"
    rf"|\b(?P<c>{_NUMBER})\s*(?:usd|dollars)\b",
    re.IGNORECASE,
)
_BUDGET_WORDS = re.compile(r"\b(?:budget|funding|funds|spend)\b", re.IGNORECASE)
_CEILING_WORDS = re.compile(
    r"\b(?:up to|at most|under|below|less than|no more than|max(?:imum)?"
    r"|capped at|cap of|ceiling of)\s*$",
    re.IGNORECASE,
)
_FLOOR_WORDS = re.compile(
    r"\b(?:at least|over|above|more than|min(?:imum)?(?: of)?)\s*$", re.IGNORECASE
)
# A difference, not a new total: "by $20k", "+$20k", "an extra $20k".
_RELATIVE = re.compile(
    r"(?:\bby|\+|\bextra|\badditional|\banother|\bmore)\s*$", re.IGNORECASE
)
# A hyphen, an en or em dash, "to" or "and" between two amounts makes a range.
_RANGE_JOIN = re.compile(r"^\s*(?:-|\u2013|\u2014|to|and)\s*$", re.IGNORECASE)

_PEOPLE = re.compile(
    r"\b(?:people|persons|learners|participants|trainees|users|workers"
    r"|colleagues|members|headcount)\b",
    re.IGNORECASE,
)
# A number, then up to four words that may name who it counts.
_COUNT_BEFORE_PEOPLE = re.compile(
    r"(?<![\d,.$])(?P<n>\d[\d,]*)(?![\d,.]*\s*(?:%|percent|k\b|m\b))"
    r"\s+(?P<words>(?:[^\W\d][\w-]*\s*){1,4})",
)
# Words that end the noun phrase after a number ("12 clinics with staff").
_PHRASE_END = frozenset(
    {"and", "or", "with", "in", "at", "across", "for", "of", "from", "to", "per"}
    | {"who", "which", "that", "on", "by", "into"}
)
_COUNT_AFTER_AUDIENCE = re.compile(
    r"\b(?:audience|headcount|number of (?:learners|people|participants))\b"
    r"[^\d;]{0,40}?\b(?:is|are|now|to|of|at|totals?|will be|:|=)\s*"
    r"(?:about|around|roughly|some|~)?\s*(?P<n>\d[\d,]*)(?![\d,.]*\s*(?:%|percent))",
    re.IGNORECASE,
)

_MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_MONTH = r"(?P<month>" + "|".join(m[:3] + r"[a-z]*" for m in _MONTHS) + r")\.?"
_DATE = re.compile(
    r"\b(?P<iso>\d{4}-\d{2}-\d{2})\b"
    rf"|\b{_MONTH}\s+(?P<md>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<my>\d{{4}})\b"
    rf"|\b(?P<dm>\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH.replace('month', 'month2')}"
    r",?\s+(?P<dy>\d{4})\b",
    re.IGNORECASE,
)
_END_WORDS = re.compile(
    r"\b(?:deadline|end(?:s|ing)?|end date|finish(?:es|ed)?|complet(?:e|ed|ion)"
    r"|due|go[- ]live|launch|wrap(?:s)? up|until|through)\b",
    re.IGNORECASE,
)
_START_WORDS = re.compile(
    r"\b(?:start(?:s|ing)?|begin(?:s|ning)?|kick[- ]?off)\b", re.IGNORECASE
)
# With two dates, these name a whole span: "timeline is now X to Y".
_SPAN_WORDS = re.compile(r"\b(?:timeline|schedule|runs?)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Stated:
    """What the added context states; None where it states nothing usable.

    ``budget`` is written as the questionnaire's options are ("$250,000",
    "up to $80,000", "$100,000 - $150,000"), so it reads like an answer.
    """

    budget: str | None = None
    learners: int | None = None
    start: date | None = None
    end: date | None = None


def read_stated(text: str) -> Stated:
    """The budget, learner count and dates stated in ``text``."""
    parts = clauses(text)
    start, end = _dates(parts)
    return Stated(
        budget=next(filter(None, map(_budget, parts)), None),
        learners=next(filter(None, map(_learners, parts)), None),
        start=start,
        end=end,
    )


# -- budget ---------------------------------------------------------------------


def _amount(match: re.Match[str]) -> int:
    number = match.group("a") or match.group("b") or match.group("c")
    suffix = (match.group("sa") or match.group("sb") or "").lower()
    return round(float(number.replace(",", "")) * _SCALE.get(suffix, 1))


def _budget(clause: str) -> str | None:
    """A budget label ("$250,000", "up to $80,000", ...) from one clause.

    The amount is the first one after the word "budget" ("budget is now
    $250,000"), else the last one before it ("a $250k budget"); a difference
    ("grew by $5k") is passed over.
    """
    word = _BUDGET_WORDS.search(clause)
    if word is None:
        return None
    found = list(_MONEY.finditer(clause))
    after = [n for n, m in enumerate(found) if m.start() >= word.end()]
    before = [n for n, m in enumerate(found) if m.end() <= word.start()]
    for index in [*after, *reversed(before)]:
        if not _RELATIVE.search(clause[: found[index].start()]):
            return _label(clause, found, index)
    return None


def _label(clause: str, found: list[re.Match[str]], index: int) -> str:
    """The budget option text for the amount at ``index`` (a range if joined)."""
    for low, high in ((index, index + 1), (index - 1, index)):
        if low < 0 or high >= len(found):
            continue
        between = clause[found[low].end() : found[high].start()]
        difference = _RELATIVE.search(clause[: found[low].start()])
        if _RANGE_JOIN.match(between) and not difference:
            a, b = sorted((_amount(found[low]), _amount(found[high])))
            return f"{money(a)} - {money(b)}"
    amount, lead = _amount(found[index]), clause[: found[index].start()]
    if _CEILING_WORDS.search(lead):
        return f"up to {money(amount)}"
    if _FLOOR_WORDS.search(lead):
        return f"over {money(amount)}"
    return money(amount)


# -- audience size --------------------------------------------------------------


def _learners(clause: str) -> int | None:
    """A head count: "400 people", "audience grew to 400", "now 400 nurses"."""
    for match in _COUNT_BEFORE_PEOPLE.finditer(clause):
        if _RELATIVE.search(clause[: match.start()]):
            continue
        phrase = _noun_phrase(match.group("words"))
        if _PEOPLE.search(phrase) or vocab.ROLE.search(phrase):
            return _count(match.group("n"))
    found = _COUNT_AFTER_AUDIENCE.search(clause)
    if found and not _RELATIVE.search(clause[: found.start("n")]):
        return _count(found.group("n"))
    return None


def _noun_phrase(words: str) -> str:
    """The words up to the first that ends a noun phrase."""
    kept = []
    for word in words.split():
        if word.casefold() in _PHRASE_END:
            break
        kept.append(word)
    return " ".join(kept)


def _count(text: str) -> int | None:
    number = int(text.replace(",", ""))
    return number or None


# -- dates ----------------------------------------------------------------------


def _date(match: re.Match[str]) -> date | None:
    try:
        if match.group("iso"):
            return date.fromisoformat(match.group("iso"))
        month = match.group("month") or match.group("month2")
        day = match.group("md") or match.group("dm")
        year = match.group("my") or match.group("dy")
        number = next(n for n, m in enumerate(_MONTHS, 1) if m[:3] == month[:3].lower())
        return date(int(year), number, int(day))
    except ValueError:
        return None


def _dates(parts: list[str]) -> tuple[date | None, date | None]:
    """The start and end dates stated, clause by clause (the first of each)."""
    start: date | None = None
    end: date | None = None
    for clause in parts:
        found = [d for d in map(_date, _DATE.finditer(clause)) if d is not None]
        if not found:
            continue
        span = len(found) > 1 and _SPAN_WORDS.search(clause) is not None
        starts = span or _START_WORDS.search(clause) is not None
        if starts and start is None:
            start = found[0]
        ends = span or _END_WORDS.search(clause) is not None
        if ends and end is None and (len(found) > 1 or not starts):
            end = found[-1]
    return start, end
