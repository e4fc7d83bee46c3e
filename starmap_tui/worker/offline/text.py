"""Small text helpers shared by the offline rules."""

from __future__ import annotations

import re
from collections.abc import Iterable

_CLAUSE_SPLIT = re.compile(r"[;\n•]+|(?<=[.!?])\s+")
_SPACE = re.compile(r"\s+")


def clauses(text: str) -> list[str]:
    """The clauses of free text: split at semicolons, new lines and sentences."""
    parts = (_SPACE.sub(" ", p).strip(" .,-*") for p in _CLAUSE_SPLIT.split(text))
    return [p for p in parts if p]


def clip(text: str, words: int = 50) -> str:
    """``text`` cut to at most ``words`` words, marked with an ellipsis if cut."""
    parts = text.split()
    if len(parts) <= words:
        return " ".join(parts)
    return " ".join(parts[: words - 1]) + " …"


def uniq(items: Iterable[str]) -> list[str]:
    """Items without blanks or case-insensitive repeats, first spelling kept."""
    seen: set[str] = set()
    out: list[str] = []
    for item in items:
        key = item.strip().casefold()
        if key and key not in seen:
            seen.add(key)
            out.append(item.strip())
    return out


def human_list(items: list[str], joiner: str = "and") -> str:
    """``a``, ``a and b`` or ``a, b and c``."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {joiner} {items[-1]}"


def cap(items: list[str], most: int = 6) -> list[str]:
    """At most ``most`` unique items, each clipped to 50 words."""
    return [clip(item) for item in uniq(items)[:most]]


def money(amount: float) -> str:
    """A dollar amount as people write it: ``$12,500``."""
    return f"${amount:,.0f}"
