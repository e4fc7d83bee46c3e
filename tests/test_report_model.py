"""The NAReport model: what it repairs, what it refuses, and what it promises."""

from __future__ import annotations

import json
from typing import Any

import pytest

from starmap_tui.report.model import (
    MAX_ITEMS,
    MAX_WORDS,
    REPORT_SKELETON,
    NAReport,
    ReportInvalid,
    report_json_schema,
    validate_report,
)


def _errors(data: Any) -> list[str]:
    """The error lines validation gives for ``data`` (which must be invalid)."""
    with pytest.raises(ReportInvalid) as info:
        validate_report(data)
    return info.value.errors


def _keys(shape: Any) -> set[str]:
    """Every dotted key path in a nested JSON shape (lists read as their items)."""
    if isinstance(shape, list):
        return _keys(shape[0]) if shape else set()
    if not isinstance(shape, dict):
        return set()
    paths = set()
    for key, value in shape.items():
        paths.add(key)
        paths |= {f"{key}.{sub}" for sub in _keys(value)}
    return paths


def _schema_keys(schema: dict[str, Any], node: dict[str, Any]) -> set[str]:
    """Every dotted property path of a JSON Schema node, following $refs."""
    for option in node.get("anyOf", []):
        if option.get("type") != "null":
            node = option
    if "$ref" in node:
        node = schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
    if node.get("type") == "array":
        return _schema_keys(schema, node.get("items", {}))
    paths = set()
    for key, value in node.get("properties", {}).items():
        paths.add(key)
        paths |= {f"{key}.{sub}" for sub in _schema_keys(schema, value)}
    return paths


# --- sparse and complete reports -------------------------------------------


def test_an_empty_object_is_a_valid_empty_report() -> None:
    report = validate_report({})

    assert report.is_empty()
    assert report.summary.objectives == []
    assert report.summary.confidence is None
    assert report.budget.currency == ""
    assert report.generated_by == ""


def test_one_fact_makes_the_report_non_empty() -> None:
    report = validate_report({"governance": {"sponsor": "VP Sales"}})

    assert not report.is_empty()
    assert not report.governance.is_empty()
    assert report.summary.is_empty()


def test_nulls_read_as_missing_fields() -> None:
    report = validate_report(
        {"summary": None, "budget": {"items": None, "currency": None, "notes": None}}
    )

    assert report.summary.problem_statement == ""
    assert report.budget.items == []


def test_every_section_of_the_domain_is_in_the_model() -> None:
    expected = {
        "summary.problem_statement",
        "summary.training_fit.verdict",
        "summary.training_fit.reasons",
        "summary.evidence",
        "solution.skill_gaps.trainable_on_job",
        "solution.non_training_recommendations.owner",
        "solution.accessibility_and_inclusion.standards",
        "learner_analysis.profiles.motivators",
        "technology_talent.technology.data_plan.integrations",
        "technology_talent.talent.available_roles",
        "delivery_plan.timeline.end",
        "measurement.evaluation_plan.level",
        "measurement.learning_analytics.reporting_cadence",
        "budget.items.high",
        "business_case.cost_of_inaction",
        "business_case.payback",
        "risks.likelihood",
        "governance.review_date",
        "next_steps",
        "generated_by",
    }

    assert expected <= _schema_keys(report_json_schema(), report_json_schema())


def test_the_skeleton_has_exactly_the_shape_of_the_schema() -> None:
    schema = report_json_schema()
    skeleton_keys = _keys(json.loads(REPORT_SKELETON))

    assert skeleton_keys == _schema_keys(schema, schema) - {"generated_by"}


