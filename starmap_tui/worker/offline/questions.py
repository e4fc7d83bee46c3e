"""The offline question bank: deep-dive questions chosen by what is still open."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starmap_tui.questionnaire.fields import Field, FieldType
from starmap_tui.worker.offline import analysis, ids, vocab
from starmap_tui.worker.offline.facts import Facts
from starmap_tui.worker.offline.measure import parse_metrics
from starmap_tui.worker.offline.text import clip, human_list

T = FieldType
Builder = Callable[[Facts], Field | None]

_CORE = (ids.AUDIENCE, ids.COMPETENCIES, ids.CONTENT, ids.DELIVERY)
_LEARNER = (ids.SKILL_LEVEL, ids.HOURS, ids.ACCESSIBILITY)
_PROBES = {
    "novice": (
        ids.COMPLIANCE,
        ids.VR_PILOT,
        ids.SKILL_LEVEL,
        ids.HOURS,
        ids.EVIDENCE,
        ids.SPONSOR,
        ids.FIRST_COHORT,
        ids.MANAGER_SUPPORT,
    ),
    "intermediate": (
        ids.COMPLIANCE,
        ids.VR_PILOT,
        ids.EVIDENCE,
        ids.SKILL_LEVEL,
        ids.BASELINE,
        ids.SPONSOR,
        ids.HOURS,
        ids.COST_OF_INACTION,
        ids.FIRST_COHORT,
        ids.ACCESSIBILITY,
        ids.MAIN_RISK,
        ids.MANAGER_SUPPORT,
    ),
    "expert": (
        ids.TRAINING_LEVER,
        ids.COMPLIANCE,
        ids.VR_PILOT,
        ids.EVIDENCE,
        ids.BASELINE,
        ids.COST_OF_INACTION,
        ids.SPONSOR,
        ids.SKILL_LEVEL,
        ids.MAIN_RISK,
        ids.ACCESSIBILITY,
        ids.HOURS,
        ids.FIRST_COHORT,
    ),
}
_COUNT = {"novice": 7, "intermediate": 8, "expert": 9}
_ORDER = (
    ids.TRAINING_LEVER,
    ids.AUDIENCE,
    ids.SKILL_LEVEL,
    ids.HOURS,
    ids.ACCESSIBILITY,
    ids.COMPETENCIES,
    ids.CONTENT,
    ids.COMPLIANCE,
    ids.DELIVERY,
    ids.VR_PILOT,
    ids.EVIDENCE,
    ids.BASELINE,
    ids.COST_OF_INACTION,
    ids.SPONSOR,
    ids.FIRST_COHORT,
    ids.MANAGER_SUPPORT,
    ids.MAIN_RISK,
)
EVIDENCE_OPTIONS = (
    "Performance data",
    "Manager observations",
    "Staff survey",
    "Audit findings",
    "Customer feedback",
    "No evidence yet",
)
COMPLIANCE_OPTIONS = (
    "Completion records for auditors",
    "Assessment with a pass mark",
    "Yearly refresher",
    "Role-specific data handling rules",
    "Incident reporting steps",
)
LEVER_OPTIONS = (
    "Mainly a skills gap",
    "Mainly a process or tool problem",
    "Both",
    "Not sure yet",
)
RISK_OPTIONS = (
    "Time away from work",
    "Weak manager support",
    "Technology access",
    "Change fatigue",
    "Budget cuts",
)
ACCESS_OPTIONS = (
    "Captions or transcripts",
    "Screen reader support",
    "Other languages",
    "Low digital confidence",
    "None known",
)
_SPONSOR_DEFAULTS = ("C-Suite", "HR Leadership", "Department Heads")


def _narrow(facts: Facts, options: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Novices get at most four choices; others up to seven."""
    return tuple(options[: 4 if facts.novice else 7])


def _audience(facts: Facts) -> Field:
    options = [*analysis.segments(facts), "Their managers", "New hires"]
    label = (
        "Which groups should the training reach first?"
        if facts.novice
        else "Which audience segments should the first release reach?"
    )
    return Field(
        ids.AUDIENCE,
        label,
        T.MULTI_SELECT,
        help="Pick the groups to start with; add any that are missing.",
        options=_narrow(facts, options),
    )


