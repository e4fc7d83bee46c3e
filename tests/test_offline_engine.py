"""The offline engine: questions and reports built by rules from the answers."""

from __future__ import annotations

import copy
import itertools
import json
import re
import time
from datetime import date, timedelta
from typing import Any

import pytest

from starmap_tui.questionnaire.normalise import normalise_questions
from starmap_tui.report.extract import extract_json
from starmap_tui.report.markdown import render_markdown
from starmap_tui.report.model import validate_report
from starmap_tui.storage.repository import Repository
from starmap_tui.worker.offline import generate
from starmap_tui.worker.offline.facts import read_budget, read_facts
from starmap_tui.worker.offline.plan import BudgetLine, budget_items, phases
from starmap_tui.worker.providers.base import GenerationRequest, PermanentError
from starmap_tui.worker.providers.offline import CHUNK_CHARS, OfflineProvider
from starmap_tui.worker.runner import Runner, RunnerSettings
from tests.helpers import sample_answers

BUDGET_OPTIONS = (
    "< $10,000",
    "$10,000 - $50,000",
    "$50,000 - $100,000",
    "$100,000 - $250,000",
    "$250,000 - $500,000",
    "$500,000 - $1M",
    "> $1M",
)
SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")
CORE_IDS = {
    "preferred_delivery",
    "priority_audiences",
    "priority_competencies",
    "must_cover_content",
}


def clinic() -> dict[str, Any]:
    """A small clinic: HIPAA, under $10,000, six weeks, smartphones only."""
    return {
        "title": "Front-desk privacy refresh",
        "experience_level": "Intermediate (some projects, want structure)",
        "today": "2025-01-06",
        "answers": {
            "requester_name": "Ana Ruiz",
            "requester_role": "Practice manager",
            "requester_department": "Operations",
            "requester_email": "ana@harbor.example",
            "org_name": "Harbor Family Clinic",
            "org_industry": "Healthcare",
            "org_size": "1-50 employees",
            "org_headquarters": "Portland, OR",
            "org_compliance": ["HIPAA"],
            "org_stakeholders": ["C-Suite", "Department Heads"],
            "project_objectives": "cut patient privacy incidents from 6 to 1 per "
            "quarter; raise check-in accuracy 15%",
            "project_constraints": "staff work shifts; no time away from patients",
            "target_audience": "12 front-desk staff; 20 nurses across 2 clinics",
            "project_timeline": {"start": "2025-02-03", "end": "2025-03-16"},
            "project_budget_range": "< $10,000",
            "available_hardware": ["Smartphones"],
            "available_software": ["None"],
        },
    }


def tech_firm() -> dict[str, Any]:
    """A large tech firm: GDPR, $100k-$250k, nine months, LMS, Zoom and VR."""
    return {
        "title": "Sales enablement 2025",
        "experience_level": "Expert (seasoned practitioner)",
        "today": "2025-01-06",
        "answers": {
            "requester_name": "Sam Lee",
            "requester_role": "Head of enablement",
            "requester_department": "Sales",
            "requester_email": "sam@nimbus.example",
            "org_name": "Nimbus Systems",
            "org_industry": "Technology",
            "org_size": "5001-10000 employees",
            "org_headquarters": "Dublin, Ireland",
            "org_compliance": ["GDPR", "SOC 2"],
            "org_stakeholders": ["C-Suite", "HR Leadership", "Department Heads"],
            "project_objectives": "raise sales win rate 20%; cut onboarding from "
            "12 to 8 weeks",
            "project_constraints": "remote staff in 14 countries; CRM process is "
            "unclear",
            "target_audience": "300 account executives; 60 sales managers",
            "project_timeline": {"start": "2025-03-03", "end": "2025-11-28"},
            "project_budget_range": "$100,000 - $250,000",
            "available_hardware": ["Laptops", "VR headsets"],
            "available_software": ["LMS", "Zoom", "Slack"],
            "subject_matter_experts": "Top-quartile account executives",
        },
    }


def novice_tbd() -> dict[str, Any]:
    """A novice with an undecided budget and no devices listed."""
    return {
        "title": "Volunteer onboarding",
        "experience_level": "Novice (new to needs analysis)",
        "today": "2025-01-06",
        "answers": {
            "requester_name": "Jo Park",
            "requester_role": "Coordinator",
            "requester_department": "Other",
            "org_name": "Riverside Food Bank",
            "org_industry": "Non-profit",
            "org_size": "51-200 employees",
            "org_headquarters": "Leeds, UK",
            "org_compliance": ["None"],
            "org_stakeholders": ["Board of Directors", "External Partners"],
            "project_objectives": "Help new volunteers work confidently and safely",
            "project_constraints": "no budget agreed yet",
            "target_audience": "about 80 weekend volunteers",
            "project_timeline": {"start": "2025-04-01", "end": "2025-09-30"},
            "project_budget_range": "To be determined",
            "available_hardware": ["Limited/None"],
        },
    }


