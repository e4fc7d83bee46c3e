"""The executive summary: problem, state, causes, evidence and training fit."""

from __future__ import annotations

import re
from typing import Any

from starmap_tui.worker.offline import analysis, ids, vocab
from starmap_tui.worker.offline.draft import Draft
from starmap_tui.worker.offline.facts import Facts
from starmap_tui.worker.offline.text import cap, clauses, clip, human_list

_CAUSES: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"onboard|new hire|ramp", re.I),
        "Onboarding relies on informal shadowing rather than a structured path "
        "(to confirm in discovery).",
    ),
    (
        re.compile(r"turnover|attrition|churn", re.I),
        "Turnover keeps the share of experienced staff low.",
    ),
    (
        re.compile(r"inconsisten|varies|vary|different ways", re.I),
        "Practice differs between teams or sites.",
    ),
    (
        re.compile(r"\b(?:new|complex|legacy) (?:system|tool|software|ehr|crm)", re.I),
        "A new or complex system without enough guided practice.",
    ),
    (
        re.compile(r"time|shift|busy|workload", re.I),
        "Little protected time for learning during the working week.",
    ),
    (
        re.compile(r"complian|regulat|audit|privacy", re.I),
        "Regulatory rules have not become everyday habits.",
    ),
)


def problem_statement(draft: Draft) -> str:
    """Who needs training, by when and within what; then the objectives.

    The objectives are free text of any shape ("Cut errors 30%", "new staff
    can ...", "reduce churn"), so they follow a colon as typed instead of
    being spliced into the sentence.
    """
    facts = draft.facts
    org = facts.text("org_name") or "The organization"
    profile = ", ".join(
        x
        for x in (
            facts.text("org_size"),
            facts.text("org_industry"),
            facts.text("org_headquarters"),
        )
        if x
    )
    parts = [f"{org}{f' ({profile})' if profile else ''} wants training for"]
    parts.append(clip(draft.audience, 14))
    if facts.timeline:
        parts.append(f"between {facts.timeline.start} and {facts.timeline.end}")
    if facts.budget.label:
        parts.append(f"(budget: {facts.budget.label})")
    return clip(f"{' '.join(parts)}. {_objective_line(facts)}", 50)


def _objective_line(facts: Facts) -> str:
    """``Objective: ...`` or ``Objectives: ...; ...``, ending in a full stop."""
    goals = clauses(facts.text("project_objectives"))
    if not goals:
        return "Objectives: to be agreed."
    label = "Objective" if len(goals) == 1 else "Objectives"
    text = "; ".join(goals)
    return f"{label}: {text}{'' if text[-1] in '.!?' else '.'}"


def current_state(draft: Draft) -> list[str]:
    """What is true today, from the audience, constraints, stack and duties."""
    facts = draft.facts
    items = []
    if facts.audience_size is not None:
        audience = analysis.restated_audience(facts)
        items.append(f"Audience (head count from the added context): {audience}")
    elif facts.text("target_audience"):
        items.append(f"Audience: {facts.text('target_audience')}")
    items += constraint_lines(clauses(facts.text("project_constraints")))
    items.append(_stack_line(facts))
    if facts.compliance:
        items.append(f"Bound by {human_list(facts.compliance)}.")
    if facts.extra_context:
        items.append(f"Added context: {facts.extra_context}")
    items += [f"{label}: {answer}" for label, answer in draft.deep.others[:2]]
    return cap(items)


def constraint_lines(constraints: list[str]) -> list[str]:
    """Every constraint, packed into as few lines of at most 50 words as fit."""
    lines: list[list[str]] = []
    for constraint in constraints:
        words = sum(len(c.split()) for c in lines[-1]) if lines else 0
        if lines and words + len(constraint.split()) < 49:
            lines[-1].append(constraint)
        else:
            lines.append([constraint])
    label = "Constraint" if len(constraints) == 1 else "Constraints"
    return [clip(f"{label}: {'; '.join(line)}.") for line in lines]