def test_a_full_report_round_trips_through_json() -> None:
    data = json.loads(REPORT_SKELETON)
    data["summary"]["training_fit"]["verdict"] = "both"
    data["delivery_plan"]["timeline"] = [
        {"label": "Pilot", "start": "2025-01-06", "end": "2025-02-28"}
    ]
    data["risks"][0].update(severity="high", likelihood="low", risk="Low uptake")
    data["governance"]["review_date"] = "2025-06-30"
    data["summary"]["problem_statement"] = "Win rate fell."
    data["budget"]["items"] = [{"item": "Design", "low": 1000, "high": 2000}]

    report = validate_report(data)
    again = validate_report(json.loads(report.model_dump_json()))

    assert again == report
    assert report.delivery_plan.timeline[0].end == "2025-02-28"
    assert report.solution.skill_gaps[0].trainable_on_job is False


# --- leniency: repairs that invent nothing ----------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("$12,000", 12000),
        ("12000", 12000),
        ("USD 4,500.50", 4500.5),
        ("€ 3,000", 3000),
        ("12k", 12000),
        ("1.5M", 1_500_000),
        (800, 800),
        (0, 0),
    ],
)
def test_amounts_given_as_text_become_numbers(given: Any, expected: float) -> None:
    report = validate_report({"budget": {"items": [{"item": "x", "low": given}]}})

    assert report.budget.items[0].low == expected


@pytest.mark.parametrize(
    ("given", "expected"), [("High", "high"), (" MEDIUM ", "medium"), ("low", "low")]
)
def test_levels_ignore_case_and_spaces(given: str, expected: str) -> None:
    report = validate_report({"risks": [{"risk": "r", "severity": given}]})

    assert report.risks[0].severity == expected


@pytest.mark.parametrize(
    ("given", "expected"),
    [("Non-training", "non_training"), ("non training", "non_training"),
     ("BOTH", "both"), ("Training", "training")],
)  # fmt: skip
def test_training_fit_verdicts_are_normalised(given: str, expected: str) -> None:
    report = validate_report({"summary": {"training_fit": {"verdict": given}}})

    assert report.summary.training_fit.verdict == expected


def test_a_lone_string_where_a_list_belongs_becomes_one_item() -> None:
    report = validate_report(
        {"summary": {"objectives": "Raise win rate"}, "next_steps": "Book SMEs"}
    )

    assert report.summary.objectives == ["Raise win rate"]
    assert report.next_steps == ["Book SMEs"]


def test_a_lone_object_where_a_list_belongs_becomes_one_item() -> None:
    report = validate_report({"risks": {"risk": "Low uptake", "severity": "low"}})

    assert [risk.risk for risk in report.risks] == ["Low uptake"]


def test_lists_longer_than_six_are_cut_to_six() -> None:
    steps = [f"step {n}" for n in range(10)]
    risks = [{"risk": f"risk {n}"} for n in range(9)]

    report = validate_report({"next_steps": steps, "risks": risks})

    assert report.next_steps == steps[:MAX_ITEMS]
    assert [risk.risk for risk in report.risks] == [f"risk {n}" for n in range(6)]


def test_long_free_text_is_trimmed_to_fifty_words() -> None:
    long_text = " ".join(f"word{n}" for n in range(80))

    report = validate_report(
        {"summary": {"problem_statement": long_text, "root_causes": [long_text]}}
    )

    for text in (report.summary.problem_statement, report.summary.root_causes[0]):
        words = text.split()
        assert len(words) == MAX_WORDS
        assert words[0] == "word0"
        assert words[-1].startswith("word49")


def test_text_of_fifty_words_is_kept_whole() -> None:
    text = " ".join(["word"] * MAX_WORDS)

    report = validate_report({"summary": {"problem_statement": text}})

    assert report.summary.problem_statement == text


def test_blank_items_and_empty_objects_are_dropped() -> None:
    report = validate_report(
        {"next_steps": ["a", "", "  ", None, "b"], "risks": [{}, {"risk": ""}, None]}
    )

    assert report.next_steps == ["a", "b"]
    assert report.risks == []


