"""The wizard's fixed steps: experience and stages 1 to 3 (DOMAIN.md §1.2-1.5)."""

from __future__ import annotations

from datetime import datetime, timedelta

from starmap_tui.questionnaire.fields import Field, FieldType, Stage

T = FieldType
TEXT_MAX = 120
TEXTAREA_MAX = 2000

STEP_ORDER: tuple[str, ...] = (
    "experience",
    "stage1",
    "stage2",
    "stage3",
    "dynamic",
    "report",
)

STEP_TITLES: dict[str, str] = {
    "experience": "Experience",
    "stage1": "Your details",
    "stage2": "Organization",
    "stage3": "Project scope",
    "dynamic": "Deep dive",
    "report": "Your starmap",
}

# Whole-hour offsets carry a label only where one abbreviation is widely known.
_ZONE_ABBREVIATIONS: dict[int, str] = {
    -11 * 60: "SST",
    -10 * 60: "HST",
    -9 * 60: "AKST",
    -8 * 60: "PST",
    -7 * 60: "MST",
    -6 * 60: "CST",
    -5 * 60: "EST",
    -4 * 60: "AST",
    -3 * 60: "BRT",
    0: "GMT",
    1 * 60: "CET",
    2 * 60: "EET",
    3 * 60: "MSK",
    4 * 60: "GST",
    5 * 60: "PKT",
    5 * 60 + 30: "IST",
    7 * 60: "ICT",
    8 * 60: "SGT",
    9 * 60: "JST",
    10 * 60: "AEST",
    12 * 60: "NZST",
}

_ZONE_OFFSETS: tuple[int, ...] = tuple(
    sorted([h * 60 for h in range(-12, 13)] + [5 * 60 + 30])
)


def _zone_label(minutes: int) -> str:
    """The option text for one UTC offset, e.g. ``UTC-05:00 (EST)``."""
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    label = f"UTC{sign}{hours:02d}:{mins:02d}"
    abbreviation = _ZONE_ABBREVIATIONS.get(minutes)
    return f"{label} ({abbreviation})" if abbreviation else label


def timezone_options() -> tuple[str, ...]:
    """Every time zone choice, west to east: UTC-12:00 … UTC+12:00 plus IST."""
    return tuple(_zone_label(m) for m in _ZONE_OFFSETS)


def default_timezone(now: datetime | None = None) -> str:
    """The option matching the machine's UTC offset now (or ``now``'s offset).

    Offsets that are not in the list (e.g. +05:45) get the nearest option.
    """
    moment = now if now is not None else datetime.now()
    if moment.utcoffset() is None:
        # A naive time is the machine's local time; ask the OS for its offset.
        moment = moment.astimezone()
    offset = moment.utcoffset() or timedelta(0)
    minutes = round(offset.total_seconds() / 60)
    nearest = min(_ZONE_OFFSETS, key=lambda m: (abs(m - minutes), m))
    return _zone_label(nearest)


def _text(
    field_id: str,
    label: str,
    help_text: str,
    placeholder: str,
    *,
    required: bool = False,
    min_length: int | None = None,
    max_length: int = TEXT_MAX,
    format: str | None = None,
) -> Field:
    """A one-line text field."""
    return Field(
        field_id,
        label,
        T.TEXT,
        help_text,
        required=required,
        placeholder=placeholder,
        max_length=max_length,
        min_length=min_length,
        format=format,
    )


def _area(
    field_id: str, label: str, help_text: str, placeholder: str, required: bool
) -> Field:
    """A multi-line text field."""
    return Field(
        field_id,
        label,
        T.TEXTAREA,
        help_text,
        required=required,
        placeholder=placeholder,
        max_length=TEXTAREA_MAX,
    )


def _choice(
    field_id: str,
    label: str,
    help_text: str,
    options: tuple[str, ...],
    multi: bool = False,
    required: bool = True,
) -> Field:
    """A single or multi select over fixed options (custom values allowed)."""
    kind = T.MULTI_SELECT if multi else T.SINGLE_SELECT
    return Field(field_id, label, kind, help_text, required=required, options=options)


EXPERIENCE = Stage(
    "experience",
    STEP_TITLES["experience"],
    (
        Field(
            "exp_level",
            "Your experience with needs analysis",
            T.SINGLE_SELECT,
            "This sets how deep the follow-up questions go and how the report reads.",
            required=True,
            options=(
                "Novice (new to needs analysis)",
                "Intermediate (some projects, want structure)",
                "Expert (seasoned practitioner)",
            ),
            allow_custom=False,
        ),
    ),
)

