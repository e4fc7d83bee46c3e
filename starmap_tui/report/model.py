"""The needs-analysis report (NAReport) and its lenient-but-honest validation.

The schema is DOMAIN.md §3 and §3.1. A model's output is repaired where the
repair invents nothing (``"$12,000"`` → 12000, ``"High"`` → ``"high"``, one
string where a list belongs, lists over six items, items over fifty words) and
rejected where it cannot be (an object where text belongs, a date that is not
a date, an amount below zero). Every field may be missing, so a sparse report
is valid; a field with no data stays empty.
"""

from __future__ import annotations

import json
import math
import re
from datetime import date
from typing import Annotated, Any, ClassVar, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

MAX_ITEMS = 6
MAX_WORDS = 50
MAX_ERRORS = 20

_JSON_KIND = {
    dict: "an object",
    list: "a list",
    str: "text",
    bool: "true/false",
    int: "a number",
    float: "a number",
    type(None): "null",
}
_AMOUNT = re.compile(
    r"^(?:[A-Za-z]{3})?\s*[$€£¥]?\s*(\d[\d,]*(?:\.\d+)?|\.\d+)\s*([kKmM])?\s*"
    r"(?:[A-Za-z]{3})?$"
)
_WEEKS = re.compile(r"^(\d+(?:\.\d+)?)\s*(?:weeks?|wks?|w)?$", re.IGNORECASE)
_WHOLE = re.compile(r"^(?:level|lvl|l|priority|p|#)?\s*(\d+)$", re.IGNORECASE)
_ISO_DATE = re.compile(
    r"^(\d{4}-\d{2}-\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
    r"(?:Z|[+-]\d{2}:?\d{2})?)?$"
)
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_YES = {"true", "yes", "y"}
_NO = {"false", "no", "n"}


# Sanity bounds that hold whatever the project: no phase runs past ten years
# and no cost line reaches a hundred billion.
MAX_WEEKS = 520
MAX_AMOUNT = 1e11


class ReportInvalid(ValueError):
    """The data cannot be a report; ``errors`` says why, one short line each."""

    def __init__(self, message: str, errors: list[str]) -> None:
        """Keep the summary message and the list of error lines."""
        super().__init__(message)
        self.message = message
        self.errors = errors

    def hint(self) -> str:
        """The errors as a bullet list to send back to a model for repair."""
        return "\n".join(f"- {error}" for error in self.errors)


def _kind(value: Any) -> str:
    """How a JSON reader would name the type of ``value``."""
    return _JSON_KIND.get(type(value), type(value).__name__)


def _show(value: Any) -> str:
    """A short quotation of an offending value for an error message."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 40 else text[:37] + "..."


def _plain_number(value: int | float) -> str:
    """A number as text without a spurious ``.0``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _trim_words(text: str) -> str:
    """Cut free text to MAX_WORDS words, marking the cut with an ellipsis."""
    words = text.split()
    if len(words) <= MAX_WORDS:
        return text
    return " ".join(words[:MAX_WORDS]) + "…"


def _text(value: Any) -> str:
    """Free text: numbers become text, anything else that is not text fails."""
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _plain_number(value)
    if not isinstance(value, str):
        raise ValueError(f"expected text, got {_kind(value)}")
    return _trim_words(value.strip())


def _blank(value: Any) -> bool:
    """Whether a list item carries nothing at all."""
    return value is None or (isinstance(value, str) and not value.strip())


def _text_list(value: Any) -> list[Any]:
    """A list of text: a lone string becomes one item; blanks drop; max six."""
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise ValueError(f"expected a list of text, got {_kind(value)}")
    return [item for item in value if not _blank(item)][:MAX_ITEMS]


def _object_list(value: Any) -> list[Any]:
    """A list of objects: a lone object becomes one item; nulls drop; max six."""
    if value is None:
        return []
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        raise ValueError(f"expected a list of objects, got {_kind(value)}")
    return [item for item in value if item is not None and item != {}][:MAX_ITEMS]


def _drop_empty(items: list[Part]) -> list[Part]:
    """Drop list items whose every field is empty."""
    return [item for item in items if not item.is_empty()]