def front_desk() -> dict[str, Any]:
    """A clinic group: desktops and tablets, a descriptive audience, long names."""
    return {
        "title": "Front-desk onboarding",
        "experience_level": "Intermediate (some projects, want structure)",
        "today": "2025-01-06",
        "answers": {
            "requester_role": "Operations director",
            "requester_department": "Operations",
            "org_name": "Valley Health Partners",
            "org_industry": "Healthcare",
            "org_size": "501-1000 employees",
            "org_headquarters": "Salem, OR",
            "org_compliance": [
                "HIPAA",
                "Industry-specific regulations",
                "State of Oregon patient privacy rules",
            ],
            "org_stakeholders": ["C-Suite", "Department Heads"],
            "project_objectives": "Productive in 3 weeks instead of 8; Cut patient "
            "check-in errors (wrong insurance, missing consent forms) by half",
            "project_constraints": "front desks are busy all day",
            "target_audience": "85 front-desk coordinators across 14 clinics, "
            "mostly new to healthcare, 30% turnover per year",
            "project_timeline": {"start": "2025-02-03", "end": "2025-06-27"},
            "project_budget_range": "$50,000 - $100,000",
            "available_hardware": ["Desktop computers", "Tablets"],
            "available_software": ["Microsoft 365"],
        },
    }


SCENARIOS = {
    "clinic": clinic,
    "tech_firm": tech_firm,
    "novice_tbd": novice_tbd,
    "front_desk": front_desk,
}


async def run(kind: str, context: Any) -> tuple[str, list[str]]:
    """Drive the provider as the runner does; return the text and its chunks."""
    provider = OfflineProvider()
    request = GenerationRequest(kind=kind, system="", prompt="", context=context)
    chunks = [chunk async for chunk in provider.stream(request)]
    await provider.aclose()
    return "".join(chunks), chunks


async def questions_for(context: Any) -> list[dict[str, Any]]:
    """The deep-dive questions the engine builds for ``context``."""
    text, _ = await run("questions", context)
    return json.loads(text)["questions"]


async def report_for(kind: str, context: Any) -> dict[str, Any]:
    """A report that also passes the project's report validation."""
    text, _ = await run(kind, context)
    data = json.loads(text)
    validate_report(data)
    return data


def walk(value: Any) -> list[Any]:
    """Every list and string inside ``value``."""
    if isinstance(value, dict):
        return [x for v in value.values() for x in walk(v)]
    if isinstance(value, list):
        return [value, *(x for v in value for x in walk(v))]
    return [value] if isinstance(value, str) else []


def weeks_between(start: str, end: str) -> float:
    """The timeline's length in weeks, both days counted."""
    days = (date.fromisoformat(end) - date.fromisoformat(start)).days + 1
    return days / 7


# Questions -----------------------------------------------------------------


@pytest.mark.parametrize("name", SCENARIOS)
async def test_questions_follow_the_contract(name: str) -> None:
    questions = await questions_for(SCENARIOS[name]())

    ids = [q["id"] for q in questions]
    assert 6 <= len(questions) <= 9
    assert len(set(ids)) == len(ids)
    assert all(SNAKE.match(i) for i in ids)
    assert set(ids) >= CORE_IDS
    assert len({q["type"] for q in questions}) >= 4
    assert all(len(q["label"].split()) <= 14 for q in questions)
    assert all(len(q["help"].split()) <= 20 for q in questions)
    assert all(q.get("options") for q in questions if "select" in q["type"])
    normalised = normalise_questions({"questions": questions}).fields
    assert [f.id for f in normalised] == ids


async def test_no_vr_question_without_headsets() -> None:
    for context in (clinic(), novice_tbd()):
        questions = await questions_for(context)
        text = json.dumps(questions)
        assert "vr_in_pilot" not in text and "VR" not in text

    firm = await questions_for(tech_firm())
    assert "vr_in_pilot" in [q["id"] for q in firm]


async def test_compliance_question_names_the_rules() -> None:
    clinic_qs = {q["id"]: q for q in await questions_for(clinic())}
    firm_qs = {q["id"]: q for q in await questions_for(tech_firm())}
    novice_qs = {q["id"]: q for q in await questions_for(novice_tbd())}

    assert "HIPAA" in clinic_qs["compliance_obligations"]["label"]
    assert "GDPR" in firm_qs["compliance_obligations"]["label"]
    assert "SOC 2" in firm_qs["compliance_obligations"]["label"]
    assert "compliance_obligations" not in novice_qs


async def test_labels_fit_without_being_cut() -> None:
    questions = {q["id"]: q for q in await questions_for(front_desk())}
    normalised = normalise_questions({"questions": list(questions.values())})

    assert [f.label for f in normalised.fields] == [
        q["label"] for q in questions.values()
    ]
    assert not any("…" in q["label"] for q in questions.values())
    rules = questions["compliance_obligations"]["label"]
    assert "HIPAA" in rules and "and others" in rules
    baseline = questions["objective_baseline"]
    assert "objective" in baseline["label"]
    assert baseline["help"].startswith("Cut patient check-in errors")
    assert len(baseline["help"].split()) <= 20


async def test_delivery_options_fit_devices_and_software() -> None:
    clinic_options = {q["id"]: q for q in await questions_for(clinic())}
    firm_options = {q["id"]: q for q in await questions_for(tech_firm())}

    phone_only = clinic_options["preferred_delivery"]["options"]
    assert "Short lessons on phones" in phone_only
    assert not any("Zoom" in o or "LMS" in o for o in phone_only)
    firm = firm_options["preferred_delivery"]["options"]
    assert "Live online sessions (Zoom)" in firm
    assert "Self-paced modules in LMS" in firm
    assert "VR practice scenarios" in firm


async def test_no_phone_lessons_without_smartphones() -> None:
    questions = {q["id"]: q for q in await questions_for(front_desk())}
    report = await report_for("final", front_desk())

    options = questions["preferred_delivery"]["options"]
    assert "Short modules on tablets" in options
    assert not any("phone" in o.casefold() for o in options)
    modes = report["solution"]["delivery_modalities"]
    assert "Mobile-friendly e-learning" in [m["modality"] for m in modes]
    assert "phone" not in json.dumps(modes).casefold()


