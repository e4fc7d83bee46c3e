"""Render an :class:`NAReport` as Markdown in the layout of DOMAIN.md §3.2.

Every piece of text comes from answers or a model, so it is escaped to stay
plain text: it can't open a heading, a list, a link or HTML, nor break a table.
A section with no data is left out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

from starmap_tui.report.model import BudgetItem, LearnerProfile, NAReport, Part

# The en dash is the wording DOMAIN.md uses for the stage range.
PRELIMINARY_NOTICE = (
    "Preliminary report — drafted from stages 1–3; "  # noqa: RUF001
    "the final report will supersede it."
)

# Intraword underscores and plain ampersands are left alone: CommonMark reads
# them literally, and escaping them would clutter the exported Markdown.
_INLINE_SPECIALS = re.compile(
    r"[\\`*\[\]<>|~]|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])|&(?=#?\w+;)"
)
_BLOCK_START = re.compile(r"^([#+\-=]|\d+[.)])")
_VERDICTS = {
    "training": "Training is the answer",
    "non_training": "Not a training problem",
    "both": "Training together with non-training actions",
}
_LEVELS = {
    1: "1 Reaction",
    2: "2 Learning",
    3: "3 Behaviour",
    4: "4 Results",
    5: "5 ROI",
}


def escape(text: str) -> str:
    """Plain text made safe for one line of Markdown, table cells included."""
    flat = " ".join(text.split())
    flat = _INLINE_SPECIALS.sub(lambda match: "\\" + match.group(0), flat)
    return _BLOCK_START.sub(lambda match: _escape_marker(match.group(0)), flat)


def _escape_marker(marker: str) -> str:
    """Backslash the character that would start a block (``#``, ``1.``, ...)."""
    return marker[:-1] + "\\" + marker[-1]


class _Raw(str):
    """Table-cell text that is our own Markdown, not to be escaped."""


def _bullets(items: Iterable[str]) -> str:
    """A bullet list of escaped items, or "" when there are none."""
    return "\n".join(f"- {escape(item)}" for item in items if item)


def _numbered(items: Sequence[str]) -> str:
    """A numbered list of escaped items, or "" when there are none."""
    return "\n".join(f"{n}. {escape(item)}" for n, item in enumerate(items, 1))


def _labelled(label: str, value: str) -> str:
    """``**Label:** value`` for a value that exists, else ""."""
    return f"**{label}:** {escape(value)}" if value else ""


def _sub(title: str, body: str) -> str:
    """A ``###`` subsection, or "" when its body is empty."""
    return f"### {title}\n\n{body}" if body else ""


def _cell(value: object) -> str:
    """One table cell: escaped text, numbers as they read, "—" for nothing."""
    if isinstance(value, _Raw):
        return value
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return escape("; ".join(str(item) for item in value))
    return escape(str(value))


def _table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A Markdown table, or "" when there are no rows."""
    lines = ["| " + " | ".join(_cell(value) for value in row) + " |" for row in rows]
    if not lines:
        return ""
    head = "| " + " | ".join(headers) + " |"
    rule = "|" + "|".join("---" for _ in headers) + "|"
    return "\n".join([head, rule, *lines])


def _join(blocks: Iterable[str]) -> str:
    """Non-empty blocks separated by blank lines."""
    return "\n\n".join(block for block in blocks if block)


def _section(title: str, body: str) -> str:
    """A ``##`` section, or "" when it has nothing to say."""
    return f"## {title}\n\n{body}" if body else ""


def _executive_summary(report: NAReport) -> str:
    """The problem, the training fit, the evidence and what is still open."""
    summary = report.summary
    fit = summary.training_fit
    confidence = (
        f"**Confidence:** {summary.confidence:.0%}"
        if summary.confidence is not None
        else ""
    )
    verdict = _VERDICTS.get(fit.verdict or "", "")
    return _join(
        [
            escape(summary.problem_statement),
            confidence,
            _sub(
                "Training fit",
                _join([_labelled("Verdict", verdict), _bullets(fit.reasons)]),
            ),
            _sub("Current state", _bullets(summary.current_state)),
            _sub("Root causes", _bullets(summary.root_causes)),
            _sub("Objectives", _bullets(summary.objectives)),
            _sub("Evidence", _bullets(summary.evidence)),
            _sub("Assumptions", _bullets(summary.assumptions)),
            _sub("Unknowns", _bullets(summary.unknowns)),
        ]
    )


def _rows(parts: Iterable[Part], *fields: str) -> list[list[object]]:
    """Table rows holding the named fields of each part."""
    return [[getattr(part, name) for name in fields] for part in parts]


def _recommended_solution(report: NAReport) -> str:
    """Modalities, audiences, competencies, gaps, outline and other actions."""
    solution = report.solution
    access = solution.accessibility_and_inclusion
    modalities = _table(
        ["Priority", "Modality", "Reason"],
        _rows(solution.delivery_modalities, "priority", "modality", "reason"),
    )
    gap_fields = ("priority", "competency", "audience", "required_level")
    gaps = _table(
        ["Priority", "Competency", "Audience", "Required", "Current", "On the job"],
        _rows(solution.skill_gaps, *gap_fields, "current_level", "trainable_on_job"),
    )
    actions = _table(
        ["Action", "Owner"],
        _rows(solution.non_training_recommendations, "action", "owner"),
    )
    inclusion = _join([_bullets(access.standards), escape(access.notes)])
    return _join(
        [
            _sub("Delivery modalities", modalities),
            _sub("Target audiences", _bullets(solution.target_audiences)),
            _sub("Key competencies", _bullets(solution.key_competencies)),
            _sub("Skill gaps", gaps),
            _sub("Content outline", _numbered(solution.content_outline)),
            _sub("Accessibility and inclusion", inclusion),
            _sub("Non-training actions", actions),
        ]
    )


def _profile(profile: LearnerProfile) -> str:
    """One learner segment as a subsection."""
    body = _join(
        [
            _labelled("Roles", ", ".join(profile.roles)),
            _labelled("Context", profile.context),
            _labelled("Motivators", "; ".join(profile.motivators)),
            _labelled("Constraints", "; ".join(profile.constraints)),
        ]
    )
    return _sub(escape(profile.segment) or "Learners", body)


def _learner_analysis(report: NAReport) -> str:
    """Learner profiles and readiness risks."""
    analysis = report.learner_analysis
    return _join(
        [
            *(_profile(profile) for profile in analysis.profiles),
            _sub("Readiness risks", _bullets(analysis.readiness_risks)),
        ]
    )


def _technology_talent(report: NAReport) -> str:
    """The technology stack and the people, their gaps and recommendations."""
    tech = report.technology_talent.technology
    talent = report.technology_talent.talent
    recommendations = _table(
        ["Capability", "Fit", "Constraints"],
        ([r.capability, r.fit, r.constraints] for r in tech.recommendations),
    )
    technology = _join(
        [
            _labelled("Current stack", ", ".join(tech.current_stack)),
            _labelled("Gaps", "; ".join(tech.gaps)),
            recommendations,
            _labelled("Data standards", ", ".join(tech.data_plan.standards)),
            _labelled("Integrations", ", ".join(tech.data_plan.integrations)),
        ]
    )
    people = _join(
        [
            _labelled("Available roles", ", ".join(talent.available_roles)),
            _labelled("Gaps", "; ".join(talent.gaps)),
            _bullets(talent.recommendations),
        ]
    )
    return _join([_sub("Technology", technology), _sub("Talent", people)])


def _delivery_plan(report: NAReport) -> str:
    """Phases, the dated timeline and resources."""
    plan = report.delivery_plan
    phases = _table(
        ["Phase", "Weeks", "Goals", "Activities"],
        ([p.name, p.duration_weeks, p.goals, p.activities] for p in plan.phases),
    )
    timeline = _table(
        ["Milestone", "Start", "End"],
        ([m.label, m.start, m.end] for m in plan.timeline),
    )
    return _join(
        [
            _sub("Phases", phases),
            _sub("Timeline", timeline),
            _sub("Resources", _bullets(plan.resources)),
        ]
    )


def _measurement(report: NAReport) -> str:
    """Success metrics, the evaluation plan, assessment and analytics."""
    measure = report.measurement
    analytics = measure.learning_analytics
    metrics = _table(
        ["Metric", "Baseline", "Target", "Timeframe"],
        _rows(measure.success_metrics, "metric", "baseline", "target", "timeframe"),
    )
    evaluation = _table(
        ["Level", "Metric", "Method", "When"],
        (
            [_LEVELS.get(e.level or 0, ""), e.metric, e.method, e.when]
            for e in measure.evaluation_plan
        ),
    )
    levels = _labelled("Levels reported", ", ".join(analytics.levels))
    cadence = _labelled("Reporting cadence", analytics.reporting_cadence)
    return _join(
        [
            _sub("Success metrics", metrics),
            _sub("Evaluation plan", evaluation),
            _sub("Assessment strategy", _bullets(measure.assessment_strategy)),
            _sub("Data sources", _bullets(measure.data_sources)),
            _sub("Learning analytics", _join([levels, cadence])),
        ]
    )


def _money(amount: float | None) -> _Raw:
    """An amount with thousands separators, cents only when there are some."""
    if amount is None:
        return _Raw("—")
    return _Raw(f"{amount:,.0f}" if amount.is_integer() else f"{amount:,.2f}")


def _total(items: Sequence[BudgetItem], end: str) -> float | None:
    """The sum of one end of the ranges, or None when any item lacks it."""
    values = [getattr(item, end) for item in items]
    return None if any(v is None for v in values) else float(sum(values))


def _budget(report: NAReport) -> str:
    """Cost items as ranges with a total row, then the notes."""
    budget = report.budget
    unit = f" ({budget.currency})" if budget.currency else ""
    rows: list[list[object]] = [
        [item.item, _money(item.low), _money(item.high)] for item in budget.items
    ]
    if rows:
        low, high = _total(budget.items, "low"), _total(budget.items, "high")
        rows.append([_Raw("**Total**"), _money(low), _money(high)])
    table = _table(["Item", f"Low{unit}", f"High{unit}"], rows)
    return _join([table, escape(budget.notes)])


def _business_case(report: NAReport) -> str:
    """The cost of doing nothing, the benefits and the return."""
    case = report.business_case
    return _join(
        [
            _labelled("Cost of inaction", case.cost_of_inaction),
            _sub("Expected benefits", _bullets(case.expected_benefits)),
            _labelled("ROI estimate", case.roi_estimate),
            _labelled("Payback", case.payback),
        ]
    )


def _risks(report: NAReport) -> str:
    """Risks with severity, likelihood and mitigation."""
    return _table(
        ["Risk", "Severity", "Likelihood", "Mitigation"],
        ([r.risk, r.severity, r.likelihood, r.mitigation] for r in report.risks),
    )


def _governance(report: NAReport) -> str:
    """Sponsor, approver and review date."""
    gov = report.governance
    items = [
        _labelled("Sponsor", gov.sponsor),
        _labelled("Approver", gov.approver),
        _labelled("Review date", gov.review_date),
    ]
    return "\n".join(f"- {item}" for item in items if item)


def _answer(answer: str) -> str:
    """An answer kept on its lines, each escaped, joined by hard breaks."""
    lines = [escape(line) for line in answer.splitlines() if line.strip()]
    return "\\\n  ".join(lines) if lines else "*(no answer)*"


def _question(label: str) -> str:
    """A question label in bold; a colon follows unless it ends in punctuation."""
    text = escape(label)
    return f"**{text}**" if text.endswith(("?", "!", ":", ".")) else f"**{text}:**"


def _discovery(qa: Sequence[tuple[str, str]]) -> str:
    """Every question label with its answer."""
    items = (f"- {_question(label)} {_answer(answer)}" for label, answer in qa)
    return _section("Discovery Q&A", "\n".join(items))


def title_heading(title: str) -> str:
    """The report's first line: ``# <title>``, escaped."""
    return f"# {escape(title) or 'Starmap'}"


def _header(report: NAReport, title: str, preliminary: bool) -> str:
    """The title, the provenance line and, when preliminary, the notice."""
    blocks = [title_heading(title)]
    if report.generated_by:
        blocks.append(f"*Generated by {escape(report.generated_by)}.*")
    if preliminary:
        blocks.append(f"> **{PRELIMINARY_NOTICE}**")
    return _join(blocks)


_SECTIONS: tuple[tuple[str, Callable[[NAReport], str]], ...] = (
    ("Executive Summary", _executive_summary),
    ("Recommended Solution", _recommended_solution),
    ("Learner Analysis", _learner_analysis),
    ("Technology & Talent", _technology_talent),
    ("Delivery Plan", _delivery_plan),
    ("Measurement", _measurement),
    ("Budget", _budget),
    ("Business Case", _business_case),
    ("Risks", _risks),
    ("Governance", _governance),
    ("Next Steps", lambda report: _numbered(report.next_steps)),
)


def render_markdown(
    report: NAReport,
    *,
    title: str,
    qa: list[tuple[str, str]],
    preliminary: bool = False,
) -> str:
    """The report as Markdown, sections in the order of DOMAIN.md §3.2."""
    sections = (_section(name, render(report)) for name, render in _SECTIONS)
    return (
        _join([_header(report, title, preliminary), *sections, _discovery(qa)]) + "\n"
    )
