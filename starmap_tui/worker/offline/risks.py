"""Risks with mitigations, governance and next steps."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starmap_tui.worker.offline import analysis, ids, vocab
from starmap_tui.worker.offline.delivery import review_date
from starmap_tui.worker.offline.draft import Draft
from starmap_tui.worker.offline.text import clip, human_list

_CHOSEN_RISKS = {
    "Time away from work": "Agree protected learning time with managers; use short "
    "lessons and cohorts planned around peak hours.",
    "Weak manager support": "Brief managers first, give them a coaching checklist "
    "and report their teams' progress to the sponsor.",
    "Technology access": "Test devices and logins in the pilot; keep a printable "
    "or in-person fallback.",
    "Change fatigue": "Tie the training to one visible benefit and keep the first "
    "release small.",
    "Budget cuts": "Build the highest-priority modules first so a cut removes "
    "extras, not essentials.",
}


def _risk(risk: str, mitigation: str, severity: str, likelihood: str) -> dict[str, str]:
    return {
        "risk": clip(risk),
        "mitigation": clip(mitigation),
        "severity": severity,
        "likelihood": likelihood,
    }


def _chosen(draft: Draft) -> list[dict[str, str]]:
    choice = draft.deep.text(ids.MAIN_RISK)
    if not choice:
        return []
    mitigation = _CHOSEN_RISKS.get(
        choice, "Name an owner, watch it at every phase review and act early."
    )
    return [_risk(f"{choice} (named in the deep dive)", mitigation, "high", "high")]


def _compliance_risk(draft: Draft) -> list[dict[str, str]]:
    names = draft.facts.compliance
    if not names:
        return []
    return [
        _risk(
            f"A breach of {human_list(names)} through course examples or records.",
            "Use made-up data in examples, restrict and log access to records, and "
            "have the compliance lead sign off content before the pilot.",
            "high",
            "medium",
        )
    ]


def _plan_risks(draft: Draft) -> list[dict[str, str]]:
    facts = draft.facts
    out = []
    if facts.timeline and facts.timeline.weeks < 8:
        out.append(
            _risk(
                f"The {facts.timeline.weeks:.0f}-week timeline squeezes the pilot.",
                "Reuse existing material, pilot with one group and move extras after "
                "go-live.",
                "medium",
                "high",
            )
        )
    if not facts.budget.known:
        out.append(
            _risk(
                "An undecided budget delays commitments to vendors and SMEs.",
                "Agree a range with the sponsor before design starts.",
                "high",
                "medium",
            )
        )
    elif (facts.budget.plan_high or 0) <= 10_000:
        out.append(
            _risk(
                "A small budget limits custom content.",
                "Favour job aids, existing material and internal facilitators.",
                "medium",
                "medium",
            )
        )
    return out


RiskRule = tuple[Callable[[Draft], bool], tuple[str, str, str, str]]
_PEOPLE_RISKS: tuple[RiskRule, ...] = (
    (
        lambda d: not d.facts.hardware or d.facts.has_hardware("Limited/None"),
        (
            "Learners lack devices for digital learning.",
            "Run in-person sessions with printed job aids.",
            "medium",
            "high",
        ),
    ),
    (
        lambda d: d.facts.mentions(vocab.SHIFTS),
        (
            "Learners cannot leave their work for long sessions.",
            "Use microlearning and cohorts agreed with managers.",
            "medium",
            "high",
        ),
    ),
    (
        lambda d: "VR simulation" in d.modality_names,
        (
            "Motion sickness or low uptake of VR practice.",
            "Keep sessions under 15 minutes, offer seated and non-VR options.",
            "low",
            "medium",
        ),
    ),
    (
        lambda d: "Union Representatives" in d.facts.stakeholders,
        (
            "Union concerns about training time or assessments.",
            "Consult union representatives during design.",
            "medium",
            "medium",
        ),
    ),
    (
        lambda d: analysis.distributed(d.facts),
        (
            "Uneven participation across locations.",
            "Name a local champion per site and track completions by site.",
            "medium",
            "medium",
        ),
    ),
)


def _people_risks(draft: Draft) -> list[dict[str, str]]:
    return [_risk(*risk) for applies, risk in _PEOPLE_RISKS if applies(draft)]


def risks(draft: Draft) -> list[dict[str, str]]:
    """The main risks, most pressing first, each with a mitigation."""
    found = [
        *_chosen(draft),
        *_compliance_risk(draft),
        *_plan_risks(draft),
        *_people_risks(draft),
    ]
    found.append(
        _risk(
            "New skills are not applied back at work.",
            "Pair training with job aids and manager coaching.",
            "medium",
            "medium",
        )
    )
    if len(found) < 3:
        found.append(
            _risk(
                "Scope grows during design.",
                "Fix scope at the end of discovery; log changes for the sponsor.",
                "medium",
                "low",
            )
        )
    return found[:6]


def governance(draft: Draft) -> dict[str, Any]:
    """Sponsor and approver from the deep dive; review at the end of the pilot."""
    sponsor = draft.deep.text(ids.SPONSOR)
    if not sponsor:
        draft.unknown("Which group sponsors the project and approves its budget?", 2)
    review = review_date(draft)
    return {"sponsor": sponsor, "approver": sponsor, "review_date": review}


def next_steps(draft: Draft) -> list[str]:
    """The first concrete actions, tied to the plan and the open points."""
    facts = draft.facts
    steps = []
    if facts.novice:
        steps.append("Read the Delivery Plan first: it says what happens when.")
    if not facts.final:
        steps.append(
            "Answer the deep-dive questions so the final report can "
            "replace open points with facts."
        )
    if not facts.budget.known:
        steps.append("Agree a budget range with the sponsor.")
    if facts.compliance:
        steps.append(
            f"Confirm {human_list(facts.compliance)} duties with the "
            "compliance lead before design."
        )
    if any(not m.baseline for m in draft.metrics):
        steps.append("Collect baselines for each success metric during discovery.")
    first = draft.phases[0] if draft.phases else None
    when = f" in the week of {first.start.isoformat()}" if first and first.start else ""
    steps.append(f"Book subject matter experts for discovery interviews{when}.")
    if facts.stakeholders:
        steps.append(
            f"Brief {human_list(facts.stakeholders[:3])} on scope, timeline and budget."
        )
    return [clip(s) for s in steps[:6]]