async def test_wording_follows_experience_level() -> None:
    novice = await questions_for(novice_tbd())
    expert = {q["id"]: q for q in await questions_for(tech_firm())}

    assert len(novice) < len(expert)
    assert all(len(q.get("options", ())) <= 4 for q in novice)
    lever = expert["training_right_lever"]
    assert "process/tool problem" in lever["label"]
    assert "training_right_lever" not in {q["id"] for q in novice}


async def test_audience_options_come_from_the_answers() -> None:
    questions = {q["id"]: q for q in await questions_for(clinic())}

    options = questions["priority_audiences"]["options"]
    assert "12 front-desk staff" in options
    assert "20 nurses across 2 clinics" in options


async def test_descriptive_clauses_are_not_audience_segments() -> None:
    questions = {q["id"]: q for q in await questions_for(front_desk())}
    report = await report_for("preliminary", front_desk())

    options = questions["priority_audiences"]["options"]
    assert "85 front-desk coordinators across 14 clinics" in options
    named = [*options, *(p["segment"] for p in report["learner_analysis"]["profiles"])]
    assert not any("turnover" in s or "mostly" in s for s in named)


async def test_several_named_groups_stay_separate_segments() -> None:
    context = front_desk()
    context["answers"]["target_audience"] = (
        "120 nurses, 40 ward clerks and 10 supervisors"
    )
    questions = {q["id"]: q for q in await questions_for(context)}

    options = questions["priority_audiences"]["options"]
    assert options[:3] == ["120 nurses", "40 ward clerks", "10 supervisors"]


async def test_first_cohort_date_is_bounded_by_the_timeline() -> None:
    questions = {q["id"]: q for q in await questions_for(clinic())}

    if "first_cohort_date" in questions:
        assert questions["first_cohort_date"]["min_date"] == "2025-02-03"
        assert questions["first_cohort_date"]["max_date"] == "2025-03-16"


# Reports ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["preliminary", "final"])
@pytest.mark.parametrize("name", SCENARIOS)
async def test_report_is_complete_and_valid(name: str, kind: str) -> None:
    report = await report_for(kind, SCENARIOS[name]())

    assert report["generated_by"] == "starmap-tui offline engine (rules, no AI)"
    for section in (
        "summary",
        "solution",
        "learner_analysis",
        "technology_talent",
        "delivery_plan",
        "measurement",
        "budget",
        "business_case",
        "risks",
        "governance",
        "next_steps",
    ):
        assert section in report
    summary = report["summary"]
    assert summary["training_fit"]["verdict"] in {"training", "non_training", "both"}
    assert summary["evidence"] and summary["unknowns"]
    assert report["solution"]["skill_gaps"]
    assert report["measurement"]["evaluation_plan"]
    assert report["budget"]["currency"] == "USD"
    assert 3 <= len(report["risks"]) <= 6
    assert all(r["mitigation"] for r in report["risks"])


@pytest.mark.parametrize("name", SCENARIOS)
async def test_lists_and_texts_stay_within_limits(name: str) -> None:
    report = await report_for("preliminary", SCENARIOS[name]())

    for value in walk(report):
        if isinstance(value, list):
            assert len(value) <= 6, value
        else:
            assert len(value.split()) <= 50, value


@pytest.mark.parametrize("name", SCENARIOS)
async def test_phases_fit_inside_the_timeline(name: str) -> None:
    context = SCENARIOS[name]()
    span = context["answers"]["project_timeline"]
    plan = (await report_for("preliminary", context))["delivery_plan"]

    rows = [r for r in plan["timeline"] if r["label"] != "First cohort trained"]
    assert [r["label"] for r in rows] == [p["name"] for p in plan["phases"]]
    assert rows[0]["start"] == span["start"] and rows[-1]["end"] == span["end"]
    for before, after in itertools.pairwise(rows):
        gap = date.fromisoformat(after["start"]) - date.fromisoformat(before["end"])
        assert gap == timedelta(days=1)
    total = sum(p["duration_weeks"] for p in plan["phases"])
    assert total <= weeks_between(span["start"], span["end"])


async def test_short_timelines_have_fewer_phases() -> None:
    short = await report_for("preliminary", clinic())
    long = await report_for("preliminary", tech_firm())

    assert len(short["delivery_plan"]["phases"]) < 6
    assert len(long["delivery_plan"]["phases"]) == 6


def test_phases_fit_every_span_length() -> None:
    base = clinic()
    for days in range(1, 400, 3):
        context = copy.deepcopy(base)
        end = date(2025, 1, 1) + timedelta(days=days - 1)
        context["answers"]["project_timeline"] = {
            "start": "2025-01-01",
            "end": end.isoformat(),
        }
        plan = phases(read_facts(context, final=False))
        assert plan[0].start == date(2025, 1, 1) and plan[-1].end == end
        assert all(p.days >= 1 for p in plan)
        assert sum(p.days for p in plan) == days


@pytest.mark.parametrize("name", ["clinic", "tech_firm"])
async def test_budget_totals_stay_inside_the_range(name: str) -> None:
    context = SCENARIOS[name]()
    items = (await report_for("preliminary", context))["budget"]["items"]
    budget = read_budget(context["answers"]["project_budget_range"])

    assert 3 <= len(items) <= 6
    low, high = sum(i["low"] for i in items), sum(i["high"] for i in items)
    assert budget.floor is not None and budget.ceiling is not None
    assert budget.floor <= low <= high <= budget.ceiling
    assert all(0 <= i["low"] <= i["high"] for i in items)