def test_numbers_in_text_fields_become_text() -> None:
    report = validate_report(
        {"measurement": {"success_metrics": [{"metric": "NPS", "baseline": 30}]}}
    )

    assert report.measurement.success_metrics[0].baseline == "30"


@pytest.mark.parametrize(
    ("given", "expected"), [("70%", 0.7), ("0.4", 0.4), (1, 1.0), (0, 0.0)]
)
def test_confidence_accepts_percent_text(given: Any, expected: float) -> None:
    report = validate_report({"summary": {"confidence": given}})

    assert report.summary.confidence == pytest.approx(expected)


@pytest.mark.parametrize(
    ("field", "given", "expected"),
    [
        ("priority", "1", 1),
        ("priority", "P2", 2),
        ("priority", 3.0, 3),
        ("trainable_on_job", "yes", True),
        ("trainable_on_job", "No", False),
        ("trainable_on_job", False, False),
    ],
)
def test_skill_gap_fields_parse(field: str, given: Any, expected: Any) -> None:
    data = {"solution": {"skill_gaps": [{"competency": "c", field: given}]}}

    assert getattr(validate_report(data).solution.skill_gaps[0], field) == expected


@pytest.mark.parametrize(("given", "expected"), [("Level 3", 3), ("4", 4), (5, 5)])
def test_evaluation_levels_parse(given: Any, expected: int) -> None:
    data = {"measurement": {"evaluation_plan": [{"level": given, "metric": "m"}]}}

    assert validate_report(data).measurement.evaluation_plan[0].level == expected


def test_phase_weeks_accept_a_unit() -> None:
    data = {
        "delivery_plan": {"phases": [{"name": "Pilot", "duration_weeks": "6 weeks"}]}
    }

    assert validate_report(data).delivery_plan.phases[0].duration_weeks == 6


def test_currency_is_upper_cased_and_timestamps_keep_their_date() -> None:
    report = validate_report(
        {
            "budget": {"currency": "eur"},
            "governance": {"review_date": "2025-03-01T09:30:00Z"},
        }
    )

    assert report.budget.currency == "EUR"
    assert report.governance.review_date == "2025-03-01"


def test_a_one_key_wrapper_is_unwrapped() -> None:
    report = validate_report({"report": {"next_steps": ["Book SMEs"]}})

    assert report.next_steps == ["Book SMEs"]


def test_unknown_keys_are_ignored() -> None:
    report = validate_report({"next_steps": ["a"], "notes_to_self": "ignore me"})

    assert report.next_steps == ["a"]