def _competencies(facts: Facts) -> Field:
    label = (
        "Which skills matter most for your goals?"
        if facts.novice
        else "Which competencies most limit progress on your objectives today?"
    )
    return Field(
        ids.COMPETENCIES,
        label,
        T.MULTI_SELECT,
        help="Choose the few that would change results most; add your own.",
        options=_narrow(facts, analysis.candidate_competencies(facts)),
    )


def _content(facts: Facts) -> Field:
    return Field(
        ids.CONTENT,
        "Which tasks, topics or procedures must the content cover?",
        T.TEXTAREA,
        help="One per line; mark anything required by law or policy.",
        placeholder="e.g. intake checklist; escalation steps; system walkthrough",
        max_length=2000,
    )


def _delivery(facts: Facts) -> Field:
    options = [m.option for m in analysis.modalities(facts)]
    label = (
        "Which ways of learning would work for your people?"
        if facts.novice
        else "Which delivery modes fit how and where this audience works?"
    )
    return Field(
        ids.DELIVERY,
        label,
        T.MULTI_SELECT,
        help="Options match the devices and platforms you listed.",
        options=_narrow(facts, options),
    )


# The questionnaire's generic option names a kind of rule, not a rule.
_GENERIC_RULES = {"industry-specific regulations": "your industry's regulations"}


def _rule_names(facts: Facts) -> str:
    """At most two short regulation names, "and others" when more were listed.

    A generic option reads as a phrase ("your industry's regulations"), so a
    question never asks about duties "under Industry-specific regulations".
    """
    named = [n for n in facts.compliance if n.casefold() not in _GENERIC_RULES]
    generic = [
        _GENERIC_RULES[n.casefold()]
        for n in facts.compliance
        if n.casefold() in _GENERIC_RULES
    ]
    short = [n for n in named if len(n.split()) <= 3][:2]
    picked = [*short, *generic][:2]
    if not picked:
        return "your listed regulations"
    more = len(facts.compliance) > len(picked)
    return human_list([*picked, "others"] if more else picked)


def _compliance(facts: Facts) -> Field | None:
    if not facts.compliance:
        return None
    return Field(
        ids.COMPLIANCE,
        f"Which duties under {_rule_names(facts)} must training meet?",
        T.MULTI_SELECT,
        help="These shape records, assessments and refresher cycles.",
        options=_narrow(facts, COMPLIANCE_OPTIONS),
    )


def _vr(facts: Facts) -> Field | None:
    if not facts.has_hardware("VR headsets"):
        return None
    return Field(
        ids.VR_PILOT,
        "Should VR practice scenarios be part of the pilot?",
        T.BOOLEAN,
        help="Say yes if a task is risky or costly to practise for real.",
    )


def _lever(facts: Facts) -> Field | None:
    if not facts.expert:
        return None
    return Field(
        ids.TRAINING_LEVER,
        "Is training the right lever, or is this a process/tool problem?",
        T.SINGLE_SELECT,
        help="Your read of the root cause decides the training fit verdict.",
        options=LEVER_OPTIONS,
    )


def _evidence(facts: Facts) -> Field | None:
    if any(word in facts.corpus for word in vocab.EVIDENCE_WORDS):
        return None
    label = {
        "novice": "How do you know people need this training?",
        "expert": "What evidence shows a skill gap rather than a will or setting gap?",
    }.get(facts.level, "What evidence shows the skills gap today?")
    return Field(
        ids.EVIDENCE,
        label,
        T.MULTI_SELECT,
        help="Tick what you have seen or measured; this grounds the report.",
        options=_narrow(facts, EVIDENCE_OPTIONS[:3] + EVIDENCE_OPTIONS[-1:])
        if facts.novice
        else EVIDENCE_OPTIONS,
    )


def _skill_level(facts: Facts) -> Field:
    return Field(
        ids.SKILL_LEVEL,
        "How skilled is the audience today in the priority areas?",
        T.SLIDER,
        help="1 = beginner, 5 = expert; your best estimate is fine.",
        min=1,
        max=5,
        step=1,
        default=3,
    )


def _hours(facts: Facts) -> Field:
    return Field(
        ids.HOURS,
        "How many hours a week can each learner give to training?",
        T.NUMBER,
        help="Count the time away from work that managers will really allow.",
        min=0,
        max=40,
        step=0.5,
        unit="hrs",
    )


_ORDINALS = ("first", "second", "third", "fourth", "fifth")