@pytest.mark.parametrize("label", BUDGET_OPTIONS)
@pytest.mark.parametrize("size", [3, 4, 5, 6])
def test_every_budget_option_is_respected(label: str, size: int) -> None:
    budget = read_budget(label)
    lines = [BudgetLine(f"item {n}", w) for n, w in enumerate([20, 35, 15, 8, 10, 10])]
    items = budget_items(budget, lines[:size])

    low, high = sum(i["low"] for i in items), sum(i["high"] for i in items)
    assert budget.floor is not None
    assert budget.floor <= low <= high
    assert budget.ceiling is None or high <= budget.ceiling
    assert all(0 <= i["low"] <= i["high"] for i in items)


async def test_undecided_budget_becomes_an_unknown() -> None:
    report = await report_for("preliminary", novice_tbd())

    assert report["budget"]["items"] == []
    assert any("To be determined" in u for u in report["summary"]["unknowns"])


async def test_compliance_standards_reach_the_report() -> None:
    clinic_report = await report_for("preliminary", clinic())
    firm_report = await report_for("preliminary", tech_firm())

    for report, names in ((clinic_report, ["HIPAA"]), (firm_report, ["GDPR", "SOC 2"])):
        tech = report["technology_talent"]["technology"]
        access = report["solution"]["accessibility_and_inclusion"]
        assert "WCAG 2.2 AA" in access["standards"]
        for name in names:
            assert name in tech["data_plan"]["standards"]
            assert any(name in r["risk"] for r in report["risks"])


@pytest.mark.parametrize("name", SCENARIOS)
async def test_required_answers_are_reflected(name: str) -> None:
    context = SCENARIOS[name]()
    answers = context["answers"]
    text = json.dumps(await report_for("preliminary", context))

    for field_id in (
        "org_name",
        "org_industry",
        "org_size",
        "org_headquarters",
        "requester_role",
        "project_budget_range",
    ):
        assert answers[field_id] in text, field_id
    assert answers["project_objectives"].split(";")[0].strip() in text
    assert answers["project_constraints"].split(";")[0].strip() in text
    assert answers["project_timeline"]["start"] in text
    assert answers["project_timeline"]["end"] in text
    assert any(s in text for s in answers["org_stakeholders"])
    for rule in answers["org_compliance"]:
        assert rule == "None" or rule in text


async def test_modalities_follow_devices_software_and_audience() -> None:
    def named(report: dict[str, Any]) -> dict[str, int]:
        modes = report["solution"]["delivery_modalities"]
        return {m["modality"]: m["priority"] for m in modes}

    phone = named(await report_for("preliminary", clinic()))
    firm = named(await report_for("preliminary", tech_firm()))
    bare = named(await report_for("preliminary", novice_tbd()))

    assert phone["Mobile microlearning"] == 1
    assert "Virtual instructor-led training" not in phone
    assert firm["Virtual instructor-led training"] == 1
    assert {"Self-paced e-learning", "VR simulation"} <= firm.keys()
    assert bare["In-person workshops"] == 1
    assert "VR simulation" not in phone and "VR simulation" not in bare


async def test_safety_and_regulatory_gaps_come_first() -> None:
    gaps = (await report_for("preliminary", clinic()))["solution"]["skill_gaps"]

    hipaa = next(g for g in gaps if "HIPAA" in g["competency"])
    assert hipaa["priority"] == 1 and hipaa["trainable_on_job"] is False
    assert min(g["priority"] for g in gaps) == 1


async def test_success_metrics_are_parsed_from_objectives() -> None:
    metrics = (await report_for("preliminary", tech_firm()))["measurement"]
    by_metric = {m["metric"]: m for m in metrics["success_metrics"]}

    assert by_metric["raise sales win rate 20%"]["target"].startswith("+20%")
    onboarding = by_metric["cut onboarding from 12 to 8 weeks"]
    assert (onboarding["baseline"], onboarding["target"]) == ("12 weeks", "8 weeks")


async def test_instead_of_names_the_baseline_second() -> None:
    report = await report_for("preliminary", front_desk())
    metrics = report["measurement"]["success_metrics"]

    productive = next(m for m in metrics if m["metric"].startswith("Productive"))
    assert (productive["baseline"], productive["target"]) == ("8 weeks", "3 weeks")
    assert productive["timeframe"] == "by 2025-06-27"
    benefits = report["business_case"]["expected_benefits"]
    line = next(b for b in benefits if b.startswith("Productive"))
    assert line.endswith(": 3 weeks, from 8 weeks today")


async def test_preliminary_is_less_confident_than_final() -> None:
    context = tech_firm()
    prelim = await report_for("preliminary", context)
    final = await report_for("final", deep_dive(context))

    assert prelim["summary"]["confidence"] < final["summary"]["confidence"]
    assert any("deep-dive" in s for s in prelim["next_steps"])


async def test_added_context_is_used() -> None:
    context = clinic()
    context["extra_context"] = "A staff survey shows low confidence at check-in."
    report = await report_for("preliminary", context)

    assert any("Added context" in c for c in report["summary"]["current_state"])
    assert any("survey" in e for e in report["summary"]["evidence"])


async def test_a_past_start_date_is_noted() -> None:
    context = clinic()
    context["today"] = "2025-03-01"
    report = await report_for("preliminary", context)

    assert any("before today" in a for a in report["summary"]["assumptions"])


# Deep dive ---------------------------------------------------------------------


