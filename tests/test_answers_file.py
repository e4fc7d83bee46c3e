"""Reading an answers document for ``starmap-tui new --answers FILE``."""

from __future__ import annotations

import json
from typing import Any

import pytest

from starmap_tui.questionnaire.answers_file import (
    AnswersDocument,
    AnswersInvalid,
    parse_answers_text,
)
from starmap_tui.questionnaire.stages import STATIC_STAGES
from tests.helpers import flat_answers, sample_answers


def document(**fields: Any) -> dict[str, Any]:
    """A valid answers document; keyword arguments replace top-level keys."""
    data: dict[str, Any] = {
        "title": "Front desk onboarding",
        "answers": flat_answers(sample_answers()),
        "dynamic_answers": {"current_skill_level": 3},
    }
    data.update(fields)
    return data


def with_answers(**answers: Any) -> str:
    """A document's text with some static answers replaced."""
    data = document()
    data["answers"].update(answers)
    return json.dumps(data)


def problems_of(text: str, **kwargs: Any) -> list[str]:
    """The problems reported for ``text``; fails if it is accepted."""
    with pytest.raises(AnswersInvalid) as caught:
        parse_answers_text(text, **kwargs)
    return caught.value.problems


def fields_named(problems: list[str]) -> set[str]:
    """The field ids the problems start with."""
    return {p.split(":", 1)[0] for p in problems}


def test_a_valid_document_is_grouped_by_stage() -> None:
    parsed = parse_answers_text(json.dumps(document()))

    assert isinstance(parsed, AnswersDocument)
    assert parsed.title == "Front desk onboarding"
    assert set(parsed.stage_answers) == {s.id for s in STATIC_STAGES}
    assert parsed.stage_answers["stage2"]["org_name"] == "Northwind Clinics"
    assert parsed.stage_answers["stage3"]["project_timeline"] == {
        "start": "2027-01-11",
        "end": "2027-06-30",
    }
    assert parsed.dynamic_answers == {"current_skill_level": 3}


def test_every_answer_lands_in_its_own_stage_only() -> None:
    parsed = parse_answers_text(json.dumps(document()))

    for stage in STATIC_STAGES:
        ids = {f.id for f in stage.fields}
        assert set(parsed.stage_answers[stage.id]) <= ids


def test_the_title_flag_wins_over_the_file() -> None:
    parsed = parse_answers_text(json.dumps(document()), title="  From the flag ")

    assert parsed.title == "From the flag"


def test_the_title_flag_rescues_a_file_without_one() -> None:
    data = document()
    del data["title"]

    assert parse_answers_text(json.dumps(data), title="Given").title == "Given"
    assert fields_named(problems_of(json.dumps(data))) == {"title"}


def test_custom_values_are_kept_where_a_field_allows_them() -> None:
    parsed = parse_answers_text(with_answers(org_size="Around 300 people"))

    assert parsed.stage_answers["stage2"]["org_size"] == "Around 300 people"


def test_values_are_coerced_to_their_stored_shape() -> None:
    text = with_answers(
        exp_level="expert (seasoned practitioner)",
        org_name="  Padded Inc  ",
        org_compliance="HIPAA",
        project_timeline=["2027-02-01", "2027-03-01"],
    )

    stages = parse_answers_text(text).stage_answers

    assert stages["experience"]["exp_level"] == "Expert (seasoned practitioner)"
    assert stages["stage2"]["org_name"] == "Padded Inc"
    assert stages["stage2"]["org_compliance"] == ["HIPAA"]
    assert stages["stage3"]["project_timeline"] == {
        "start": "2027-02-01",
        "end": "2027-03-01",
    }


def test_defaults_fill_optional_fields_left_out() -> None:
    data = document()
    del data["answers"]["requester_timezone"]

    stage1 = parse_answers_text(json.dumps(data)).stage_answers["stage1"]

    assert stage1["requester_timezone"].startswith("UTC")


def test_missing_dynamic_answers_mean_none() -> None:
    data = document()
    del data["dynamic_answers"]

    assert parse_answers_text(json.dumps(data)).dynamic_answers == {}


def test_extra_top_level_keys_are_ignored() -> None:
    data = document(format="starmap-tui/1", report=None, markdown="# old")

    assert parse_answers_text(json.dumps(data)).title == "Front desk onboarding"


def test_malformed_json_names_the_place() -> None:
    problems = problems_of('{"title": "x",\n  "answers": {')

    assert len(problems) == 1
    assert problems[0].startswith("not valid JSON (line 2")


@pytest.mark.parametrize("text", ["[]", '"a title"', "null", "42"])
def test_the_document_must_be_an_object(text: str) -> None:
    assert problems_of(text) == ["the document must be a JSON object"]


