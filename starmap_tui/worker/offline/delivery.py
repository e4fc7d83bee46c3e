"""The delivery plan, measurement, budget and business case."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from starmap_tui.worker.offline import ids
from starmap_tui.worker.offline.draft import Draft, content_topics
from starmap_tui.worker.offline.facts import Budget, as_date
from starmap_tui.worker.offline.measure import Metric, cost_figure
from starmap_tui.worker.offline.plan import Phase, budget_items, budget_lines
from starmap_tui.worker.offline.text import cap, clip, human_list, money


def _goals(draft: Draft, part: str) -> list[str]:
    metric = draft.metrics[0].metric if draft.metrics else "the objectives"
    blend = human_list([m.lower() for m in draft.modality_names[:2]])
    return {
        "Discovery": ["Confirm the gap, the audience and a baseline for each metric"],
        "Design": [f"Agree outcomes and a blend of {blend}"],
        "Build": [f"Produce materials for {blend}, ready for a pilot"],
        "Pilot": [f"Test with a small group drawn from {draft.audience}"],
        "Rollout": [f"Reach every learner in {draft.audience}"],
        "Evaluation": [f"Measure progress on: {metric}"],
    }[part]


_STANDARD_ACTIVITIES = {
    "Design": [
        "Map competencies to learning outcomes",
        "Storyboard modules and assessments",
        "Check designs against WCAG 2.2 AA",
    ],
    "Rollout": [
        "Schedule cohorts around the constraints",
        "Brief managers on coaching",
        "Track completions weekly",
    ],
    "Evaluation": [
        "Compare results with the baseline",
        "Report to the sponsor",
        "Plan refreshers",
    ],
}


def _discovery(draft: Draft) -> list[str]:
    facts = draft.facts
    smes = clip(facts.text("subject_matter_experts"), 12) or "subject matter experts"
    duty = (
        f"Review {human_list(facts.compliance)} duties with the compliance lead"
        if facts.compliance
        else f"Observe the work of {draft.audience}"
    )
    return [f"Interview {smes}", "Collect baseline data", duty]


def _build(draft: Draft) -> list[str]:
    tracker = draft.facts.lms()[0] if draft.facts.lms() else "a completion log"
    topic = content_topics(draft)[0]
    return [f"Build {topic}", "SME review of drafts", f"Set up tracking in {tracker}"]


def _pilot(draft: Draft) -> list[str]:
    vr = "VR simulation" in draft.modality_names
    return [
        "Run the pilot and a scored check",
        *(["Trial VR scenarios with a few learners"] if vr else []),
        "Revise from pilot feedback",
    ]


def _activities(draft: Draft, part: str) -> list[str]:
    builders = {"Discovery": _discovery, "Build": _build, "Pilot": _pilot}
    if part in builders:
        return builders[part](draft)
    return _STANDARD_ACTIVITIES[part]


def _phase(draft: Draft, phase: Phase) -> dict[str, Any]:
    goals = [g for part in phase.parts for g in _goals(draft, part)]
    acts = [a for part in phase.parts for a in _activities(draft, part)]
    return {
        "name": phase.name,
        "duration_weeks": phase.weeks,
        "goals": cap(goals, 3),
        "activities": cap(acts),
    }


def _timeline(draft: Draft) -> list[dict[str, str]]:
    rows = [
        {"label": p.name, "start": p.start.isoformat(), "end": p.end.isoformat()}
        for p in draft.phases
        if p.start and p.end
    ]
    first = as_date(draft.deep.answers.get(ids.FIRST_COHORT))
    timeline = draft.facts.timeline
    pilot = _phase_with(draft, "Pilot")
    if first and pilot and pilot.start and first < pilot.start:
        draft.unknown(
            f"The first cohort is due {first}, before the pilot starts {pilot.start}: "
            "shorten design and build, or move the date?",
            1,
        )
    if first and timeline and timeline.start <= first <= timeline.end:
        rows.append(
            {
                "label": "First cohort trained",
                "start": first.isoformat(),
                "end": first.isoformat(),
            }
        )
    return rows


def _first_cohort(draft: Draft) -> date | None:
    """The deep dive's first-cohort date, when it falls inside the timeline."""
    first = as_date(draft.deep.answers.get(ids.FIRST_COHORT))
    timeline = draft.facts.timeline
    if first and timeline and timeline.start <= first <= timeline.end:
        return first
    return None