def _choice(value: Any) -> Any:
    """Normalise an enum word: ``" High "`` → ``high``, ``Non-training`` →
    ``non_training``; the Literal type then checks it."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        return re.sub(r"[\s-]+", "_", value.strip().lower())
    return value


def _parse_number(value: Any, pattern: re.Pattern[str], what: str) -> float | None:
    """A number from a number or a string matching ``pattern``; else an error."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str) and (match := pattern.match(value.strip())):
        number = float(match.group(1).replace(",", ""))
        if match.lastindex and match.lastindex >= 2 and match.group(2):
            number *= 1_000 if match.group(2).lower() == "k" else 1_000_000
    else:
        raise ValueError(f"expected {what}, got {_show(value)}")
    if not math.isfinite(number):
        raise ValueError(f"expected {what}, got {_show(value)}")
    return number


def _amount(value: Any) -> float | None:
    """A money amount ≥ 0; ``"$12,000"``, ``"12k"`` and ``"USD 500"`` parse."""
    number = _parse_number(value, _AMOUNT, "an amount such as 12000")
    if number is not None and number < 0:
        raise ValueError(f"amount must not be negative, got {_show(value)}")
    if number is not None and number > MAX_AMOUNT:
        raise ValueError(
            f"amount {number:,.0f} is beyond any training budget; give a realistic "
            "amount in the budget's currency"
        )
    return number


def _weeks(value: Any) -> float | None:
    """A duration in weeks ≥ 0; ``"6 weeks"`` parses."""
    number = _parse_number(value, _WEEKS, "a number of weeks")
    if number is not None and number < 0:
        raise ValueError(f"weeks must not be negative, got {_show(value)}")
    if number is not None and number > MAX_WEEKS:
        raise ValueError(
            f"{number:,.0f} weeks is longer than any project ({MAX_WEEKS} weeks is "
            "ten years); fit the phase inside the project timeline"
        )
    return number


def _whole(value: Any, low: int, high: int | None, what: str) -> int | None:
    """A whole number in low..high; ``"Level 3"`` and ``"P1"`` parse."""
    number = _parse_number(value, _WHOLE, what)
    if number is None:
        return None
    too_high = high is not None and number > high
    if not number.is_integer() or number < low or too_high:
        raise ValueError(f"expected {what}, got {_show(value)}")
    return int(number)


def _rank(value: Any) -> int | None:
    """A priority rank where 1 comes first."""
    return _whole(value, 1, None, "a whole number ≥ 1 (1 = first)")


def _evaluation_level(value: Any) -> int | None:
    """A Kirkpatrick level 1-4, or 5 for ROI."""
    return _whole(value, 1, 5, "a level from 1 to 5")


def _confidence(value: Any) -> float | None:
    """A confidence in 0..1; ``"70%"`` becomes 0.7."""
    if isinstance(value, str) and value.strip().endswith("%"):
        number = _parse_number(value.strip()[:-1], _AMOUNT, "a confidence")
        value = None if number is None else number / 100
    number = _parse_number(value, _AMOUNT, "a confidence from 0 to 1")
    if number is not None and not 0 <= number <= 1:
        raise ValueError(f"confidence must be from 0 to 1, got {_show(value)}")
    return number


def _iso_date(value: Any) -> str:
    """An ISO date ``yyyy-mm-dd``; a timestamp keeps only its date part."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return ""
    match = _ISO_DATE.match(value.strip()) if isinstance(value, str) else None
    try:
        if match is None:
            raise ValueError
        return date.fromisoformat(match.group(1)).isoformat()
    except ValueError:
        raise ValueError(f"expected a date yyyy-mm-dd, got {_show(value)}") from None


def _currency(value: Any) -> str:
    """An ISO 4217 code, upper-cased; ``"usd"`` becomes ``"USD"``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return ""
    code = value.strip().upper() if isinstance(value, str) else ""
    if not _CURRENCY.match(code):
        raise ValueError(f"expected an ISO 4217 code such as USD, got {_show(value)}")
    return code


def _yes_no(value: Any) -> bool | None:
    """A boolean; ``"yes"``/``"no"`` and ``"true"``/``"false"`` parse."""
    if value is None or isinstance(value, bool):
        return value
    word = value.strip().lower() if isinstance(value, str) else None
    if word in _YES or word in _NO:
        return word in _YES
    if word == "":
        return None
    raise ValueError(f"expected true or false, got {_show(value)}")


P = TypeVar("P", bound="Part")