def _baseline(facts: Facts) -> Field | None:
    metrics = parse_metrics(facts)
    at = next((i for i, m in enumerate(metrics) if not m.baseline), None)
    if at is None:
        return None
    # The objective itself can be long; the label names it, the help quotes it.
    return Field(
        ids.BASELINE,
        f"What is today's value for your {_ORDINALS[at]} objective?",
        T.TEXT,
        help=f"{clip(metrics[at].metric, 12)} — a report figure or estimate, e.g. 62%.",
        max_length=200,
    )


def _cost(facts: Facts) -> Field:
    return Field(
        ids.COST_OF_INACTION,
        "What will it cost if nothing changes in the next year?",
        T.TEXTAREA,
        help="Money, risk, turnover or customers lost; rough figures help the case.",
        max_length=1000,
    )


def _sponsor(facts: Facts) -> Field:
    groups = [s for s in facts.stakeholders if s not in {"Customers", "Investors"}]
    return Field(
        ids.SPONSOR,
        "Which group sponsors this project and approves its budget?",
        T.SINGLE_SELECT,
        help="A group or role, not a person's name.",
        options=_narrow(facts, groups or list(_SPONSOR_DEFAULTS)),
    )


def _first_cohort(facts: Facts) -> Field | None:
    if facts.timeline is None:
        return None
    return Field(
        ids.FIRST_COHORT,
        "By what date must the first group be trained?",
        T.CALENDAR_DATE,
        help="Pick a date inside your project timeline.",
        min_date=facts.timeline.start.isoformat(),
        max_date=facts.timeline.end.isoformat(),
    )


def _accessibility(facts: Facts) -> Field | None:
    if facts.mentions(vocab.ACCESSIBILITY):
        return None
    return Field(
        ids.ACCESSIBILITY,
        "Which learner needs should the design plan for?",
        T.MULTI_SELECT,
        help="Think of language, sight, hearing and confidence with technology.",
        options=ACCESS_OPTIONS,
    )


def _risk(facts: Facts) -> Field:
    return Field(
        ids.MAIN_RISK,
        "What is most likely to derail this project?",
        T.SINGLE_SELECT,
        help="Pick the biggest threat; the report plans a mitigation for it.",
        options=RISK_OPTIONS,
    )


def _manager(facts: Facts) -> Field:
    return Field(
        ids.MANAGER_SUPPORT,
        "Will managers have time to coach after the training?",
        T.BOOLEAN,
        help="Practice back at work decides whether new skills stick.",
    )


_BUILDERS: dict[str, Builder] = {
    ids.AUDIENCE: _audience,
    ids.COMPETENCIES: _competencies,
    ids.CONTENT: _content,
    ids.DELIVERY: _delivery,
    ids.COMPLIANCE: _compliance,
    ids.VR_PILOT: _vr,
    ids.TRAINING_LEVER: _lever,
    ids.EVIDENCE: _evidence,
    ids.SKILL_LEVEL: _skill_level,
    ids.HOURS: _hours,
    ids.BASELINE: _baseline,
    ids.COST_OF_INACTION: _cost,
    ids.SPONSOR: _sponsor,
    ids.FIRST_COHORT: _first_cohort,
    ids.ACCESSIBILITY: _accessibility,
    ids.MAIN_RISK: _risk,
    ids.MANAGER_SUPPORT: _manager,
}


def _pick_probes(facts: Facts, room: int) -> list[Field]:
    built = (_BUILDERS[qid](facts) for qid in _PROBES[facts.level])
    probes = [q for q in built if q is not None]
    chosen = probes[:room]
    if not any(q.id in _LEARNER for q in chosen):
        learner = next((q for q in probes if q.id in _LEARNER), None)
        if learner is not None:
            chosen[-1] = learner
    return chosen


def _to_dict(question: Field) -> dict[str, Any]:
    data = question.to_dict()
    if question.min_date:
        data["min_date"] = question.min_date
    if question.max_date:
        data["max_date"] = question.max_date
    return data


def build_questions(facts: Facts) -> dict[str, Any]:
    """Six to nine questions: the four solution areas plus the open probes."""
    core = [b for b in (_BUILDERS[qid](facts) for qid in _CORE) if b is not None]
    chosen = core + _pick_probes(facts, _COUNT[facts.level] - len(core))
    chosen.sort(key=lambda q: _ORDER.index(q.id))
    subject = facts.title or facts.text("org_name") or "your project"
    return {
        "title": f"Deep dive: {subject}",
        "questions": [_to_dict(q) for q in chosen],
    }