def _resources(draft: Draft) -> list[str]:
    facts = draft.facts
    items = [
        f"Subject matter experts: {facts.text('subject_matter_experts')}"
        if facts.text("subject_matter_experts")
        else "Subject matter experts"
    ]
    items.append("Instructional designer")
    items += [
        f"{m} facilitators"
        for m in draft.modality_names
        if m in {"Virtual instructor-led training", "In-person workshops"}
    ][:1]
    items += [f"Platforms: {', '.join(facts.software)}"] if facts.software else []
    items.append("Sponsor time for reviews and sign-off")
    return cap(items)


def delivery_plan(draft: Draft) -> dict[str, Any]:
    """Phases fitted to the timeline, their dates, and the resources needed."""
    if draft.facts.timeline is None:
        draft.unknown("What are the project's start and end dates?", rank=1)
        draft.assume("Phase lengths assume a 12-week project until dates are set.")
    return {
        "phases": [_phase(draft, p) for p in draft.phases],
        "timeline": _timeline(draft),
        "resources": _resources(draft),
    }


def budget(draft: Draft) -> dict[str, Any]:
    """Budget items whose totals stay inside the stated range."""
    facts = draft.facts
    plan = facts.budget
    items = budget_items(plan, budget_lines(facts, draft.modality_names))
    if not plan.known:
        draft.unknown(
            f"Budget range ({plan.label or 'not given'}): what can be spent?", rank=1
        )
        notes = "No amounts until a budget range is agreed."
    else:
        source = ""
        if "budget" in facts.replaced:
            source = (
                " (from the added context; the questionnaire said "
                f"{facts.replaced['budget']})"
            )
        notes = f"Planned within {plan.label}{source}{_planned_range(plan)}"
        if plan.ceiling is None:
            notes += " The range has no ceiling; the plan assumes up to 1.5x its floor."
    return {"currency": "USD", "notes": notes, "items": items}


def _planned_range(plan: Budget) -> str:
    """The range we plan in, unless the budget label already says it."""
    if (plan.plan_low, plan.plan_high) == (plan.floor, plan.ceiling):
        return "; amounts are estimates, not quotes."
    low, high = money(plan.plan_low or 0), money(plan.plan_high or 0)
    return f": {low} to {high}, estimates not quotes."


def _when(phase: Phase | None, fallback: str) -> str:
    if phase is None or phase.end is None:
        return fallback
    return f"{fallback} ({phase.end.isoformat()})"


def _phase_with(draft: Draft, part: str) -> Phase | None:
    return next((p for p in draft.phases if part in p.parts), None)


_TRANSFER = timedelta(weeks=6)


def _cohort_span(draft: Draft) -> tuple[date, date] | None:
    """When the first and the last cohort finish training, from the plan."""
    pilot, rollout = _phase_with(draft, "Pilot"), _phase_with(draft, "Rollout")
    if rollout is None or rollout.start is None or rollout.end is None:
        return None
    first = _first_cohort(draft)
    if first is None:
        first = pilot.end if pilot and pilot.end else rollout.start
    return first, max(first, rollout.end)


def _behaviour_when(draft: Draft) -> str:
    """Six weeks after each cohort, dated, and said when it outruns the project."""
    span, timeline = _cohort_span(draft), draft.facts.timeline
    if span is None or timeline is None:
        return "Six to eight weeks after each cohort"
    first, last = (day + _TRANSFER for day in span)
    end = timeline.end
    if last <= end:
        return f"Six weeks after each cohort: {first} to {last}"
    if first > end:
        return (
            f"Six weeks after each cohort, from {first}: after the project ends ({end})"
        )
    return (
        f"Six weeks after each cohort, from {first}; cohorts trained after "
        f"{end - _TRANSFER} are checked after the project ends ({end})"
    )


def evaluation_plan(draft: Draft) -> list[dict[str, Any]]:
    """Kirkpatrick levels 1 to 4, plus ROI when the budget warrants it."""
    pilot = _phase_with(draft, "Pilot") or _phase_with(draft, "Build")
    final = draft.phases[-1] if draft.phases else None
    metric = draft.metrics[0].metric if draft.metrics else "the business objective"
    rows = [
        (
            1,
            "Learner reaction and relevance",
            "Two-minute survey",
            _when(pilot, "End of pilot"),
        ),
        (
            2,
            "Knowledge and skill gain",
            "Scored scenario check",
            _when(pilot, "End of pilot"),
        ),
        (
            3,
            "Use of skills on the job",
            "Manager observation checklist",
            _behaviour_when(draft),
        ),
        (4, clip(metric, 20), "Compare with the baseline", _when(final, "Project end")),
    ]
    if (draft.facts.budget.plan_high or 0) >= 100_000:
        rows.append(
            (
                5,
                "Return on investment",
                "Benefits against full cost",
                _when(final, "Project end"),
            )
        )
    return [
        {"level": n, "metric": m, "method": how, "when": w} for n, m, how, w in rows
    ]