Text = Annotated[str, BeforeValidator(_text)]
TextList = Annotated[list[Text], BeforeValidator(_text_list)]
PartList = Annotated[
    list[P], BeforeValidator(_object_list), AfterValidator(_drop_empty)
]
Level = Annotated[Literal["low", "medium", "high"] | None, BeforeValidator(_choice)]
Verdict = Annotated[
    Literal["training", "non_training", "both"] | None, BeforeValidator(_choice)
]
Amount = Annotated[float | None, BeforeValidator(_amount)]
Rank = Annotated[int | None, BeforeValidator(_rank), Field(description="1 = first")]
IsoDate = Annotated[str, BeforeValidator(_iso_date), Field(description="yyyy-mm-dd")]


class Part(BaseModel):
    """A piece of the report: an object whose fields may all be missing."""

    model_config = ConfigDict(extra="ignore")
    # Fields that describe the part rather than carry its content.
    metadata_fields: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _objects_only(cls, data: Any) -> Any:
        """Refuse non-objects plainly, and read a null field as a missing one."""
        if isinstance(data, cls):
            return data
        if not isinstance(data, dict):
            raise ValueError(f"expected an object, got {_kind(data)}")
        return {key: value for key, value in data.items() if value is not None}

    def is_empty(self) -> bool:
        """Whether no field of this part carries any data."""
        names = type(self).model_fields.keys() - self.metadata_fields
        return all(_empty_value(getattr(self, name)) for name in names)


def _empty_value(value: Any) -> bool:
    """Whether a field value carries no data (False and 0 are data)."""
    if isinstance(value, Part):
        return value.is_empty()
    return value is None or value == "" or value == []


class TrainingFit(Part):
    """Whether training is the answer, or part of it, and why."""

    verdict: Verdict = None
    reasons: TextList = []


class Summary(Part):
    """The executive summary: the problem, its causes and what is known."""

    problem_statement: Text = ""
    current_state: TextList = []
    root_causes: TextList = []
    objectives: TextList = []
    assumptions: TextList = []
    unknowns: TextList = []
    confidence: Annotated[
        float | None, BeforeValidator(_confidence), Field(description="0 to 1")
    ] = None
    training_fit: TrainingFit = Field(default_factory=TrainingFit)
    evidence: TextList = []


class DeliveryModality(Part):
    """One way of delivering the learning, and why it fits."""

    modality: Text = ""
    reason: Text = ""
    priority: Rank = None


class AccessibilityAndInclusion(Part):
    """Standards and notes that keep the learning open to everyone."""

    standards: TextList = []
    notes: Text = ""


class SkillGap(Part):
    """A competency gap for an audience; safety and regulatory gaps come first."""

    competency: Text = ""
    audience: Text = ""
    required_level: Text = ""
    current_level: Text = ""
    priority: Rank = None
    trainable_on_job: Annotated[bool | None, BeforeValidator(_yes_no)] = None


class NonTrainingAction(Part):
    """A fix that is not training: process, tools, job aids, incentives."""

    action: Text = ""
    owner: Text = ""


class Solution(Part):
    """What to build, for whom, and what else to change."""

    delivery_modalities: PartList[DeliveryModality] = []
    target_audiences: TextList = []
    key_competencies: TextList = []
    content_outline: TextList = []
    accessibility_and_inclusion: AccessibilityAndInclusion = Field(
        default_factory=AccessibilityAndInclusion
    )
    skill_gaps: PartList[SkillGap] = []
    non_training_recommendations: PartList[NonTrainingAction] = []


class LearnerProfile(Part):
    """One segment of the audience and what shapes its learning."""

    segment: Text = ""
    roles: TextList = []
    context: Text = ""
    motivators: TextList = []
    constraints: TextList = []


class LearnerAnalysis(Part):
    """Who the learners are and what could keep them from learning."""

    profiles: PartList[LearnerProfile] = []
    readiness_risks: TextList = []


class TechRecommendation(Part):
    """A technology capability to use or add, and how well it fits."""

    capability: Text = ""
    fit: Text = ""
    constraints: TextList = []


class DataPlan(Part):
    """Learning-data standards and the systems they connect."""

    standards: TextList = []
    integrations: TextList = []


class Technology(Part):
    """The technology on hand, its gaps and what to do about them."""

    current_stack: TextList = []
    gaps: TextList = []
    recommendations: PartList[TechRecommendation] = []
    data_plan: DataPlan = Field(default_factory=DataPlan)