def deep_dive(context: dict[str, Any]) -> dict[str, Any]:
    """``context`` with deep-dive answers, including one to a foreign question."""
    answered = copy.deepcopy(context)
    answered["dynamic_questions"] = [
        {"id": "preferred_delivery", "label": "Which delivery modes fit?"},
        {"id": "team_morale", "label": "How is team morale after the reorg?"},
    ]
    answered["dynamic_answers"] = {
        "preferred_delivery": ["Self-paced modules in LMS"],
        "priority_competencies": ["Discovery questioning", "Negotiation"],
        "current_skill_level": 2,
        "sponsor_group": "HR Leadership",
        "cost_of_inaction": "About $400k a year in lost deals",
        "training_right_lever": "Mainly a process or tool problem",
        "vr_in_pilot": False,
        "must_cover_content": "Discovery calls\nPricing objections",
        "first_cohort_date": "2025-06-02",
        "objective_baseline": "18% win rate",
        "main_risk": "Weak manager support",
        "team_morale": "Low after the reorg",
    }
    return answered


async def test_deep_dive_answers_change_the_final_report() -> None:
    context = tech_firm()
    bare = await report_for("final", context)
    answered = await report_for("final", deep_dive(context))

    solution = answered["solution"]
    modes = {m["modality"]: m["priority"] for m in solution["delivery_modalities"]}
    assert modes["Self-paced e-learning"] == 1
    assert "VR simulation" not in modes
    assert solution["key_competencies"][:2] == ["Discovery questioning", "Negotiation"]
    assert solution["content_outline"] == ["Discovery calls", "Pricing objections"]
    assert all(g["current_level"].startswith("2/5") for g in solution["skill_gaps"])
    assert answered["summary"]["training_fit"]["verdict"] == "non_training"
    assert answered["governance"]["sponsor"] == "HR Leadership"
    case = answered["business_case"]
    assert "$400,000" in case["roi_estimate"] and case["payback"]
    assert any(r["risk"].startswith("Weak manager support") for r in answered["risks"])
    labels = [t["label"] for t in answered["delivery_plan"]["timeline"]]
    assert "First cohort trained" in labels
    metric = answered["measurement"]["success_metrics"][0]
    assert metric["baseline"] == "18% win rate"
    evidence = " ".join(answered["summary"]["evidence"])
    assert "How is team morale after the reorg?" in evidence

    assert bare["governance"]["sponsor"] == ""
    assert bare["business_case"]["cost_of_inaction"] == ""
    assert any("sponsor" in u for u in bare["summary"]["unknowns"])


async def test_preliminary_ignores_deep_dive_answers() -> None:
    context = deep_dive(tech_firm())
    report = await report_for("preliminary", context)

    assert report["governance"]["sponsor"] == ""


@pytest.mark.parametrize("name", SCENARIOS)
async def test_report_renders_every_section(name: str) -> None:
    text, _ = await run("final", deep_dive(SCENARIOS[name]()))
    report = validate_report(extract_json(text))
    markdown = render_markdown(report, title="T", qa=[], preliminary=False)

    for heading in (
        "## Executive Summary",
        "## Recommended Solution",
        "## Learner Analysis",
        "## Technology & Talent",
        "## Delivery Plan",
        "## Measurement",
        "## Business Case",
        "## Risks",
        "## Governance",
        "## Next Steps",
    ):
        assert heading in markdown, heading
    assert "offline engine" in markdown


# Robustness, determinism, streaming ------------------------------------------


@pytest.mark.parametrize("name", SCENARIOS)
@pytest.mark.parametrize("kind", ["questions", "preliminary", "final"])
async def test_same_input_gives_same_bytes(name: str, kind: str) -> None:
    context = deep_dive(SCENARIOS[name]())
    first, _ = await run(kind, context)
    second, _ = await run(kind, copy.deepcopy(context))

    assert first == second


async def test_output_streams_in_small_chunks() -> None:
    text, chunks = await run("final", deep_dive(tech_firm()))

    assert len(chunks) > 3
    assert all(0 < len(c) <= CHUNK_CHARS for c in chunks)
    assert json.loads(text)


MALFORMED: list[Any] = [
    None,
    "not a dict",
    {},
    {"answers": "oops", "dynamic_answers": ["x"], "dynamic_questions": "y"},
    {
        "experience_level": 7,
        "today": "yesterday",
        "answers": {
            "project_timeline": "soon",
            "project_budget_range": 5,
            "available_hardware": "Smartphones",
            "available_software": {"LMS": True},
            "org_compliance": None,
            "org_stakeholders": [None, 3, "C-Suite"],
            "project_objectives": ["a list"],
            "target_audience": 42,
        },
        "dynamic_questions": [None, {"id": None}, {"label": "no id"}],
        "dynamic_answers": {"x": None, "current_skill_level": "lots", "y": {"a": 1}},
    },
    {"answers": {"project_timeline": {"start": "2025-05-01", "end": "2025-01-01"}}},
    {"answers": {"project_timeline": {"start": "2025-05-01", "end": "2025-05-01"}}},
    {"answers": {"project_budget_range": "$0 - $0"}},
]


@pytest.mark.parametrize("context", MALFORMED)
@pytest.mark.parametrize("kind", ["questions", "preliminary", "final"])
async def test_malformed_context_does_not_crash(context: Any, kind: str) -> None:
    text, _ = await run(kind, context)
    data = json.loads(text)

    if kind == "questions":
        assert 6 <= len(data["questions"]) <= 9
        normalise_questions(data)
    else:
        validate_report(data)
        assert data["summary"]["unknowns"]