def added_context_notes(facts: Facts) -> list[str]:
    """One sentence for each questionnaire answer the added context replaced."""
    was = facts.replaced
    notes = []
    if "budget" in was:
        notes.append(
            f"Budget {facts.budget.label}, from the added context, replaces the "
            f"questionnaire's {was['budget']}."
        )
    if "audience" in was and facts.audience_size is not None:
        notes.append(
            f"{facts.audience_size:,} learners, from the added context, replace "
            f"the questionnaire's head count ({clip(was['audience'], 12)})."
        )
    for key, what in (("start", "Start"), ("end", "End")):
        if key in was and facts.timeline is not None:
            new = facts.timeline.start if key == "start" else facts.timeline.end
            notes.append(
                f"{what} date {new}, from the added context, replaces the "
                f"questionnaire's {was[key]}."
            )
    return notes


def _stack_line(facts: Facts) -> str:
    devices = [h for h in facts.hardware if h != "Limited/None"]
    if not devices and not facts.software:
        return "No devices or platforms listed for learning."
    return clip(
        f"Devices: {', '.join(devices) or 'limited or none'}; "
        f"platforms: {', '.join(facts.software) or 'none listed'}."
    )


def root_causes(draft: Draft) -> list[str]:
    """Likely causes: the deep-dive verdict, keyword hypotheses, competency gaps."""
    items = []
    lever = draft.deep.text(ids.TRAINING_LEVER)
    if lever:
        items.append(f"Practitioner's read of the root cause: {lever.lower()}.")
    items += [cause for pattern, cause in _CAUSES if pattern.search(draft.facts.corpus)]
    items += [
        f"Gap in {c} (hypothesis to test in discovery)." for c in draft.competencies
    ]
    return cap(items, 4)


def training_fit(draft: Draft) -> dict[str, Any]:
    """Whether training, other action or both will close the gap, and why."""
    lever = draft.deep.text(ids.TRAINING_LEVER).casefold()
    process = draft.facts.mentions(vocab.PROCESS)
    if "process" in lever:
        verdict = "non_training"
    elif "skills" in lever:
        verdict = "training"
    else:
        verdict = "both" if process or lever.startswith("both") else "training"
    reasons = [
        f"The objectives depend on skills: {human_list(draft.competencies[:2])}.",
    ]
    if process:
        reasons.append(
            "The answers also name process or tool issues that "
            "training alone will not fix."
        )
    if draft.facts.compliance:
        reasons.append(
            f"Compliance duties ({human_list(draft.facts.compliance)}) call for "
            "documented training."
        )
    if lever:
        reasons.append(f"Deep dive: {draft.deep.text(ids.TRAINING_LEVER)}.")
    return {"verdict": verdict, "reasons": cap(reasons)}


def evidence(draft: Draft) -> list[str]:
    """What the findings rest on, as named in the answers."""
    facts = draft.facts
    who = ", ".join(
        x
        for x in (
            facts.text("requester_name"),
            facts.text("requester_role"),
            facts.text("requester_department"),
        )
        if x
    )
    items = [f"Intake answers from {who}." if who else "Intake answers."]
    items += [
        note for word, note in vocab.EVIDENCE_WORDS.items() if word in facts.corpus
    ]
    if facts.text("subject_matter_experts"):
        items.append(f"Subject matter experts: {facts.text('subject_matter_experts')}")
    seen = [e for e in draft.deep.items(ids.EVIDENCE) if e != "No evidence yet"]
    items += [f"{e} (deep dive)." for e in seen]
    items += [f"Deep dive, {label}: {answer}" for label, answer in draft.deep.others]
    if len(items) == 1:
        draft.unknown("What data shows the gap (performance data, surveys, audits)?", 2)
    return cap(items)


def objectives(facts: Facts) -> list[str]:
    """The stated objectives, one per clause."""
    return cap(clauses(facts.text("project_objectives")))