def _assessments(draft: Draft) -> list[str]:
    items = ["Scenario-based check per module", "Observed practice on the job"]
    for duty in draft.deep.items(ids.COMPLIANCE):
        items.append(f"{duty} ({human_list(draft.facts.compliance)})")
    if draft.facts.compliance and not draft.deep.items(ids.COMPLIANCE):
        items.append(
            f"Completion records kept for {human_list(draft.facts.compliance)}"
        )
    if "VR simulation" in draft.modality_names:
        items.append("VR scenario scores")
    return cap(items)


def _sources(draft: Draft) -> list[str]:
    facts = draft.facts
    items = [f"{lms} completions and scores" for lms in facts.lms()[:1]]
    items += [f"{tool} attendance" for tool in facts.video_tools()[:1]]
    items += [e for e in draft.deep.items(ids.EVIDENCE) if e != "No evidence yet"]
    items += ["Pilot feedback survey", "Manager observation checklists"]
    return cap(items)


def measurement(draft: Draft) -> dict[str, Any]:
    """Success metrics, assessment, data sources, analytics and evaluation."""
    for m in draft.metrics:
        if not m.baseline:
            draft.unknown(f"Baseline for: {clip(m.metric, 12)}", 2)
        if not m.target:
            draft.unknown(f"Target for: {clip(m.metric, 12)}")
    if not draft.metrics:
        draft.unknown("What measurable objectives should the training move?", 1)
    levels = ["Reaction", "Learning", "Behaviour", "Results"]
    if (draft.facts.budget.plan_high or 0) >= 100_000:
        levels.append("ROI")
    short = draft.facts.timeline is not None and draft.facts.timeline.weeks < 8
    cadence = "Weekly" if short else "Weekly during pilot and rollout, then monthly"
    return {
        "success_metrics": [m.as_dict() for m in draft.metrics[:6]],
        "assessment_strategy": _assessments(draft),
        "data_sources": _sources(draft),
        "learning_analytics": {"levels": levels, "reporting_cadence": cadence},
        "evaluation_plan": evaluation_plan(draft),
    }


def _roi(draft: Draft, yearly_cost: int) -> tuple[str, str]:
    plan = draft.facts.budget
    if not plan.known:
        return "", ""
    spend = ((plan.plan_low or 0) + (plan.plan_high or 0)) / 2
    benefit = yearly_cost / 2
    if spend <= 0 or benefit <= 0:
        return "", ""
    roi = (benefit - spend) / spend * 100
    months = spend / (benefit / 12)
    return (
        f"About {roi:.0f}% in year one, if training removes half of the stated "
        f"{money(yearly_cost)} yearly cost against a mid budget of {money(spend)}.",
        f"About {months:.0f} months" if months <= 36 else "Beyond three years",
    )


def _benefit(metric: Metric) -> str:
    if metric.target and metric.baseline:
        return f"{metric.metric}: {metric.target}, from {metric.baseline} today"
    # "within 2 weeks" as the target of "... unaided within 2 weeks" says nothing new.
    if not metric.target or metric.target.casefold() in metric.metric.casefold():
        return metric.metric
    return f"{metric.metric}: {metric.target}"


def business_case(draft: Draft) -> dict[str, Any]:
    """Cost of inaction, benefits, and ROI when the answers give the numbers."""
    cost = draft.deep.text(ids.COST_OF_INACTION)
    if not cost:
        draft.unknown("What does it cost if nothing changes?", 3)
    figure = cost_figure(cost) if cost else None
    roi, payback = _roi(draft, figure) if figure else ("", "")
    if cost and not roi:
        draft.unknown("What is the cost of inaction in dollars, to estimate ROI?", 4)
    benefits = [_benefit(m) for m in draft.metrics]
    return {
        "cost_of_inaction": clip(cost),
        "expected_benefits": cap(benefits),
        "roi_estimate": roi,
        "payback": payback,
    }


def review_date(draft: Draft) -> str:
    """The governance review: end of the pilot, else mid-project, else unknown."""
    pilot = _phase_with(draft, "Pilot")
    if pilot and pilot.end:
        return pilot.end.isoformat()
    timeline = draft.facts.timeline
    if timeline:
        return (timeline.start + timedelta(days=timeline.days // 2)).isoformat()
    return ""
