"""The recommended solution: modalities, audiences, competencies, gaps, actions."""

from __future__ import annotations

from typing import Any

from starmap_tui.worker.offline import analysis, ids, vocab
from starmap_tui.worker.offline.draft import Draft, content_topics
from starmap_tui.worker.offline.text import cap, clauses, clip

_ACCESS_NOTES = {
    "Captions or transcripts": "caption every video and give transcripts",
    "Screen reader support": "test modules with a screen reader",
    "Other languages": "translate key materials and use plain language",
    "Low digital confidence": "add a guided first session and a help contact",
}


def delivery_modalities(draft: Draft) -> list[dict[str, Any]]:
    """The chosen modalities with their reasons, ranked 1..n without ties.

    ``Modality.priority`` is a tier that several may share; the draft keeps
    them in tier order, so the rank is the position in that order.
    """
    return [
        {"modality": m.name, "reason": clip(m.reason), "priority": rank}
        for rank, m in enumerate(draft.modalities, 1)
    ]


def accessibility(draft: Draft) -> dict[str, Any]:
    """Accessibility standards and notes from the compliance and deep dive."""
    facts = draft.facts
    standards = ["WCAG 2.2 AA"]
    if facts.text("org_industry") == "Government" or "Section 508" in facts.compliance:
        standards.append("Section 508")
    if "GDPR" in facts.compliance:
        standards.append("EN 301 549")
    needs = [n for n in draft.deep.items(ids.ACCESSIBILITY) if n != "None known"]
    notes = [_ACCESS_NOTES.get(n, f"plan for: {n}") for n in needs]
    if facts.novice or not notes:
        notes.append("write in plain language")
    notes.append("offer every module in a form that works without the newest devices")
    return {"standards": standards, "notes": clip("; ".join(notes).capitalize() + ".")}


def skill_gaps(draft: Draft) -> list[dict[str, Any]]:
    """One gap per key competency; safety and regulatory gaps come first."""
    level = draft.deep.number(ids.SKILL_LEVEL)
    current = f"{level:g}/5 (deep-dive estimate)" if level is not None else ""
    if level is None:
        draft.unknown("How skilled is the audience today in each key competency?")
    ranked = sorted(
        draft.competencies[:5],
        key=lambda c: not analysis.is_regulatory(c, draft.facts),
    )
    segment = draft.segments[0] if draft.segments else "Target audience"
    return [_gap(draft, c, segment, current, rank) for rank, c in _ranks(draft, ranked)]


def _ranks(draft: Draft, ranked: list[str]) -> list[tuple[int, str]]:
    """Regulatory gaps share rank 1; the others follow as 2, 3, ..."""
    out, rank = [], 1
    for competency in ranked:
        if not analysis.is_regulatory(competency, draft.facts):
            rank += 1
        out.append((rank, competency))
    return out


def _gap(
    draft: Draft, competency: str, segment: str, current: str, rank: int
) -> dict[str, Any]:
    regulatory = analysis.is_regulatory(competency, draft.facts)
    return {
        "competency": competency,
        "audience": segment,
        "required_level": "5/5: always applied" if regulatory else "4/5: proficient",
        "current_level": current,
        "priority": rank,
        "trainable_on_job": not regulatory,
    }


def non_training(draft: Draft) -> list[dict[str, str]]:
    """Process, tool, job-aid and incentive actions that support the training."""
    heads = _owner(draft, "Department Heads", "Line managers")
    actions = [
        *_process_fix(draft, heads),
        {
            "action": f"Publish job aids for {draft.competencies[0]} where "
            "the work happens.",
            "owner": "Learning & Development",
        },
        {
            "action": "Set clear expectations and a coaching checklist for managers.",
            "owner": _owner(draft, "HR Leadership", heads),
        },
    ]
    if draft.deep.flag(ids.MANAGER_SUPPORT) is False:
        actions.append(
            {"action": "Free manager time for weekly coaching.", "owner": heads}
        )
    if "Union Representatives" in draft.facts.stakeholders:
        actions.append(
            {
                "action": "Agree training time and assessment use with the unions.",
                "owner": "Union Representatives",
            }
        )
    return actions[:6]


def _process_fix(draft: Draft, owner: str) -> list[dict[str, str]]:
    """A fix for the process or tool issue the answers name, if any."""
    constraints = clauses(draft.facts.text("project_constraints"))
    process = [c for c in constraints if vocab.PROCESS.search(c)]
    if not process and "process" not in draft.deep.text(ids.TRAINING_LEVER).casefold():
        return []
    issue = process[0] if process else "the process and tool issues found"
    return [{"action": clip(f"Fix before training: {issue}."), "owner": owner}]


def _owner(draft: Draft, group: str, fallback: str) -> str:
    return group if group in draft.facts.stakeholders else fallback


def solution(draft: Draft) -> dict[str, Any]:
    """The solution section of the report."""
    return {
        "delivery_modalities": delivery_modalities(draft),
        "target_audiences": cap(draft.segments),
        "key_competencies": cap(draft.competencies),
        "content_outline": cap(content_topics(draft)),
        "accessibility_and_inclusion": accessibility(draft),
        "skill_gaps": skill_gaps(draft),
        "non_training_recommendations": non_training(draft),
    }
