"""Conclusions drawn from the static answers, shared by questions and reports."""

from __future__ import annotations

import re
from dataclasses import dataclass

from starmap_tui.worker.offline import vocab
from starmap_tui.worker.offline.facts import Facts
from starmap_tui.worker.offline.text import human_list, uniq

_SEGMENT_SPLIT = re.compile(r"[;,\n]+|\band\b|\bplus\b", re.IGNORECASE)
# A head count leads a segment; a percentage never counts people.
_LEADING_NUMBER = re.compile(
    r"^\s*(?:about|around|approx\.?|~)?\s*(\d[\d,]*)(?![\d,.]*\s*(?:%|percent))"
)


@dataclass(frozen=True)
class Modality:
    """One way to deliver the learning, why it fits, and its tier (1 = first).

    Several modalities may share a tier; the report ranks them 1..n in order.
    """

    name: str
    reason: str
    priority: int
    option: str


def segments(facts: Facts) -> list[str]:
    """Learner groups named in the target audience answer, at most four.

    A head count from the added context replaces the questionnaire's: it
    renumbers the audience when it is one group; several groups lose their
    own numbers, as the new total does not say how it splits between them.
    """
    named = named_segments(facts)
    return [_restate(s, facts.audience_size, len(named)) for s in named]


def named_segments(facts: Facts) -> list[str]:
    """The groups as the target audience answer names them, head counts kept."""
    text = facts.text("target_audience")
    pieces = [" ".join(p.split()) for p in _SEGMENT_SPLIT.split(text)]
    found = [
        p
        for p in pieces
        if p
        and len(p.split()) <= 8
        and not vocab.DESCRIPTIVE.search(p)
        and (_LEADING_NUMBER.match(p) or vocab.ROLE.search(p))
    ]
    if not found and text:
        found = [" ".join(text.split()[:8])]
    return uniq(found)[:4]


def restate_chosen(facts: Facts, chosen: list[str]) -> list[str]:
    """Deep-dive audience choices, restated like the segments they were.

    The deep dive offered the questionnaire's groups with their old head
    counts; once the added context states a new count, a choice of one of
    those groups must carry the new count, not sit beside it.
    """
    if facts.audience_size is None:
        return chosen
    named = named_segments(facts)
    restated = {s.casefold(): r for s, r in zip(named, segments(facts), strict=True)}
    return [restated.get(c.casefold(), c) for c in chosen]


def restated_audience(facts: Facts) -> str:
    """The target audience answer with the stated head count in place of its own."""
    text = " ".join(facts.text("target_audience").split())
    if facts.audience_size is None:
        return text
    named = named_segments(facts)
    for old, new in zip(named, segments(facts), strict=True):
        text = text.replace(old, new, 1)
    if len(named) == 1 and counted(text):
        return text
    return f"{facts.audience_size:,} learners: {text}" if text else ""


def _restate(segment: str, size: int | None, groups: int) -> str:
    if size is None:
        return segment
    if groups == 1:
        return _recount(segment, size)
    count = _LEADING_NUMBER.match(segment)
    rest = segment[count.end() :].strip() if count else ""
    return rest or segment


def counted(segment: str) -> bool:
    """True when ``segment`` starts with a head count."""
    return _LEADING_NUMBER.match(segment) is not None


def _recount(segment: str, size: int) -> str:
    """``segment`` with its leading head count (if any) set to ``size``."""
    count = _LEADING_NUMBER.match(segment)
    if count:
        return f"{size:,}{segment[count.end() :]}"
    if vocab.ROLE.search(segment):
        return f"{size:,} {segment}"
    return f"{size:,} learners: {segment}"


def learner_count(facts: Facts) -> int | None:
    """Learners stated in the added context, else counted from the segments."""
    if facts.audience_size is not None:
        return facts.audience_size
    numbers = [_LEADING_NUMBER.match(s) for s in segments(facts)]
    counts = [int(m.group(1).replace(",", "")) for m in numbers if m]
    return sum(counts) or None


def distributed(facts: Facts) -> bool:
    """True when the audience works in several places or remotely."""
    return facts.mentions(vocab.DISTRIBUTED)