async def test_reversed_timeline_is_an_unknown() -> None:
    context = {
        "answers": {"project_timeline": {"start": "2025-05-01", "end": "2025-01-01"}}
    }
    report = await report_for("preliminary", context)

    assert report["delivery_plan"]["timeline"] == []
    assert any("start and end dates" in u for u in report["summary"]["unknowns"])


async def test_unknown_kind_is_a_permanent_error() -> None:
    with pytest.raises(PermanentError):
        await run("summary", clinic())


def test_a_full_report_takes_well_under_five_milliseconds() -> None:
    context = deep_dive(tech_firm())
    rounds = 60
    started = time.process_time()
    for _ in range(rounds):
        json.dumps(generate("final", context))
    per_report = (time.process_time() - started) / rounds

    assert per_report < 0.005


# Added context on regeneration ----------------------------------------------

NEW_FACTS = (
    "Budget is now $250,000. The audience grew to 400 people. "
    "The deadline moved to 2027-09-30."
)


async def generate_headless(repo: Repository, runner: Runner) -> str:
    """A starmap generated through the runner and the pipeline, as `new --run`."""
    record = await repo.create_starmap(
        "Front desk onboarding",
        stage_answers=sample_answers(),
        completed_stages=("experience", "stage1", "stage2", "stage3"),
        session_state={"headless": True},
        status="queued",
    )
    await repo.enqueue(record.id, "questions")
    await repo.enqueue(record.id, "preliminary")
    await runner.run_until_idle()
    return record.id


def sums(report: dict[str, Any]) -> tuple[int, int]:
    """The budget items' low and high totals."""
    items = report["budget"]["items"]
    return sum(i["low"] for i in items), sum(i["high"] for i in items)


async def test_figures_in_added_context_win_through_the_pipeline(
    repo: Repository,
) -> None:
    settings = RunnerSettings(concurrency=1, poll_seconds=0.02)
    runner = Runner(repo, OfflineProvider, settings)
    starmap_id = await generate_headless(repo, runner)
    before = await repo.get_starmap(starmap_id)

    await repo.enqueue(starmap_id, "final", params={"extra_context": NEW_FACTS})
    await runner.run_until_idle()
    after = await repo.get_starmap(starmap_id)

    old, new = before.final_json, after.final_json
    assert before.status == after.status == "completed"
    assert sums(old) == (50_000, 100_000)
    assert sums(new) == (200_000, 250_000)
    assert "from the added context" in new["budget"]["notes"]
    assert old["delivery_plan"]["timeline"][-1]["end"] == "2027-06-30"
    assert new["delivery_plan"]["timeline"][-1]["end"] == "2027-09-30"
    assert old["solution"]["target_audiences"] == ["120 front-desk coordinators"]
    assert new["solution"]["target_audiences"] == ["400 front-desk coordinators"]
    assert new["summary"]["assumptions"][:3] == [
        "Budget $250,000, from the added context, replaces the questionnaire's "
        "$50,000 - $100,000.",
        "400 learners, from the added context, replace the questionnaire's head "
        "count (120 front-desk coordinators, mixed experience).",
        "End date 2027-09-30, from the added context, replaces the "
        "questionnaire's 2027-06-30.",
    ]
    assert "Budget $250,000, from the added context" in after.final_report
    assert "Budget $250,000" not in before.final_report
    assert len(await repo.revisions(starmap_id, "final")) == 2


@pytest.mark.parametrize(
    "extra",
    [
        "The budget grew by $20,000 and the audience by 15%.",
        "We have 12 clinics with staff; an extra $5k of budget may come.",
        "Deadline: 2025-02-30. The audience grew by 40 people.",
    ],
)
async def test_added_context_without_a_new_figure_changes_no_figure(
    extra: str,
) -> None:
    plain = await report_for("final", front_desk())
    context = front_desk()
    context["extra_context"] = extra
    report = await report_for("final", context)

    for section in ("budget", "delivery_plan"):
        assert report[section] == plain[section]
    assert (
        report["solution"]["target_audiences"] == plain["solution"]["target_audiences"]
    )
    assert not any("added context," in a for a in report["summary"]["assumptions"])


@pytest.mark.parametrize(
    ("extra", "budget"),
    [
        ("a $120k budget", "$120,000"),
        ("Budget is now up to $80k", "up to $80,000"),
        ("budget: at least $300,000", "over $300,000"),
        ("The budget grew by $5k to $60k", "$60,000"),
        ("budget now $100,000 to $150,000", "$100,000 - $150,000"),
        ("400k users; budget $1.2M", "$1,200,000"),
    ],
)
async def test_the_stated_budget_is_read_as_people_write_it(
    extra: str, budget: str
) -> None:
    context = front_desk()
    context["extra_context"] = extra
    report = await report_for("final", context)

    assert report["budget"]["notes"].startswith(f"Planned within {budget} (from")


@pytest.mark.parametrize(
    ("extra", "segments"),
    [
        ("The audience is now 1,200.", ["1,200 front-desk coordinators"]),
        ("We now train 150 new coordinators.", ["150 front-desk coordinators"]),
    ],
)
async def test_a_stated_head_count_renumbers_a_single_audience(
    extra: str, segments: list[str]
) -> None:
    context = front_desk()
    context["answers"]["target_audience"] = "85 front-desk coordinators"
    context["extra_context"] = extra
    report = await report_for("final", context)

    assert report["solution"]["target_audiences"] == segments


async def test_a_stated_end_before_the_start_is_an_unknown() -> None:
    context = front_desk()
    context["extra_context"] = "The deadline moved to 2024-12-01."
    report = await report_for("final", context)

    assert report["delivery_plan"]["timeline"][-1]["end"] == "2025-06-27"
    assert any("2024-12-01" in u for u in report["summary"]["unknowns"])