class Talent(Part):
    """The people available to build and run the learning, and the gaps."""

    available_roles: TextList = []
    gaps: TextList = []
    recommendations: TextList = []


class TechnologyTalent(Part):
    """Technology and talent, side by side."""

    technology: Technology = Field(default_factory=Technology)
    talent: Talent = Field(default_factory=Talent)


class Phase(Part):
    """One phase of delivery."""

    name: Text = ""
    duration_weeks: Annotated[float | None, BeforeValidator(_weeks)] = None
    goals: TextList = []
    activities: TextList = []


class Milestone(Part):
    """A dated entry of the timeline; its end is never before its start."""

    label: Text = ""
    start: IsoDate = ""
    end: IsoDate = ""

    @model_validator(mode="after")
    def _in_order(self) -> Milestone:
        """Refuse a range that ends before it starts."""
        if self.start and self.end and self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


class DeliveryPlan(Part):
    """Phases, dated milestones and the resources they need."""

    phases: PartList[Phase] = []
    timeline: PartList[Milestone] = []
    resources: TextList = []


class SuccessMetric(Part):
    """A measure of success with its baseline and target."""

    metric: Text = ""
    baseline: Text = ""
    target: Text = ""
    timeframe: Text = ""


class LearningAnalytics(Part):
    """Which evaluation levels are reported, and how often."""

    levels: TextList = []
    reporting_cadence: Text = ""


class EvaluationStep(Part):
    """One level of the evaluation plan (Kirkpatrick 1-4, 5 = ROI)."""

    level: Annotated[
        int | None,
        BeforeValidator(_evaluation_level),
        Field(description="1-4 Kirkpatrick, 5 ROI"),
    ] = None
    metric: Text = ""
    method: Text = ""
    when: Text = ""


class Measurement(Part):
    """How success is measured and evaluated."""

    success_metrics: PartList[SuccessMetric] = []
    assessment_strategy: TextList = []
    data_sources: TextList = []
    learning_analytics: LearningAnalytics = Field(default_factory=LearningAnalytics)
    evaluation_plan: PartList[EvaluationStep] = []


class BudgetItem(Part):
    """A cost line as a range; low is never above high."""

    item: Text = ""
    low: Amount = None
    high: Amount = None

    @model_validator(mode="after")
    def _in_order(self) -> BudgetItem:
        """Refuse a range whose low end is above its high end."""
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"low {self.low:g} is above high {self.high:g}")
        return self


class Budget(Part):
    """The cost estimate."""

    currency: Annotated[
        str, BeforeValidator(_currency), Field(description="ISO 4217, e.g. USD")
    ] = ""
    notes: Text = ""
    items: PartList[BudgetItem] = []


class Risk(Part):
    """A risk, how likely and how bad it is, and its mitigation."""

    risk: Text = ""
    mitigation: Text = ""
    severity: Level = None
    likelihood: Level = None


class BusinessCase(Part):
    """Why the investment pays: the cost of doing nothing and the return."""

    cost_of_inaction: Text = ""
    expected_benefits: TextList = []
    roi_estimate: Text = ""
    payback: Text = ""


class Governance(Part):
    """Who sponsors and approves the work, and when it is reviewed."""

    sponsor: Text = ""
    approver: Text = ""
    review_date: IsoDate = ""


class NAReport(Part):
    """A training needs-analysis report (DOMAIN.md §3 and §3.1)."""

    metadata_fields: ClassVar[frozenset[str]] = frozenset({"generated_by"})

    summary: Summary = Field(default_factory=Summary)
    solution: Solution = Field(default_factory=Solution)
    learner_analysis: LearnerAnalysis = Field(default_factory=LearnerAnalysis)
    technology_talent: TechnologyTalent = Field(default_factory=TechnologyTalent)
    delivery_plan: DeliveryPlan = Field(default_factory=DeliveryPlan)
    measurement: Measurement = Field(default_factory=Measurement)
    budget: Budget = Field(default_factory=Budget)
    business_case: BusinessCase = Field(default_factory=BusinessCase)
    risks: PartList[Risk] = []
    governance: Governance = Field(default_factory=Governance)
    next_steps: TextList = []
    generated_by: str = ""


_SECTIONS = frozenset(NAReport.model_fields)