def test_a_leading_byte_order_mark_is_accepted() -> None:
    parsed = parse_answers_text("\ufeff" + json.dumps(document()))

    assert parsed.title == "Front desk onboarding"


def test_absurdly_deep_nesting_is_a_problem_not_a_crash() -> None:
    problems = problems_of("[" * 100_000 + "]" * 100_000)

    assert len(problems) == 1
    assert "nested too deeply" in problems[0]


def test_unknown_ids_are_each_listed() -> None:
    problems = problems_of(with_answers(bogus=1, org_nmae="typo"))

    assert "bogus: not a known question id" in problems
    assert "org_nmae: not a known question id" in problems


def test_wrong_types_are_each_listed() -> None:
    text = with_answers(
        requester_name=["Dana"],
        org_compliance=42,
        project_timeline="next spring",
        exp_level={"level": 2},
    )

    problems = problems_of(text)

    assert fields_named(problems) == {
        "requester_name",
        "org_compliance",
        "project_timeline",
        "exp_level",
    }


def test_every_bad_field_is_listed_not_just_the_first() -> None:
    data = document(title="  ", dynamic_answers=["not", "an", "object"])
    data["answers"].update(
        requester_email="not-an-email",
        requester_timezone="Mars Standard Time",
        exp_level="Wizard",
        project_timeline={"start": "2027-06-30", "end": "2027-01-01"},
        made_up_field="x",
    )
    del data["answers"]["org_name"]

    problems = problems_of(json.dumps(data))

    assert fields_named(problems) == {
        "title",
        "dynamic_answers",
        "requester_email",
        "exp_level",
        "project_timeline",
        "made_up_field",
        "org_name",
        "requester_timezone",
    }
    assert any("End date" in p for p in problems)


def test_answers_that_are_not_an_object_are_named() -> None:
    problems = problems_of(json.dumps(document(answers=["a", "b"])))

    assert "answers: must be an object of question id → answer" in problems
    assert "exp_level: Choose an option" in problems


def test_an_empty_object_lists_every_required_field() -> None:
    problems = problems_of("{}")
    required = {f.id for s in STATIC_STAGES for f in s.fields if f.required}

    assert fields_named(problems) == required | {"title"}


def test_the_error_message_joins_every_problem() -> None:
    with pytest.raises(AnswersInvalid) as caught:
        parse_answers_text(with_answers(bogus=1, requester_email="x"))

    assert "bogus" in str(caught.value)
    assert "requester_email" in str(caught.value)


HUGE = "9" * 5000


@pytest.mark.parametrize(
    ("text", "field"),
    [
        (with_answers(org_name="x").replace('"x"', HUGE), "answers.org_name"),
        (
            json.dumps(document(dynamic_answers={"q": 1})).replace("1}", HUGE + "}"),
            "dynamic_answers.q",
        ),
        (with_answers(org_name="\ud800"), "answers.org_name"),
        (
            with_answers(org_stakeholders=["C-Suite", "\udfff"]),
            "answers.org_stakeholders[1]",
        ),
        (
            json.dumps(document(dynamic_answers={"q": float("nan")})),
            "dynamic_answers.q",
        ),
        (
            json.dumps(document(dynamic_answers={"q": [float("-inf")]})),
            "dynamic_answers.q[0]",
        ),
        (with_answers(org_name="x").replace('"x"', "1e999"), "answers.org_name"),
    ],
    ids=[
        "huge-int",
        "huge-dynamic",
        "surrogate",
        "surrogate-in-list",
        "nan",
        "inf",
        "float-overflow",
    ],
)
def test_values_the_store_cannot_keep_are_named_problems(text: str, field: str) -> None:
    problems = problems_of(text)

    assert fields_named(problems) == {field}


@pytest.mark.parametrize("end", ["9999-12-31", "2201-01-01"])
def test_a_timeline_far_outside_sensible_years_is_refused(end: str) -> None:
    timeline = {"start": "2026-01-05", "end": end}
    problems = problems_of(with_answers(project_timeline=timeline))

    assert problems == [
        "project_timeline: Choose a date between 1900-01-01 and 2200-12-31"
    ]


def test_an_unstorable_answers_file_exits_2_and_saves_nothing(tmp_path) -> None:
    import subprocess
    import sys

    answers = tmp_path / "answers.json"
    answers.write_text(
        with_answers(org_name="\ud800").replace(
            '"current_skill_level": 3', f'"current_skill_level": {HUGE}'
        ),
        encoding="utf-8",
        errors="surrogatepass",
    )
    env = {"STARMAP_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "starmap_tui", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    done = run("new", "--answers", str(answers))
    listed = run("list", "--json")

    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "answers.org_name" in done.stderr
    assert "dynamic_answers.current_skill_level" in done.stderr
    assert json.loads(listed.stdout or "[]") == []