STAGE1 = Stage(
    "stage1",
    STEP_TITLES["stage1"],
    (
        _text(
            "requester_name",
            "Your name",
            "The person requesting this analysis.",
            "Jane Doe",
            required=True,
            min_length=2,
        ),
        _text(
            "requester_role",
            "Your role",
            "Your job title, so the report speaks to your position.",
            "Head of Sales Enablement",
            required=True,
        ),
        _choice(
            "requester_department",
            "Department",
            "The department you work in.",
            (
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
        ),
        _text(
            "requester_email",
            "Email address",
            "Where follow-up about this analysis should go.",
            "name@example.com",
            required=True,
            format="email",
            max_length=254,
        ),
        _text(
            "requester_phone",
            "Phone number",
            "Optional; digits, spaces and + - ( ) . are accepted.",
            "+1 555 123 4567",
            format="phone",
            max_length=32,
        ),
        _text(
            "requester_profile_url",
            "Public profile URL",
            "Optional link to a public profile such as LinkedIn.",
            "https://www.linkedin.com/in/your-name",
            format="url",
            max_length=2048,
        ),
        Field(
            "requester_timezone",
            "Time zone",
            T.SINGLE_SELECT,
            "Used to schedule sessions and read dates in the report.",
            options=timezone_options(),
            allow_custom=False,
            # A callable so the zone is read when the field is first shown,
            # not when this module is imported.
            default=default_timezone,
        ),
    ),
)

STAGE2 = Stage(
    "stage2",
    STEP_TITLES["stage2"],
    (
        _text(
            "org_name",
            "Organization name",
            "The organization the training is for.",
            "Acme Corporation",
            required=True,
        ),
        _choice(
            "org_industry",
            "Industry",
            "The sector the organization works in.",
            (
                "Technology",
                "Finance",
                "Healthcare",
                "Manufacturing",
                "Retail",
                "Education",
                "Government",
                "Non-profit",
                "Consulting",
                "Energy",
                "Transportation",
                "Telecommunications",
                "Media & Entertainment",
                "Other",
            ),
        ),
        _choice(
            "org_size",
            "Organization size",
            "The number of people employed across the organization.",
            (
                "1-50 employees",
                "51-200 employees",
                "201-500 employees",
                "501-1000 employees",
                "1001-5000 employees",
                "5001-10000 employees",
                "10000+ employees",
            ),
        ),
        _text(
            "org_headquarters",
            "Headquarters location",
            "The city and country of the main office.",
            "London, United Kingdom",
            required=True,
        ),
        _text(
            "org_website",
            "Company website",
            "Optional; the organization's public website.",
            "https://www.example.com",
            format="url",
            max_length=2048,
        ),
        _area(
            "org_mission",
            "Mission statement",
            "Optional; what the organization sets out to do.",
            "We help small businesses get paid on time.",
            required=False,
        ),
        _choice(
            "org_compliance",
            "Legal / compliance requirements",
            "Regulations the training or its data must respect.",
            (
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
            multi=True,
        ),
        _choice(
            "org_stakeholders",
            "Key stakeholder groups",
            "Groups who sponsor, approve or are affected by the training.",
            (
                "C-Suite",
                "Board of Directors",
                "HR Leadership",
                "Department Heads",
                "Union Representatives",
                "Employee Resource Groups",
                "External Partners",
                "Customers",
                "Investors",
            ),
            multi=True,
        ),
    ),
)

STAGE3 = Stage(
    "stage3",
    STEP_TITLES["stage3"],
    (
        _area(
            "project_objectives",
            "Primary objectives",
            "The measurable results the training should bring about.",
            "Raise sales win rate 20%; cut onboarding from 4 to 2 weeks",
            required=True,
        ),
        _area(
            "project_constraints",
            "Key constraints",
            "Limits the solution must work within, such as budget or technology.",
            "Fixed budget, staff spread over three time zones, no VR hardware",
            required=True,
        ),
        _area(
            "target_audience",
            "Target audience",
            "Who will learn: roles, numbers, experience and locations.",
            "120 account executives, 1-5 years in role, EMEA and North America",
            required=True,
        ),
        Field(
            "project_timeline",
            "Expected timeline",
            T.CALENDAR_RANGE,
            "When the project should start and when it must be finished.",
            required=True,
        ),
        _choice(
            "project_budget_range",
            "Budget range",
            "The money available for design, delivery and tools.",
            (
                "< $10,000",
                "$10,000 - $50,000",
                "$50,000 - $100,000",
                "$100,000 - $250,000",
                "$250,000 - $500,000",
                "$500,000 - $1M",
                "> $1M",
                "To be determined",
            ),
        ),
        _choice(
            "available_hardware",
            "Available hardware / devices",
            "Devices learners can use for training.",
            (
                "Desktop computers",
                "Laptops",
                "Tablets",
                "Smartphones",
                "VR headsets",
                "Smart boards",
                "Training room AV equipment",
                "Limited/None",
            ),
            multi=True,
            required=False,
        ),
        _choice(
            "available_software",
            "Available software / platforms",
            "Platforms already in place that training could use.",
            (
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
            multi=True,
            required=False,
        ),
        _area(
            "subject_matter_experts",
            "Subject matter experts",
            "Optional; people who know the content and could help build it.",
            "Two senior account executives; the product marketing lead",
            required=False,
        ),
        _area(
            "additional_context",
            "Anything else",
            "Optional; anything else the analysis should take into account.",
            "A previous e-learning rollout had low completion rates.",
            required=False,
        ),
    ),
)

STATIC_STAGES: tuple[Stage, ...] = (EXPERIENCE, STAGE1, STAGE2, STAGE3)

_STAGES_BY_ID: dict[str, Stage] = {stage.id: stage for stage in STATIC_STAGES}
_FIELDS_BY_ID: dict[str, Field] = {
    f.id: f for stage in STATIC_STAGES for f in stage.fields
}


def stage_by_id(step_id: str) -> Stage | None:
    """The static stage for a step id; None for ``dynamic``, ``report`` or unknown."""
    return _STAGES_BY_ID.get(step_id)


def static_field(field_id: str) -> Field | None:
    """The field with this id in any static stage."""
    return _FIELDS_BY_ID.get(field_id)
