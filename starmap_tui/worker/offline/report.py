"""The NAReport built by rules from the answers (DOMAIN.md §3 and §3.1)."""

from __future__ import annotations

from typing import Any

from starmap_tui.worker.offline import delivery, people, risks, solution, summary
from starmap_tui.worker.offline.draft import Draft, start_draft
from starmap_tui.worker.offline.facts import Facts
from starmap_tui.worker.offline.text import cap, clip

GENERATED_BY = "starmap-tui offline engine (rules, no AI)"
_REQUIRED = {
    "org_name": "Organization name",
    "org_industry": "Industry",
    "org_size": "Organization size",
    "org_headquarters": "Headquarters location",
    "org_compliance": "Legal / compliance requirements",
    "org_stakeholders": "Key stakeholder groups",
    "project_objectives": "Primary objectives",
    "project_constraints": "Key constraints",
    "target_audience": "Target audience",
}


def _missing_answers(draft: Draft) -> None:
    facts = draft.facts
    missing = [
        label
        for field_id, label in _REQUIRED.items()
        if not facts.text(field_id) and not facts.answers.get(field_id)
    ]
    if missing:
        draft.unknown(clip(f"Not answered yet: {', '.join(missing)}."), rank=0)


def _confidence(draft: Draft) -> float:
    open_points = len(draft.unknowns)
    if draft.facts.final:
        score = 0.6 + 0.03 * draft.deep.count - 0.03 * open_points
        return round(min(0.9, max(0.35, score)), 2)
    return round(min(0.5, max(0.2, 0.5 - 0.02 * open_points)), 2)


def _assumptions(draft: Draft) -> list[str]:
    facts = draft.facts
    # What the person told us last comes first: the plan rests on it.
    for note in summary.added_context_notes(facts):
        draft.assume(note)
    if facts.budget.known:
        draft.assume("Budget figures are planning estimates inside the stated range.")
    devices = [h for h in facts.hardware if h != "Limited/None"]
    if devices:
        draft.assume(f"Learners can use {', '.join(devices[:3])} during work time.")
    if facts.timeline and facts.timeline.start < facts.today:
        draft.assume(
            f"The timeline starts {facts.timeline.start}, before today "
            f"({facts.today}); dates are kept as given."
        )
    if not facts.final:
        draft.assume("Drafted from stages 1-3 only; the deep dive may change it.")
    draft.assume("Managers will release learners for the planned sessions.")
    return cap(draft.assumptions)


def _summary(draft: Draft) -> dict[str, Any]:
    facts = draft.facts
    fit, evidence = summary.training_fit(draft), summary.evidence(draft)
    return {
        "problem_statement": summary.problem_statement(draft),
        "current_state": summary.current_state(draft),
        "root_causes": summary.root_causes(draft),
        "objectives": summary.objectives(facts),
        "assumptions": _assumptions(draft),
        "unknowns": cap(draft.open_questions()),
        "confidence": _confidence(draft),
        "training_fit": fit,
        "evidence": evidence,
    }


def _sections(draft: Draft) -> dict[str, Any]:
    """Every section but the summary, which lists what these leave open."""
    _missing_answers(draft)
    for problem in draft.facts.context_problems:
        draft.unknown(clip(problem), rank=1)
    return {
        "solution": solution.solution(draft),
        "learner_analysis": people.learner_analysis(draft),
        "technology_talent": people.technology_talent(draft),
        "delivery_plan": delivery.delivery_plan(draft),
        "measurement": delivery.measurement(draft),
        "budget": delivery.budget(draft),
        "business_case": delivery.business_case(draft),
        "risks": risks.risks(draft),
        "governance": risks.governance(draft),
        "next_steps": risks.next_steps(draft),
    }


def build_report(facts: Facts) -> dict[str, Any]:
    """A complete report for ``facts``: preliminary or final by ``facts.final``."""
    draft = start_draft(facts)
    sections = _sections(draft)
    title = facts.title or f"{facts.text('org_name') or 'Training'} needs analysis"
    return {
        "title": title,
        "summary": _summary(draft),
        **sections,
        "generated_by": GENERATED_BY,
    }