def candidate_competencies(facts: Facts) -> list[str]:
    """Competencies suggested by compliance, objectives and industry, in order."""
    found = [f"{name} obligations" for name in facts.compliance[:2]]
    found += [c for pattern, c in vocab.KEYWORD_COMPETENCIES if facts.mentions(pattern)]
    industry = facts.text("org_industry")
    found += vocab.INDUSTRY_COMPETENCIES.get(industry, vocab.GENERIC_COMPETENCIES)
    return uniq(found)[:6]


def is_regulatory(competency: str, facts: Facts) -> bool:
    """True for safety or regulatory competencies, which come first."""
    named = any(name.casefold() in competency.casefold() for name in facts.compliance)
    return named or vocab.REGULATORY_WORDS.search(competency) is not None


def modalities(facts: Facts) -> list[Modality]:
    """Delivery modalities that the devices, platforms and audience allow."""
    found = [
        *_remote_modalities(facts),
        *_device_modalities(facts),
        *_room_modalities(facts),
        Modality(
            "On-the-job coaching with job aids",
            "Ties practice to daily work and needs no extra technology.",
            3,
            "On-the-job coaching",
        ),
    ]
    unique = _first_of_each([*found, _WORKSHOP_FALLBACK, _BUDDY_FALLBACK])
    return sorted(unique[: max(3, len(found))], key=lambda m: m.priority)


_WORKSHOP_FALLBACK = Modality(
    "In-person workshops",
    "Short face-to-face sessions suit practice that needs feedback from a person.",
    3,
    "In-person workshops",
)


_BUDDY_FALLBACK = Modality(
    "Peer mentoring",
    "Pairs learners with experienced colleagues; needs no devices or budget.",
    3,
    "Buddy or peer mentoring",
)


def _first_of_each(found: list[Modality]) -> list[Modality]:
    seen: set[str] = set()
    out = []
    for modality in found:
        if modality.name not in seen:
            seen.add(modality.name)
            out.append(modality)
    return out


def _remote_modalities(facts: Facts) -> list[Modality]:
    tools = facts.video_tools()
    found = []
    if tools:
        why = "Staff are distributed and" if distributed(facts) else "The team"
        found.append(
            Modality(
                "Virtual instructor-led training",
                f"{why} already use {human_list(tools, 'or')} for live sessions.",
                1 if distributed(facts) else 2,
                f"Live online sessions ({tools[0]})",
            )
        )
    lms = facts.lms()
    if lms:
        tracked = " and records completions for audits" if facts.compliance else ""
        found.append(
            Modality(
                "Self-paced e-learning",
                f"{lms[0]} can host modules learners take at their own pace{tracked}.",
                2 if tools else 1,
                f"Self-paced modules in {lms[0]}",
            )
        )
    return found


def _device_modalities(facts: Facts) -> list[Modality]:
    mobile = _mobile_modality(facts)
    found = [mobile] if mobile else []
    if facts.has_hardware("VR headsets"):
        found.append(
            Modality(
                "VR simulation",
                "VR headsets are on hand for safe, repeated practice of risky tasks.",
                3,
                "VR practice scenarios",
            )
        )
    return found


def _mobile_modality(facts: Facts) -> Modality | None:
    """Phone lessons only when phones are listed; tablets justify tablet modules."""
    busy = facts.mentions(vocab.SHIFTS)
    priority = 1 if busy or not facts.software else 2
    fits = " and shifts." if busy else "."
    if facts.has_hardware("Smartphones"):
        return Modality(
            "Mobile microlearning",
            f"Learners carry smartphones; five-minute lessons fit between tasks{fits}",
            priority,
            "Short lessons on phones",
        )
    if facts.has_hardware("Tablets"):
        return Modality(
            "Mobile-friendly e-learning",
            f"Tablets are on hand; short modules made for them fit between tasks{fits}",
            priority,
            "Short modules on tablets",
        )
    return None


def _room_modalities(facts: Facts) -> list[Modality]:
    no_devices = not facts.hardware or facts.has_hardware("Limited/None")
    room = facts.has_hardware("Training room AV equipment", "Smart boards")
    if not (no_devices or room):
        return []
    reason = (
        "Few or no devices are available, so learning happens face to face."
        if no_devices
        else "Training room equipment is available for hands-on sessions."
    )
    return [
        Modality(
            "In-person workshops", reason, 1 if no_devices else 2, "In-person workshops"
        )
    ]