async def test_a_stated_span_moves_both_ends() -> None:
    context = tech_firm()
    context["extra_context"] = "Timeline is now March 10, 2025 to 15 December 2025."
    timeline = (await report_for("final", context))["delivery_plan"]["timeline"]

    assert timeline[0]["start"] == "2025-03-10"
    assert timeline[-1]["end"] == "2025-12-15"


# Defects a new user found in the reports ----------------------------------------


def riverside() -> dict[str, Any]:
    """The new user's starmap: one audience group, a generic compliance option."""
    return {
        "title": "Front desk onboarding",
        "experience_level": "Intermediate (some projects, want structure)",
        "today": "2025-01-06",
        "answers": {
            "requester_name": "Mia Chen",
            "requester_role": "Practice operations lead",
            "requester_department": "Operations",
            "org_name": "Riverside Family Clinics",
            "org_industry": "Healthcare",
            "org_size": "201-500 employees",
            "org_headquarters": "Austin, TX",
            "org_compliance": ["HIPAA", "Industry-specific regulations"],
            "org_stakeholders": ["C-Suite", "Department Heads"],
            "project_objectives": "New front desk staff can register patients and "
            "book appointments unaided within 2 weeks",
            "project_constraints": "Staff spread over 8 clinics; shifts; no budget "
            "for a new LMS",
            "target_audience": "60 receptionists across 8 clinics",
            "project_timeline": {"start": "2025-02-03", "end": "2025-05-30"},
            "project_budget_range": "$50,000 - $100,000",
            "available_hardware": ["Desktop computers", "Smartphones"],
            "available_software": ["Microsoft 365", "Teams"],
        },
    }


async def answered(context: dict[str, Any]) -> dict[str, Any]:
    """``context`` with its own deep dive answered: the first audience option."""
    questions = await questions_for(context)
    audience = next(q for q in questions if q["id"] == "priority_audiences")
    done = copy.deepcopy(context)
    done["dynamic_questions"] = questions
    done["dynamic_answers"] = {"priority_audiences": [audience["options"][0]]}
    return done


async def test_a_stated_head_count_replaces_the_chosen_audience_once() -> None:
    context = await answered(riverside())
    assert context["dynamic_answers"]["priority_audiences"] == [
        "60 receptionists across 8 clinics"
    ]
    context["extra_context"] = "The audience grew to 400 people."
    report = await report_for("final", context)

    new = "400 receptionists across 8 clinics"
    assert report["solution"]["target_audiences"] == [new]
    assert [p["segment"] for p in report["learner_analysis"]["profiles"]] == [new]
    assert {g["audience"] for g in report["solution"]["skill_gaps"]} == {new}
    statement = report["summary"]["problem_statement"]
    assert f"training for {new} between" in statement
    pilot = next(p for p in report["delivery_plan"]["phases"] if "Pilot" in p["name"])
    assert pilot["goals"][0] == f"Test with a small group drawn from {new}"
    assert (
        f"Audience (head count from the added context): {new}"
        in (report["summary"]["current_state"])
    )
    # The old figure is named once, where the report says what replaced it.
    old = [s for s in walk(report) if isinstance(s, str) and "60 receptionists" in s]
    assert old == [
        "400 learners, from the added context, replace the questionnaire's head "
        "count (60 receptionists across 8 clinics)."
    ]


async def test_a_stated_total_replaces_the_counts_of_several_groups() -> None:
    context = clinic()
    context["extra_context"] = "The audience grew to 400 people."
    report = await report_for("final", context)

    groups = ["front-desk staff", "nurses across 2 clinics"]
    assert report["solution"]["target_audiences"] == groups
    statement = report["summary"]["problem_statement"]
    assert "training for 400 learners (front-desk staff and nurses" in statement
    text = json.dumps({k: v for k, v in report.items() if k != "summary"})
    assert "12 front-desk" not in text and "20 nurses" not in text


@pytest.mark.parametrize(
    "objectives",
    [
        "New front desk staff can register patients and book appointments unaided",
        "Cut intake errors 30%",
        "reduce churn",
        "Raise NPS to 60; cut churn 10%",
        "Are new hires ready on day one?",
    ],
)
async def test_the_problem_statement_reads_for_any_objective_shape(
    objectives: str,
) -> None:
    context = riverside()
    context["answers"]["project_objectives"] = objectives
    statement = (await report_for("preliminary", context))["summary"][
        "problem_statement"
    ]

    assert statement.startswith(
        "Riverside Family Clinics (201-500 employees, Healthcare, Austin, TX) "
        "wants training for 60 receptionists across 8 clinics between 2025-02-03 "
        "and 2025-05-30 (budget: $50,000 - $100,000). "
    )
    goals = [g.strip() for g in objectives.split(";")]
    label = "Objective" if len(goals) == 1 else "Objectives"
    ending = "" if objectives.endswith("?") else "."
    assert statement.endswith(f" {label}: {'; '.join(goals)}{ending}")
    assert "wants to" not in statement


async def test_every_constraint_reaches_the_report() -> None:
    context = riverside()
    stated = ["Staff spread over 8 clinics", "shifts", "no budget for a new LMS"]
    report = await report_for("final", context)

    state = report["summary"]["current_state"]
    assert f"Constraints: {'; '.join(stated)}." in state
    profile = report["learner_analysis"]["profiles"][0]
    assert profile["constraints"] == stated

    many = [f"constraint number {n} with several words in it" for n in range(1, 9)]
    context["answers"]["project_constraints"] = "; ".join(many)
    state = (await report_for("final", context))["summary"]["current_state"]
    lines = [s for s in state if s.startswith("Constraints:")]
    assert len(lines) == 2 and all(len(s.split()) <= 50 for s in lines)
    assert all(any(c in line for line in lines) for c in many)