def _unwrap(data: Any) -> Any:
    """Take the report out of a one-key wrapper such as ``{"report": {...}}``."""
    if isinstance(data, dict) and len(data) == 1:
        ((key, inner),) = data.items()
        if key not in _SECTIONS and isinstance(inner, dict):
            return inner
    return data


def _location(loc: tuple[int | str, ...]) -> str:
    """A dotted path such as ``risks[0].severity`` from a pydantic location."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part.isidentifier():
            path += f".{part}" if path else part
    return path


def _describe(error: Any) -> str:
    """One short human-readable line for a pydantic error."""
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "literal_error":
        message = f"{message[0].lower()}{message[1:]}, got {_show(error['input'])}"
    where = _location(error["loc"])
    return f"{where}: {message}" if where else message


def validate_report(data: Any) -> NAReport:
    """Validate and repair report data, or raise :class:`ReportInvalid`."""
    data = _unwrap(data)
    if not isinstance(data, dict | NAReport):
        raise ReportInvalid(
            "The report must be a JSON object.",
            [f"expected a JSON object at the top level, got {_kind(data)}"],
        )
    try:
        return NAReport.model_validate(data)
    except ValidationError as exc:
        errors = [_describe(error) for error in exc.errors()][:MAX_ERRORS]
        count = exc.error_count()
        noun = "problem" if count == 1 else "problems"
        raise ReportInvalid(
            f"The report has {count} {noun}: " + "; ".join(errors[:3]), errors
        ) from None


def report_json_schema() -> dict[str, Any]:
    """The JSON Schema of :class:`NAReport`, for prompts."""
    return NAReport.model_json_schema()


_SKELETON: dict[str, Any] = {
    "summary": {
        "problem_statement": "",
        "current_state": [""],
        "root_causes": [""],
        "objectives": [""],
        "assumptions": [""],
        "unknowns": [""],
        "confidence": 0.6,
        "training_fit": {"verdict": "training|non_training|both", "reasons": [""]},
        "evidence": [""],
    },
    "solution": {
        "delivery_modalities": [{"modality": "", "reason": "", "priority": 1}],
        "target_audiences": [""],
        "key_competencies": [""],
        "content_outline": [""],
        "accessibility_and_inclusion": {"standards": [""], "notes": ""},
        "skill_gaps": [
            {
                "competency": "",
                "audience": "",
                "required_level": "",
                "current_level": "",
                "priority": 1,
                "trainable_on_job": False,
            }
        ],
        "non_training_recommendations": [{"action": "", "owner": ""}],
    },
    "learner_analysis": {
        "profiles": [
            {
                "segment": "",
                "roles": [""],
                "context": "",
                "motivators": [""],
                "constraints": [""],
            }
        ],
        "readiness_risks": [""],
    },
    "technology_talent": {
        "technology": {
            "current_stack": [""],
            "gaps": [""],
            "recommendations": [{"capability": "", "fit": "", "constraints": [""]}],
            "data_plan": {"standards": [""], "integrations": [""]},
        },
        "talent": {"available_roles": [""], "gaps": [""], "recommendations": [""]},
    },
    "delivery_plan": {
        "phases": [
            {"name": "", "duration_weeks": 4, "goals": [""], "activities": [""]}
        ],
        "timeline": [{"label": "", "start": "yyyy-mm-dd", "end": "yyyy-mm-dd"}],
        "resources": [""],
    },
    "measurement": {
        "success_metrics": [
            {"metric": "", "baseline": "", "target": "", "timeframe": ""}
        ],
        "assessment_strategy": [""],
        "data_sources": [""],
        "learning_analytics": {"levels": [""], "reporting_cadence": ""},
        "evaluation_plan": [{"level": 1, "metric": "", "method": "", "when": ""}],
    },
    "budget": {
        "currency": "USD",
        "notes": "",
        "items": [{"item": "", "low": 0, "high": 0}],
    },
    "business_case": {
        "cost_of_inaction": "",
        "expected_benefits": [""],
        "roi_estimate": "",
        "payback": "",
    },
    "risks": [
        {
            "risk": "",
            "mitigation": "",
            "severity": "low|medium|high",
            "likelihood": "low|medium|high",
        }
    ],
    "governance": {"sponsor": "", "approver": "", "review_date": "yyyy-mm-dd"},
    "next_steps": [""],
}

REPORT_SKELETON: str = json.dumps(_SKELETON, ensure_ascii=False, separators=(",", ":"))
