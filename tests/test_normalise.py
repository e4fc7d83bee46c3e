"""Repairing and checking generated deep-dive questions (DOMAIN.md §2)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from starmap_tui.questionnaire.fields import Field, FieldType
from starmap_tui.questionnaire.normalise import (
    QuestionSet,
    QuestionsInvalid,
    normalise_questions,
    question_set_from_dict,
    slugify,
)
from starmap_tui.questionnaire.stages import STATIC_STAGES

T = FieldType


def filler(n: int) -> list[dict[str, Any]]:
    """``n`` plain, valid text questions with distinct ids."""
    return [
        {"id": f"filler_{i}", "type": "text", "label": f"Filler question {i}"}
        for i in range(n)
    ]


def only(question: dict[str, Any]) -> Field:
    """The field made from ``question`` when padded with three valid ones."""
    result = normalise_questions({"title": "t", "questions": [question, *filler(3)]})
    assert len(result.fields) == 4, result.dropped
    return result.fields[0]


def dropped_reason(question: dict[str, Any]) -> str:
    """Why ``question`` was dropped, with four valid ones beside it."""
    result = normalise_questions([question, *filler(4)])
    assert len(result.fields) == 4
    assert len(result.dropped) == 1
    return result.dropped[0]


GOOD = {
    "title": "Sales enablement deep dive",
    "questions": [
        {
            "id": "delivery_mode",
            "type": "single_select",
            "label": "Which delivery modality suits your sellers best?",
            "help": "Pick the one most learners could attend.",
            "required": True,
            "options": ["Virtual instructor-led", "Self-paced e-learning", "Blended"],
        },
        {
            "id": "audience_segments",
            "type": "multi_select",
            "label": "Which audiences need this first?",
            "help": "Choose all that apply.",
            "options": ["New hires", "Tenured reps", "Managers"],
            "default": ["New hires"],
        },
        {
            "id": "tech_comfort",
            "type": "slider",
            "label": "How comfortable are learners with new tools?",
            "help": "0 is not at all, 10 is very.",
            "min": 0,
            "max": 10,
            "step": 1,
            "default": 6,
        },
        {
            "id": "weekly_hours",
            "type": "number",
            "label": "Hours per week learners can give",
            "help": "A realistic average.",
            "min": 0,
            "max": 40,
            "unit": "hrs",
        },
        {
            "id": "pilot_date",
            "type": "calendar_date",
            "label": "When could a pilot start?",
            "help": "Earliest realistic date.",
        },
        {
            "id": "has_sponsor",
            "type": "boolean",
            "label": "Is there an executive sponsor?",
            "help": "Someone senior who owns the outcome.",
            "required": True,
        },
        {
            "id": "content_outline",
            "type": "textarea",
            "label": "Which topics must the content cover?",
            "help": "List modules or skills.",
            "placeholder": "Discovery calls; objection handling",
        },
    ],
}


# The happy path ------------------------------------------------------------------


def test_a_valid_set_is_kept_as_given() -> None:
    result = normalise_questions(GOOD)
    assert result.title == "Sales enablement deep dive"
    assert [f.id for f in result.fields] == [q["id"] for q in GOOD["questions"]]
    assert [f.type for f in result.fields] == [
        T.SINGLE_SELECT,
        T.MULTI_SELECT,
        T.SLIDER,
        T.NUMBER,
        T.CALENDAR_DATE,
        T.BOOLEAN,
        T.TEXTAREA,
    ]
    assert result.dropped == ()
    first = result.fields[0]
    assert first.required is True
    assert first.options == (
        "Virtual instructor-led",
        "Self-paced e-learning",
        "Blended",
    )
    assert result.fields[1].default == ("New hires",)
    assert result.fields[2].default == 6
    assert result.fields[3].unit == "hrs"
    assert result.fields[6].placeholder == "Discovery calls; objection handling"
    assert result.fields[6].max_length == 2000


def test_a_bare_list_is_accepted_with_a_default_title() -> None:
    result = normalise_questions(GOOD["questions"])
    assert result.title == "Deep dive"
    assert len(result.fields) == 7


@pytest.mark.parametrize(
    "raw", [None, "questions", 42, {"title": "x"}, {"questions": {}}]
)
def test_shapes_without_a_question_list_fail(raw: Any) -> None:
    with pytest.raises(QuestionsInvalid, match="questions"):
        normalise_questions(raw)


# Ids ----------------------------------------------------------------------------


def test_missing_ids_are_slugified_from_labels() -> None:
    field = only({"type": "text", "label": "What's the Team's biggest gap?"})
    assert field.id == "what_s_the_team_s_biggest_gap"


def test_ids_are_made_snake_case() -> None:
    assert only({"id": "Learner Motivation", "type": "text", "label": "x"}).id == (
        "learner_motivation"
    )
    assert only({"id": "techComfort", "type": "text", "label": "x"}).id == (
        "tech_comfort"
    )
    assert only({"id": "2nd-language", "type": "text", "label": "x"}).id == (
        "q_2nd_language"
    )


def test_slugify_handles_accents_length_and_empties() -> None:
    assert slugify("Café Équipe") == "cafe_equipe"
    assert slugify("???") == ""
    long = slugify(" ".join(["word"] * 30))
    assert len(long) <= 40 and not long.endswith("_")
    assert slugify(None) == ""


def test_clashing_ids_are_renamed_in_order() -> None:
    questions = [
        {"id": "q", "type": "text", "label": "One"},
        {"id": "q", "type": "text", "label": "Two"},
        {"id": "Q", "type": "text", "label": "Three"},
        {"id": "q_2", "type": "text", "label": "Four"},
    ]
    ids = [f.id for f in normalise_questions(questions).fields]
    assert ids == ["q", "q_2", "q_3", "q_2_2"]
    assert len(set(ids)) == 4


def test_an_unsluggable_label_still_gets_an_id() -> None:
    assert only({"type": "text", "label": "¿¿??"}).id == "question"


# Types --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("alias", "kind"),
    [
        ("select", T.SINGLE_SELECT),
        ("dropdown", T.SINGLE_SELECT),
        ("Single Select", T.SINGLE_SELECT),
        ("multiselect", T.MULTI_SELECT),
        ("checkbox", T.MULTI_SELECT),
        ("multi-select", T.MULTI_SELECT),
        ("date", T.CALENDAR_DATE),
        ("range", T.CALENDAR_RANGE),
        ("date_range", T.CALENDAR_RANGE),
        ("bool", T.BOOLEAN),
        ("yes_no", T.BOOLEAN),
        ("integer", T.NUMBER),
        ("float", T.NUMBER),
        ("string", T.TEXT),
        ("short_text", T.TEXT),
        ("long_text", T.TEXTAREA),
        ("paragraph", T.TEXTAREA),
        ("SLIDER", T.SLIDER),
    ],
)
def test_type_aliases(alias: str, kind: FieldType) -> None:
    field = only({"id": "x", "type": alias, "label": "X", "options": ["a"]})
    assert field.type is kind


@pytest.mark.parametrize("kind", [None, "", "matrix", 5])
def test_unknown_or_missing_types_are_dropped(kind: Any) -> None:
    reason = dropped_reason({"id": "x", "type": kind, "label": "Rank these"})
    assert reason.startswith("question 1 ('Rank these')")
    assert "type" in reason


# Options ------------------------------------------------------------------------


def test_options_from_strings_and_objects_deduped_without_blanks() -> None:
    field = only(
        {
            "id": "x",
            "type": "select",
            "label": "X",
            "options": [
                " Workshops ",
                {"value": "elearn", "label": "E-learning"},
                {"value": "coaching"},
                "",
                {"label": "  "},
                "workshops",
                "E-learning",
                None,
                3,
            ],
        }
    )
    assert field.options == ("Workshops", "E-learning", "coaching", "3")


@pytest.mark.parametrize("options", [None, [], ["", "  "], "a, b", [{"x": 1}]])
def test_selects_without_usable_options_are_dropped(options: Any) -> None:
    reason = dropped_reason(
        {"id": "x", "type": "multi_select", "label": "X", "options": options}
    )
    assert "option" in reason


def test_allow_custom_is_off_only_when_explicitly_false() -> None:
    base = {"id": "x", "type": "select", "label": "X", "options": ["a"]}
    assert only(base).allow_custom is True
    assert only({**base, "allow_custom": False}).allow_custom is False


# Numbers ------------------------------------------------------------------------


def test_slider_bounds_default_to_0_100() -> None:
    field = only({"id": "x", "type": "slider", "label": "X"})
    assert (field.min, field.max, field.step) == (0, 100, 1)


def test_slider_bounds_in_the_wrong_order_are_swapped() -> None:
    field = only({"id": "x", "type": "slider", "label": "X", "min": "10", "max": 1})
    assert (field.min, field.max) == (1, 10)


def test_slider_with_equal_bounds_is_dropped() -> None:
    reason = dropped_reason(
        {"id": "x", "type": "slider", "label": "X", "min": 5, "max": 5}
    )
    assert "min and max" in reason


def test_unreadable_bounds_and_steps_fall_back() -> None:
    field = only(
        {
            "id": "x",
            "type": "slider",
            "label": "X",
            "min": "low",
            "max": True,
            "step": -2,
        }
    )
    assert (field.min, field.max, field.step) == (0, 100, 1)
    number = only({"id": "y", "type": "number", "label": "Y", "step": 0.5})
    assert (number.min, number.max, number.step) == (None, None, 0.5)


def test_defaults_that_are_not_valid_answers_are_dropped() -> None:
    slider = {"id": "x", "type": "slider", "label": "X", "min": 0, "max": 10}
    assert only({**slider, "default": 11}).default is None
    assert only({**slider, "default": "7"}).default == 7
    closed = {
        "id": "s",
        "type": "select",
        "label": "S",
        "options": ["a"],
        "allow_custom": False,
    }
    assert only({**closed, "default": "b"}).default is None
    assert only({**closed, "default": "A"}).default == "a"
    assert (
        only({"id": "d", "type": "date", "label": "D", "default": "2027-02-30"}).default
        is None
    )
    assert (
        only({"id": "b", "type": "bool", "label": "B", "default": "yes"}).default
        is True
    )


def test_date_bounds_are_kept_when_valid_and_ordered() -> None:
    field = only(
        {
            "id": "d",
            "type": "date",
            "label": "D",
            "min_date": "2027-12-31",
            "max_date": "2027-01-01",
        }
    )
    assert (field.min_date, field.max_date) == ("2027-01-01", "2027-12-31")
    bad = only({"id": "d", "type": "date", "label": "D", "min_date": "soon"})
    assert bad.min_date is None


# Required, labels, help ---------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "required"),
    [
        (True, True),
        ("true", False),
        (1, False),
        ("yes", False),
        (None, False),
        (False, False),
    ],
)
def test_required_only_when_literally_true(raw: Any, required: bool) -> None:
    assert only(
        {"id": "x", "type": "text", "label": "X", "required": raw}
    ).required is (required)


def test_labels_are_trimmed_and_missing_labels_dropped() -> None:
    assert only({"id": "x", "type": "text", "label": "  Who   decides?  "}).label == (
        "Who decides?"
    )
    assert "no label" in dropped_reason({"id": "x", "type": "text", "label": "   "})
    assert "no label" in dropped_reason({"id": "x", "type": "text"})


def test_too_long_label_and_help_are_cut_to_the_word_limits() -> None:
    long_label = " ".join(f"w{i}" for i in range(30))
    long_help = " ".join(f"h{i}" for i in range(40))
    field = only({"id": "x", "type": "text", "label": long_label, "help": long_help})
    assert len(field.label.split()) == 14
    assert field.label.startswith("w0 w1") and field.label.endswith("w13…")
    assert len(field.help.split()) == 20
    assert field.help.endswith("h19…")


def test_label_at_the_limit_is_untouched() -> None:
    label = " ".join(["word"] * 14)
    assert only({"id": "x", "type": "text", "label": label}).label == label


def test_text_fields_get_a_length_limit() -> None:
    assert only({"id": "x", "type": "text", "label": "X"}).max_length == 120
    given = only({"id": "x", "type": "text", "label": "X", "max_length": 60})
    assert given.max_length == 60


def test_non_objects_are_dropped_with_a_reason() -> None:
    result = normalise_questions(["just a string", *filler(4)])
    assert result.dropped == ("question 1: not an object",)


# Counts -------------------------------------------------------------------------


def test_more_than_nine_keeps_the_first_nine() -> None:
    result = normalise_questions(filler(12))
    assert [f.id for f in result.fields] == [f"filler_{i}" for i in range(9)]
    assert len(result.dropped) == 3
    assert all("more than 9" in reason for reason in result.dropped)


def test_dropped_items_do_not_count_towards_nine() -> None:
    result = normalise_questions([{"type": "matrix", "label": "Bad"}, *filler(9)])
    assert len(result.fields) == 9
    assert result.dropped == ("question 1 ('Bad'): unknown type 'matrix'",)


def test_exactly_four_usable_questions_succeed() -> None:
    assert len(normalise_questions(filler(4)).fields) == 4


def test_fewer_than_four_usable_questions_fail_with_the_reasons() -> None:
    questions = [
        *filler(3),
        {"id": "x", "type": "matrix", "label": "Bad type"},
        {"id": "y", "type": "select", "label": "No options"},
    ]
    with pytest.raises(QuestionsInvalid) as failure:
        normalise_questions({"questions": questions})
    assert "Only 3 usable" in failure.value.message
    assert len(failure.value.dropped) == 2
    assert "Bad type" in failure.value.dropped[0]
    assert "No options" in failure.value.dropped[1]


def test_an_empty_list_fails() -> None:
    with pytest.raises(QuestionsInvalid, match="Only 0 usable"):
        normalise_questions({"questions": []})


# Round trip ---------------------------------------------------------------------


def test_to_dict_is_the_section_2_json() -> None:
    data = normalise_questions(GOOD).to_dict()
    assert set(data) == {"title", "questions"}
    first = data["questions"][0]
    assert first["id"] == "delivery_mode"
    assert first["type"] == "single_select"
    assert first["required"] is True
    assert first["options"] == list(GOOD["questions"][0]["options"])
    slider = data["questions"][2]
    assert (slider["min"], slider["max"], slider["step"], slider["default"]) == (
        0,
        10,
        1,
        6,
    )
    assert data["questions"][1]["default"] == ["New hires"]


def test_round_trip_through_json_is_lossless() -> None:
    messy = [
        *GOOD["questions"],
        {
            "id": "delivery_mode",
            "type": "range",
            "label": "Window",
            "min_date": "2027-01-01",
        },
        {"type": "matrix", "label": "Dropped one"},
        {
            "id": "c",
            "type": "select",
            "label": "C",
            "options": ["x"],
            "allow_custom": False,
        },
    ]
    original = normalise_questions({"title": "T", "questions": messy})
    assert original.dropped
    stored = json.loads(json.dumps(original.to_dict()))
    rebuilt = question_set_from_dict(stored)
    assert rebuilt == original
    assert rebuilt.to_dict() == original.to_dict()


def test_static_fields_round_trip_too() -> None:
    fields = tuple(
        f for s in STATIC_STAGES for f in s.fields if not callable(f.default)
    )
    original = QuestionSet("All stages", fields)
    assert (
        question_set_from_dict(json.loads(json.dumps(original.to_dict()))) == original
    )


@pytest.mark.parametrize(
    "data",
    [
        None,
        [],
        {"title": "x"},
        {"questions": [{"id": "a"}]},
        {"questions": [{"id": "a", "label": "A", "type": "matrix"}]},
    ],
)
def test_damaged_stored_json_is_refused(data: Any) -> None:
    with pytest.raises(QuestionsInvalid):
        question_set_from_dict(data)