# --- strictness: what cannot be repaired ------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"summary": {"objectives": {"a": 1}}}, "summary.objectives: expected a list"),
        ({"summary": {"problem_statement": ["x"]}}, "summary.problem_statement: "),
        ({"summary": "text"}, "summary: expected an object, got text"),
        ({"risks": ["Low uptake"]}, "risks[0]: expected an object, got text"),
        ({"risks": 5}, "risks: expected a list of objects, got a number"),
        ({"next_steps": [{"a": 1}]}, "next_steps[0]: expected text, got an object"),
        ({"governance": {"sponsor": True}}, "governance.sponsor: expected text"),
    ],
)
def test_wrong_shapes_are_errors(data: dict[str, Any], expected: str) -> None:
    assert any(error.startswith(expected) for error in _errors(data))


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"risks": [{"risk": "r", "severity": "severe"}]}, "risks[0].severity"),
        ({"risks": [{"risk": "r", "likelihood": "often"}]}, "risks[0].likelihood"),
        (
            {"summary": {"training_fit": {"verdict": "maybe"}}},
            "summary.training_fit.verdict",
        ),
        ({"summary": {"confidence": 1.5}}, "summary.confidence"),
        ({"summary": {"confidence": -0.1}}, "summary.confidence"),
        ({"summary": {"confidence": "high"}}, "summary.confidence"),
        (
            {"measurement": {"evaluation_plan": [{"level": 6}]}},
            "measurement.evaluation_plan[0].level",
        ),
        (
            {"measurement": {"evaluation_plan": [{"level": 0}]}},
            "measurement.evaluation_plan[0].level",
        ),
        (
            {"solution": {"skill_gaps": [{"priority": 0}]}},
            "solution.skill_gaps[0].priority",
        ),
        (
            {"solution": {"skill_gaps": [{"priority": 1.5}]}},
            "solution.skill_gaps[0].priority",
        ),
        (
            {"solution": {"skill_gaps": [{"trainable_on_job": "sometimes"}]}},
            "solution.skill_gaps[0].trainable_on_job",
        ),
        ({"budget": {"currency": "$"}}, "budget.currency"),
        ({"budget": {"currency": "EURO"}}, "budget.currency"),
        ({"budget": {"items": [{"item": "x", "low": -5}]}}, "budget.items[0].low"),
        (
            {"budget": {"items": [{"item": "x", "high": "10,000 - 20,000"}]}},
            "budget.items[0].high",
        ),
        ({"budget": {"items": [{"item": "x", "low": "lots"}]}}, "budget.items[0].low"),
        (
            {"delivery_plan": {"phases": [{"duration_weeks": -2}]}},
            "delivery_plan.phases[0].duration_weeks",
        ),
        (
            {"delivery_plan": {"timeline": [{"start": "2025-13-01"}]}},
            "delivery_plan.timeline[0].start",
        ),
        (
            {"delivery_plan": {"timeline": [{"start": "next spring"}]}},
            "delivery_plan.timeline[0].start",
        ),
        ({"governance": {"review_date": "01/02/2025"}}, "governance.review_date"),
    ],
)
def test_values_out_of_range_are_errors(data: dict[str, Any], expected: str) -> None:
    assert any(error.startswith(expected + ":") for error in _errors(data))


def test_low_above_high_is_an_error() -> None:
    errors = _errors({"budget": {"items": [{"item": "x", "low": 900, "high": 100}]}})

    assert errors == ["budget.items[0]: low 900 is above high 100"]


def test_a_timeline_entry_may_not_end_before_it_starts() -> None:
    entry = {"label": "Pilot", "start": "2025-03-01", "end": "2025-02-01"}

    errors = _errors({"delivery_plan": {"timeline": [entry]}})

    assert errors == [
        "delivery_plan.timeline[0]: end 2025-02-01 is before start 2025-03-01"
    ]


def test_a_top_level_list_is_refused() -> None:
    assert _errors([{"summary": {}}]) == [
        "expected a JSON object at the top level, got a list"
    ]


def test_errors_are_short_quote_the_value_and_make_a_hint() -> None:
    with pytest.raises(ReportInvalid) as info:
        validate_report(
            {
                "risks": [{"risk": "r", "severity": "catastrophic"}],
                "summary": {"confidence": 7},
            }
        )

    error = info.value
    assert len(error.errors) == 2
    assert all(len(line) < 120 for line in error.errors)
    assert any('"catastrophic"' in line for line in error.errors)
    assert "2 problems" in error.message
    assert error.hint().splitlines() == [f"- {line}" for line in error.errors]


def test_provenance_alone_is_no_content() -> None:
    report = NAReport(generated_by="offline engine")

    assert report.is_empty()
    assert not NAReport(generated_by="x", next_steps=["Book SMEs"]).is_empty()


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (
            {"delivery_plan": {"phases": [{"name": "Build", "duration_weeks": 5e6}]}},
            "longer than any project",
        ),
        (
            {"budget": {"items": [{"item": "LMS", "low": 1e13, "high": 1e13}]}},
            "beyond any training budget",
        ),
    ],
    ids=["phase-weeks", "line-item"],
)
def test_absurd_durations_and_amounts_are_refused(data, words) -> None:
    with pytest.raises(ReportInvalid) as caught:
        validate_report(data)

    assert words in "; ".join(caught.value.errors)
