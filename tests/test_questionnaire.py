"""The static stages, answer validation and answer display (DOMAIN.md §1)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta, timezone

import pytest

from starmap_tui.questionnaire.display import format_answer, labelled_answers
from starmap_tui.questionnaire.fields import Field, FieldType, Stage
from starmap_tui.questionnaire.stages import (
    EXPERIENCE,
    STAGE1,
    STAGE2,
    STAGE3,
    STATIC_STAGES,
    STEP_ORDER,
    STEP_TITLES,
    default_timezone,
    stage_by_id,
    static_field,
    timezone_options,
)
from starmap_tui.questionnaire.validation import (
    apply_defaults,
    coerce_value,
    is_answered,
    stage_complete,
    validate_answers,
    validate_value,
)

T = FieldType
SetZone = Callable[[str], None]


def make(kind: FieldType, **attrs: object) -> Field:
    """A field of one type for the checks below."""
    return Field("f", "F", kind, **attrs)


def static(field_id: str) -> Field:
    """A static field that must exist."""
    field = static_field(field_id)
    assert field is not None, field_id
    return field


@pytest.fixture
def local_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[SetZone]:
    """Set the process time zone from a POSIX TZ string, restored afterwards."""

    def use(tz: str) -> None:
        monkeypatch.setenv("TZ", tz)
        time.tzset()

    yield use
    monkeypatch.undo()
    time.tzset()


VALID_STAGE1 = {
    "requester_name": "Jo",
    "requester_role": "Enablement lead",
    "requester_department": "Sales",
    "requester_email": "jo@example.com",
}


# Stages -------------------------------------------------------------------------


def test_step_order_and_titles() -> None:
    assert STEP_ORDER == (
        "experience",
        "stage1",
        "stage2",
        "stage3",
        "dynamic",
        "report",
    )
    assert set(STEP_TITLES) == set(STEP_ORDER)
    assert STEP_TITLES["dynamic"] == "Deep dive"
    assert STEP_TITLES["report"] == "Your starmap"
    assert [s.id for s in STATIC_STAGES] == ["experience", "stage1", "stage2", "stage3"]
    assert [s.title for s in STATIC_STAGES] == [
        "Experience",
        "Your details",
        "Organization",
        "Project scope",
    ]


def test_stage_ids_labels_types_and_required_match_the_domain() -> None:
    table = {
        "exp_level": ("Your experience with needs analysis", T.SINGLE_SELECT, True),
        "requester_name": ("Your name", T.TEXT, True),
        "requester_role": ("Your role", T.TEXT, True),
        "requester_department": ("Department", T.SINGLE_SELECT, True),
        "requester_email": ("Email address", T.TEXT, True),
        "requester_phone": ("Phone number", T.TEXT, False),
        "requester_profile_url": ("Public profile URL", T.TEXT, False),
        "requester_timezone": ("Time zone", T.SINGLE_SELECT, False),
        "org_name": ("Organization name", T.TEXT, True),
        "org_industry": ("Industry", T.SINGLE_SELECT, True),
        "org_size": ("Organization size", T.SINGLE_SELECT, True),
        "org_headquarters": ("Headquarters location", T.TEXT, True),
        "org_website": ("Company website", T.TEXT, False),
        "org_mission": ("Mission statement", T.TEXTAREA, False),
        "org_compliance": ("Legal / compliance requirements", T.MULTI_SELECT, True),
        "org_stakeholders": ("Key stakeholder groups", T.MULTI_SELECT, True),
        "project_objectives": ("Primary objectives", T.TEXTAREA, True),
        "project_constraints": ("Key constraints", T.TEXTAREA, True),
        "target_audience": ("Target audience", T.TEXTAREA, True),
        "project_timeline": ("Expected timeline", T.CALENDAR_RANGE, True),
        "project_budget_range": ("Budget range", T.SINGLE_SELECT, True),
        "available_hardware": ("Available hardware / devices", T.MULTI_SELECT, False),
        "available_software": (
            "Available software / platforms",
            T.MULTI_SELECT,
            False,
        ),
        "subject_matter_experts": ("Subject matter experts", T.TEXTAREA, False),
        "additional_context": ("Anything else", T.TEXTAREA, False),
    }
    actual = {
        f.id: (f.label, f.type, f.required) for s in STATIC_STAGES for f in s.fields
    }
    assert actual == table
    assert [f.id for f in STAGE1.fields][:2] == ["requester_name", "requester_role"]


def test_option_lists_match_the_domain() -> None:
    expect = {
        "exp_level": (
            "Novice (new to needs analysis)",
            "Intermediate (some projects, want structure)",
            "Expert (seasoned practitioner)",
        ),
        "requester_department": (
            "Human Resources",
            "Learning & Development",
            "Operations",
            "Sales",
            "Engineering",
            "Product",
            "Marketing",
            "Finance",
            "Other",
        ),
        "org_size": (
            "1-50 employees",
            "51-200 employees",
            "201-500 employees",
            "501-1000 employees",
            "1001-5000 employees",
            "5001-10000 employees",
            "10000+ employees",
        ),
        "org_compliance": (
            "GDPR",
            "HIPAA",
            "SOC 2",
            "ISO 27001",
            "PCI DSS",
            "FERPA",
            "CCPA",
            "Industry-specific regulations",
            "None",
            "Other",
        ),
        "project_budget_range": (
            "< $10,000",
            "$10,000 - $50,000",
            "$50,000 - $100,000",
            "$100,000 - $250,000",
            "$250,000 - $500,000",
            "$500,000 - $1M",
            "> $1M",
            "To be determined",
        ),
        "available_hardware": (
            "Desktop computers",
            "Laptops",
            "Tablets",
            "Smartphones",
            "VR headsets",
            "Smart boards",
            "Training room AV equipment",
            "Limited/None",
        ),
        "available_software": (
            "LMS",
            "Microsoft 365",
            "Google Workspace",
            "Zoom",
            "Slack",
            "Teams",
            "Moodle",
            "Canvas",
            "Custom platforms",
            "None",
        ),
    }
    for field_id, options in expect.items():
        field = static_field(field_id)
        assert field is not None and field.options == options, field_id
    industry = static("org_industry")
    stakeholders = static("org_stakeholders")
    assert industry is not None and len(industry.options) == 14
    assert industry.options[-2:] == ("Media & Entertainment", "Other")
    assert stakeholders is not None and stakeholders.options[0] == "C-Suite"
    assert len(stakeholders.options) == 9


def test_every_field_has_help_and_text_fields_have_limits() -> None:
    for stage in STATIC_STAGES:
        for field in stage.fields:
            assert field.help.endswith("."), field.id
            if field.type is T.TEXT:
                assert field.max_length and field.placeholder, field.id
            if field.type is T.TEXTAREA:
                assert field.max_length == 2000 and field.placeholder, field.id
    assert static("requester_name").min_length == 2
    formats = {f.id: f.format for s in STATIC_STAGES for f in s.fields if f.format}
    assert formats == {
        "requester_email": "email",
        "requester_phone": "phone",
        "requester_profile_url": "url",
        "org_website": "url",
    }


def test_lookups() -> None:
    assert stage_by_id("stage2") is STAGE2
    assert stage_by_id("experience") is EXPERIENCE
    assert stage_by_id("dynamic") is None
    assert stage_by_id("nope") is None
    assert static_field("project_timeline") is STAGE3.fields[3]
    assert static_field("missing") is None
    assert STAGE1.field_by_id("requester_email") is static_field("requester_email")


# Time zones ----------------------------------------------------------------------


def test_timezone_options_cover_whole_hours_and_ist() -> None:
    options = timezone_options()
    assert len(options) == 26
    assert options[0] == "UTC-12:00"
    assert options[-1] == "UTC+12:00 (NZST)"
    assert "UTC-05:00 (EST)" in options
    assert "UTC+00:00 (GMT)" in options
    plain = [o.split(" ")[0] for o in options]
    assert plain.index("UTC+05:30") == plain.index("UTC+05:00") + 1
    assert len(set(options)) == len(options)
    for hour in range(-12, 13):
        sign = "-" if hour < 0 else "+"
        assert f"UTC{sign}{abs(hour):02d}:00" in plain


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        (timedelta(hours=-5), "UTC-05:00 (EST)"),
        (timedelta(0), "UTC+00:00 (GMT)"),
        (timedelta(hours=5, minutes=30), "UTC+05:30 (IST)"),
        (timedelta(hours=-12), "UTC-12:00"),
        (timedelta(hours=9), "UTC+09:00 (JST)"),
        (timedelta(hours=14), "UTC+12:00 (NZST)"),
        (timedelta(hours=5, minutes=45), "UTC+05:30 (IST)"),
    ],
)
def test_default_timezone_matches_an_aware_time(
    offset: timedelta, expected: str
) -> None:
    now = datetime(2027, 1, 10, 12, tzinfo=timezone(offset))
    assert default_timezone(now) == expected
    assert default_timezone(now) in timezone_options()


def test_default_timezone_reads_the_machine_zone_when_called(
    local_zone: SetZone,
) -> None:
    local_zone("JST-9")
    assert default_timezone() == "UTC+09:00 (JST)"
    local_zone("EST+5")
    assert default_timezone() == "UTC-05:00 (EST)"
    assert default_timezone(datetime(2027, 1, 1)) == "UTC-05:00 (EST)"


def test_timezone_default_is_resolved_when_defaults_are_applied(
    local_zone: SetZone,
) -> None:
    local_zone("IST-5:30")
    assert apply_defaults(STAGE1.fields, {})["requester_timezone"] == (
        "UTC+05:30 (IST)"
    )
    local_zone("PST+8")
    assert apply_defaults(STAGE1.fields, {})["requester_timezone"] == (
        "UTC-08:00 (PST)"
    )
    field = static("requester_timezone")
    assert field is not None and "default" not in field.to_dict()


# Answered ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "attrs", "value", "answered"),
    [
        (T.TEXT, {}, "  hi ", True),
        (T.TEXT, {}, "   ", False),
        (T.TEXT, {}, None, False),
        (T.TEXTAREA, {}, "\n\t", False),
        (T.TEXTAREA, {}, "notes", True),
        (T.SINGLE_SELECT, {"options": ("a",)}, "a", True),
        (T.SINGLE_SELECT, {"options": ("a",)}, " ", False),
        (T.MULTI_SELECT, {"options": ("a",)}, ["a"], True),
        (T.MULTI_SELECT, {"options": ("a",)}, [], False),
        (T.MULTI_SELECT, {"options": ("a",)}, ["", " "], False),
        (T.CALENDAR_DATE, {}, "2027-02-28", True),
        (T.CALENDAR_DATE, {}, "2027-02-30", False),
        (T.CALENDAR_DATE, {}, "soon", False),
        (T.CALENDAR_RANGE, {}, {"start": "2027-01-10", "end": "2027-01-10"}, True),
        (T.CALENDAR_RANGE, {}, {"start": "2027-01-10", "end": ""}, False),
        (T.CALENDAR_RANGE, {}, {"start": "2027-02-01", "end": "2027-01-10"}, False),
        (T.NUMBER, {}, 0, True),
        (T.NUMBER, {}, "0", True),
        (T.NUMBER, {}, "", False),
        (T.NUMBER, {}, True, False),
        (T.SLIDER, {"min": 0, "max": 10}, 0, True),
        (T.SLIDER, {"min": 0, "max": 10}, None, False),
        (T.BOOLEAN, {}, False, True),
        (T.BOOLEAN, {}, "no", True),
        (T.BOOLEAN, {}, None, False),
        (T.BOOLEAN, {}, "maybe", False),
    ],
)
def test_is_answered(
    kind: FieldType, attrs: dict[str, object], value: object, answered: bool
) -> None:
    assert is_answered(make(kind, **attrs), value) is answered


# Coercion ------------------------------------------------------------------------


def test_coerce_text_strips() -> None:
    assert coerce_value(make(T.TEXT), "  Jo  ") == "Jo"
    assert coerce_value(make(T.TEXTAREA), " a\nb ") == "a\nb"


def test_coerce_numbers_from_text() -> None:
    field = make(T.NUMBER)
    assert coerce_value(field, " 42 ") == 42
    assert coerce_value(field, "2.5") == 2.5
    assert coerce_value(field, "1,200") == 1200
    assert coerce_value(field, 3.0) == 3 and isinstance(coerce_value(field, 3.0), int)
    assert coerce_value(field, "") is None
    assert coerce_value(field, "lots") == "lots"


def test_coerce_multi_dedupes_in_order_and_keeps_custom_values() -> None:
    field = make(T.MULTI_SELECT, options=("Laptops", "Tablets"))
    value = ["Tablets", " laptops ", "Tablets", "Our own Kiosk", "", "our own kiosk"]
    assert coerce_value(field, value) == ["Tablets", "Laptops", "Our own Kiosk"]
    assert coerce_value(field, "Tablets") == ["Tablets"]


def test_coerce_single_select_uses_the_option_spelling() -> None:
    field = make(T.SINGLE_SELECT, options=("Sales", "Finance"))
    assert coerce_value(field, " sales ") == "Sales"
    assert coerce_value(field, "Legal Ops") == "Legal Ops"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("yes", True),
        ("Yes", True),
        ("true", True),
        (True, True),
        ("no", False),
        ("FALSE", False),
        (False, False),
        ("", None),
    ],
)
def test_coerce_booleans(raw: object, expected: bool | None) -> None:
    assert coerce_value(make(T.BOOLEAN), raw) is expected


def test_coerce_ranges_and_dates_to_iso() -> None:
    rng = make(T.CALENDAR_RANGE)
    assert coerce_value(rng, (date(2027, 1, 10), date(2027, 3, 31))) == {
        "start": "2027-01-10",
        "end": "2027-03-31",
    }
    assert coerce_value(rng, {"start": " 2027-01-10 "}) == {
        "start": "2027-01-10",
        "end": "",
    }
    assert coerce_value(make(T.CALENDAR_DATE), datetime(2027, 5, 1, 9)) == "2027-05-01"


# validate_value ------------------------------------------------------------------


def test_blank_optional_fields_are_valid_and_blank_required_are_not() -> None:
    for kind in FieldType:
        attrs = {"options": ("a",)} if "select" in kind.value else {}
        assert validate_value(make(kind, **attrs), None) is None, kind
        assert validate_value(make(kind, required=True, **attrs), None), kind
        assert validate_value(make(kind, required=True, **attrs), ""), kind


def test_required_messages_are_actionable() -> None:
    assert validate_value(make(T.TEXT, required=True), "  ") == "Enter a value"
    assert validate_value(make(T.BOOLEAN, required=True), None) == "Choose yes or no"
    multi = make(T.MULTI_SELECT, required=True, options=("a",))
    assert validate_value(multi, []) == "Choose at least one option"


@pytest.mark.parametrize(
    "email",
    ["name@example.com", "first.last+tag@mail.example.co.uk", "a_b@x-y.io"],
)
def test_valid_emails(email: str) -> None:
    assert validate_value(static("requester_email"), email) is None


@pytest.mark.parametrize(
    "email",
    [
        "name",
        "name@",
        "@example.com",
        "name@example",
        "na me@example.com",
        "name@@example.com",
        "name@example.c",
        "name@.com",
        "a..b@example.com",
    ],
)
def test_invalid_emails(email: str) -> None:
    message = validate_value(static("requester_email"), email)
    assert message == "Enter an email like name@example.com"


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com",
        "http://www.example.org/about?x=1",
        "https://www.linkedin.com/in/jo-smith",
        "http://localhost:8080/x",
    ],
)
def test_valid_urls(url: str) -> None:
    assert validate_value(static("org_website"), url) is None
    assert validate_value(static("requester_profile_url"), url) is None


@pytest.mark.parametrize(
    "url",
    [
        "example.com",
        "ftp://example.com",
        "https://",
        "https://exa mple.com",
        "javascript:alert(1)",
        "https://example",
        "https://example.com:99999",
    ],
)
def test_invalid_urls(url: str) -> None:
    message = validate_value(static("org_website"), url)
    assert message == "Enter a web address like https://example.com"


@pytest.mark.parametrize(
    "phone", ["+1 (555) 123-4567", "020 7946 0958", "555.123.4567", "+441234567890"]
)
def test_valid_phones(phone: str) -> None:
    assert validate_value(static("requester_phone"), phone) is None


@pytest.mark.parametrize(
    "phone",
    ["call me", "555-CALL-NOW", "12345", "+1 555 123 4567 x2", "1234567890123456"],
)
def test_invalid_phones(phone: str) -> None:
    message = validate_value(static("requester_phone"), phone)
    assert message is not None and "phone" in message


def test_text_length_limits() -> None:
    name = static("requester_name")
    assert validate_value(name, "J") == "Enter at least 2 characters"
    assert validate_value(name, " Jo ") is None
    short = make(T.TEXT, max_length=5)
    assert validate_value(short, "abcdef") == "Keep it to 5 characters or fewer"
    assert validate_value(short, "abcde") is None


def test_single_select_custom_values() -> None:
    open_field = make(T.SINGLE_SELECT, options=("a", "b"))
    closed = make(T.SINGLE_SELECT, options=("a", "b"), allow_custom=False)
    assert validate_value(open_field, "Something else") is None
    assert (
        validate_value(closed, "Something else") == "Choose one of the listed options"
    )
    assert validate_value(closed, "b") is None
    exp = static("exp_level")
    assert validate_value(exp, "Guru") is not None
    assert validate_value(exp, "Expert (seasoned practitioner)") is None


def test_multi_select_custom_values() -> None:
    open_field = make(T.MULTI_SELECT, options=("a", "b"))
    closed = make(T.MULTI_SELECT, options=("a", "b"), allow_custom=False)
    assert validate_value(open_field, ["a", "Kiosks"]) is None
    assert validate_value(closed, ["a", "Kiosks"]) == (
        "Not one of the listed options: Kiosks"
    )
    assert validate_value(closed, ["b", "a"]) is None
    assert validate_value(open_field, 7) == "Choose one or more options"


def test_dates_must_be_real_iso_and_inside_bounds() -> None:
    field = make(T.CALENDAR_DATE, min_date="2027-01-01", max_date="2027-12-31")
    assert validate_value(field, "2027-06-15") is None
    assert validate_value(field, "2027-02-29") == "Enter a real date as yyyy-mm-dd"
    assert validate_value(field, "15/06/2027") == "Enter a real date as yyyy-mm-dd"
    assert validate_value(field, "20270615") == "Enter a real date as yyyy-mm-dd"
    assert validate_value(field, "2026-12-31") == "Choose a date on or after 2027-01-01"
    assert validate_value(field, "2028-01-01") == (
        "Choose a date on or before 2027-12-31"
    )
    assert validate_value(field, "2027-01-01") is None
    assert validate_value(field, "2027-12-31") is None


def test_range_order_and_completeness() -> None:
    field = static("project_timeline")
    assert field is not None
    ok = {"start": "2027-01-10", "end": "2027-03-31"}
    assert validate_value(field, ok) is None
    assert validate_value(field, {"start": "2027-01-10", "end": "2027-01-10"}) is None
    backwards = {"start": "2027-03-31", "end": "2027-01-10"}
    assert validate_value(field, backwards) == (
        "End date must be on or after the start date"
    )
    assert validate_value(field, {"start": "2027-01-10"}) == "Choose an end date"
    assert validate_value(field, {"end": "2027-01-10"}) == "Choose a start date"
    assert validate_value(field, {"start": "2027-13-01", "end": "2027-12-01"}) == (
        "Enter real dates as yyyy-mm-dd"
    )
    assert validate_value(field, "2027-01-10") == "Choose a start and an end date"


def test_range_respects_date_bounds() -> None:
    field = make(T.CALENDAR_RANGE, min_date="2027-01-01")
    assert validate_value(field, {"start": "2026-12-01", "end": "2027-02-01"}) == (
        "Choose a date on or after 2027-01-01"
    )


@pytest.mark.parametrize("kind", [T.NUMBER, T.SLIDER])
def test_numbers_outside_bounds_are_rejected_not_clamped(kind: FieldType) -> None:
    field = make(kind, min=0, max=100)
    assert validate_value(field, 0) is None
    assert validate_value(field, 100) is None
    assert validate_value(field, "55") is None
    assert validate_value(field, 101) == "Must be between 0 and 100"
    assert validate_value(field, -1) == "Must be between 0 and 100"
    answers = {"f": 150}
    assert validate_answers([field], answers) == {"f": "Must be between 0 and 100"}
    assert answers == {"f": 150}


def test_one_sided_number_bounds_and_non_numbers() -> None:
    assert validate_value(make(T.NUMBER, min=1), 0) == "Must be at least 1"
    assert validate_value(make(T.NUMBER, max=2.5), 3) == "Must be at most 2.5"
    assert validate_value(make(T.NUMBER), "many") == "Enter a number"
    assert validate_value(make(T.NUMBER), float("nan")) == "Enter a number"
    assert validate_value(make(T.NUMBER), True) == "Enter a number"
    assert validate_value(make(T.NUMBER), -3.5) is None


def test_booleans() -> None:
    field = make(T.BOOLEAN)
    assert validate_value(field, "yes") is None
    assert validate_value(field, False) is None
    assert validate_value(field, "perhaps") == "Choose yes or no"


# Whole answers --------------------------------------------------------------------


def test_validate_answers_reports_every_bad_field() -> None:
    answers = {
        "requester_name": "J",
        "requester_email": "jo@",
        "requester_phone": "not a phone",
        "requester_department": "Sales",
    }
    errors = validate_answers(STAGE1.fields, answers)
    assert set(errors) == {
        "requester_name",
        "requester_role",
        "requester_email",
        "requester_phone",
    }
    assert errors["requester_role"] == "Enter a value"


def test_stage_complete_needs_every_required_field_valid() -> None:
    assert stage_complete(STAGE1, VALID_STAGE1)
    assert not stage_complete(STAGE1, {**VALID_STAGE1, "requester_name": " "})
    assert not stage_complete(STAGE1, {**VALID_STAGE1, "requester_profile_url": "x"})
    assert stage_complete(STAGE1, {**VALID_STAGE1, "requester_phone": ""})
    assert not stage_complete(EXPERIENCE, {})
    assert stage_complete(EXPERIENCE, {"exp_level": "Novice (new to needs analysis)"})


def test_stage3_complete_needs_an_ordered_timeline() -> None:
    answers = {
        "project_objectives": "Raise win rate",
        "project_constraints": "Budget",
        "target_audience": "120 sellers",
        "project_timeline": {"start": "2027-01-10", "end": "2027-03-31"},
        "project_budget_range": "$10,000 - $50,000",
    }
    assert stage_complete(STAGE3, answers)
    answers["project_timeline"] = {"start": "2027-03-31", "end": "2027-01-10"}
    assert not stage_complete(STAGE3, answers)


def test_apply_defaults_fills_only_missing_ids_and_returns_a_new_dict() -> None:
    fields = [
        make(T.SLIDER, min=0, max=10, default=5),
        Field("m", "M", T.MULTI_SELECT, options=("a", "b"), default=("b",)),
        Field("d", "D", T.CALENDAR_DATE, default="2027-01-01"),
        Field("n", "N", T.NUMBER),
    ]
    answers = {"d": "2027-06-01"}
    result = apply_defaults(fields, answers)
    assert result == {"f": 5, "m": ["b"], "d": "2027-06-01"}
    assert answers == {"d": "2027-06-01"}
    assert result is not answers
    assert apply_defaults(fields, {"f": 0})["f"] == 0
    assert apply_defaults(fields, {"m": []})["m"] == []


def test_default_lists_are_not_shared_between_calls() -> None:
    field = Field("m", "M", T.MULTI_SELECT, options=("a", "b"), default=("a",))
    first = apply_defaults([field], {})
    first["m"].append("b")
    assert apply_defaults([field], {})["m"] == ["a"]


# Display --------------------------------------------------------------------------


def test_format_answer_per_type() -> None:
    assert format_answer(make(T.TEXT), "  Jo ") == "Jo"
    multi = make(T.MULTI_SELECT, options=("a", "b"))
    assert format_answer(multi, ["a", "Kiosks"]) == "a, Kiosks"
    rng = make(T.CALENDAR_RANGE)
    assert format_answer(rng, {"start": "2027-01-10", "end": "2027-03-31"}) == (
        "2027-01-10 to 2027-03-31"
    )
    assert format_answer(make(T.BOOLEAN), True) == "Yes"
    assert format_answer(make(T.BOOLEAN), "no") == "No"
    assert format_answer(make(T.CALENDAR_DATE), "2027-01-10") == "2027-01-10"


@pytest.mark.parametrize(
    ("unit", "value", "text"),
    [
        ("", 7, "7"),
        ("%", 40, "40%"),
        ("hrs", 2.5, "2.5 hrs"),
        ("$", 25000, "$25,000"),
        ("$", "1200", "$1,200"),
        ("hrs", 0, "0 hrs"),
    ],
)
def test_format_numbers_with_units(unit: str, value: object, text: str) -> None:
    assert format_answer(make(T.NUMBER, unit=unit), value) == text


def test_format_blank_is_empty() -> None:
    for kind in FieldType:
        assert format_answer(make(kind), None) == "", kind
    assert format_answer(make(T.TEXT), "   ") == ""
    assert format_answer(make(T.MULTI_SELECT), []) == ""


def test_labelled_answers_in_field_order_skipping_unanswered() -> None:
    answers = {
        "requester_email": "jo@example.com",
        "requester_name": "Jo",
        "requester_role": "   ",
        "unknown": "ignored",
    }
    assert labelled_answers(STAGE1.fields, answers) == [
        ("Your name", "Jo"),
        ("Email address", "jo@example.com"),
    ]
    stage = Stage("x", "X", (make(T.SLIDER, min=0, max=10, unit="hrs"),))
    assert labelled_answers(stage.fields, {"f": 0}) == [("F", "0 hrs")]