@pytest.mark.parametrize("name", [*SCENARIOS, "riverside"])
async def test_modalities_are_ranked_one_to_n(name: str) -> None:
    context = riverside() if name == "riverside" else SCENARIOS[name]()
    for kind, ctx in (("preliminary", context), ("final", deep_dive(context))):
        modes = (await report_for(kind, ctx))["solution"]["delivery_modalities"]
        assert [m["priority"] for m in modes] == list(range(1, len(modes) + 1))


async def test_a_duration_inside_the_objective_is_not_the_timeframe() -> None:
    context = riverside()
    context["answers"]["project_objectives"] += (
        "; Cut intake errors 30% within 6 months; cut onboarding from 12 to 8 "
        "weeks within 6 months; raise NPS to 60 by Q4 2025"
    )
    report = await report_for("preliminary", context)
    metrics = report["measurement"]["success_metrics"]

    rows = [(m["baseline"], m["target"], m["timeframe"]) for m in metrics]
    assert rows == [
        ("", "within 2 weeks", "by 2025-05-30"),
        ("", "-30% against baseline", "within 6 months"),
        ("12 weeks", "8 weeks", "within 6 months"),
        ("", "60", "by Q4 2025"),
    ]
    benefits = report["business_case"]["expected_benefits"]
    assert benefits[0] == metrics[0]["metric"]


async def test_technology_constraints_hold_only_the_constraints() -> None:
    report = await report_for("final", riverside())
    tech = report["technology_talent"]["technology"]["recommendations"]
    modes = report["solution"]["delivery_modalities"]

    stated = ["Staff spread over 8 clinics", "shifts", "no budget for a new LMS"]
    assert [r["constraints"] for r in tech] == [stated] * len(tech)
    reasons = {m["reason"] for m in modes}
    assert not any(c in reasons for r in tech for c in r["constraints"])


@pytest.mark.parametrize(
    ("rules", "phrase"),
    [
        (["Industry-specific regulations"], "your industry's regulations"),
        (["HIPAA", "Industry-specific regulations"], "HIPAA and your industry's"),
        (
            ["HIPAA", "Industry-specific regulations", "State patient privacy rules"],
            "HIPAA, your industry's regulations and others",
        ),
    ],
)
async def test_a_generic_compliance_option_is_phrased_as_one(
    rules: list[str], phrase: str
) -> None:
    context = riverside()
    context["answers"]["org_compliance"] = rules
    questions = {q["id"]: q for q in await questions_for(context)}

    label = questions["compliance_obligations"]["label"]
    assert f"Which duties under {phrase}" in label
    assert "Industry-specific" not in label and len(label.split()) <= 14


@pytest.mark.parametrize(
    ("label", "notes"),
    [
        (
            "$50,000 - $100,000",
            "Planned within $50,000 - $100,000; amounts are estimates, not quotes.",
        ),
        (
            "< $10,000",
            "Planned within < $10,000: $5,000 to $9,500, estimates not quotes.",
        ),
    ],
)
async def test_the_budget_note_says_the_range_once(label: str, notes: str) -> None:
    context = riverside()
    context["answers"]["project_budget_range"] = label
    report = await report_for("preliminary", context)

    assert report["budget"]["notes"] == notes


@pytest.mark.parametrize("name", [*SCENARIOS, "riverside"])
async def test_behaviour_checks_are_dated_against_the_project_end(name: str) -> None:
    context = riverside() if name == "riverside" else SCENARIOS[name]()
    end = date.fromisoformat(context["answers"]["project_timeline"]["end"])
    for kind, ctx in (("preliminary", context), ("final", deep_dive(context))):
        report = await report_for(kind, ctx)
        when = next(
            e["when"]
            for e in report["measurement"]["evaluation_plan"]
            if e["level"] == 3
        )
        dates = [date.fromisoformat(d) for d in re.findall(r"\d{4}-\d{2}-\d{2}", when)]
        assert dates, when
        if max(dates) > end:
            assert when.endswith(f"after the project ends ({end})"), when


async def test_behaviour_checks_inside_a_long_timeline_stay_inside_it() -> None:
    context = riverside()
    context["answers"]["project_timeline"]["end"] = "2026-03-27"
    report = await report_for("preliminary", context)

    rows = {r["label"]: r for r in report["delivery_plan"]["timeline"]}
    six = timedelta(weeks=6)
    first = date.fromisoformat(rows["Pilot"]["end"]) + six
    last = date.fromisoformat(rows["Rollout"]["end"]) + six
    when = next(
        e["when"] for e in report["measurement"]["evaluation_plan"] if e["level"] == 3
    )
    assert first < last <= date(2026, 3, 27)
    assert when == f"Six weeks after each cohort: {first} to {last}"


def test_discovery_labels_get_a_colon_only_when_they_need_one() -> None:
    report = validate_report(generate("preliminary", riverside()))
    qa = [
        ("Which audience segments should the first release reach?", "Receptionists"),
        ("Your name", "Mia Chen"),
        ("Notes:", "none"),
    ]
    discovery = render_markdown(report, title="T", qa=qa).split("## Discovery Q&A")[1]

    assert discovery.strip().splitlines() == [
        "- **Which audience segments should the first release reach?** Receptionists",
        "- **Your name:** Mia Chen",
        "- **Notes:** none",
    ]
