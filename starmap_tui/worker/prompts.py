"""The text a model reads for each step, built from DOMAIN.md's contracts.

The same facts also travel as structured ``context`` so the offline engine can
work from them by rules.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from starmap_tui.questionnaire.display import labelled_answers
from starmap_tui.questionnaire.normalise import question_set_from_dict
from starmap_tui.questionnaire.stages import STATIC_STAGES
from starmap_tui.questionnaire.validation import coerce_value, validate_value
from starmap_tui.report.model import REPORT_SKELETON
from starmap_tui.storage.records import StarmapRecord

SYSTEM = (
    "You are a senior instructional designer running a training needs analysis. "
    "You answer with one JSON object and nothing else: no prose, no code fences."
)

QUESTIONS_CONTRACT = """\
Write 6 to 9 follow-up questions that ask only what the answers above leave open.
Rules:
- Cover each of these at least once: delivery modalities, target audiences, key
  competencies, content outline. Also probe where open: learner profile (tech
  comfort, motivation, accessibility, language, time available), technology and
  talent gaps, measurement, risks, the evidence behind the request, the sponsor,
  and the cost of doing nothing.
- Mix field types: text, textarea, single_select, multi_select, calendar_date,
  calendar_range, slider, number, boolean. Selects need options.
- Labels at most 14 words; help at most 20 words. Never ask for personal data.
- Depth follows the experience level: plain wording and narrow choices for a
  novice; assumption checks for an expert.
Answer with JSON of this shape:
{"title": "...", "questions": [{"id": "snake_case_id", "type": "single_select",
 "label": "...", "help": "...", "required": false, "options": ["..."],
 "min": 0, "max": 100, "step": 1, "unit": "%", "placeholder": "..."}]}"""

REPORT_RULES = """\
Rules:
- Lists hold 3 to 6 items; free text at most 50 words per item; ISO dates
  (yyyy-mm-dd); amounts as plain numbers.
- Never invent facts: what the answers cannot support stays empty and its
  question goes to summary.unknowns.
- Tie every recommendation to an objective, the audience, a constraint, the
  timeline or the budget. Phases fit inside the project timeline; budget items
  sum inside the budget range. Safety and regulatory gaps take priority 1.
Answer with one JSON object of this shape (all keys; empty where unknown):"""


def answers_block(record: StarmapRecord) -> str:
    """The static answers as 'label: answer' lines, stage by stage."""
    lines: list[str] = []
    answers = record.answers
    for stage in STATIC_STAGES:
        pairs = labelled_answers(stage.fields, answers)
        if pairs:
            lines.append(f"## {stage.title}")
            lines.extend(f"- {label}: {value}" for label, value in pairs)
    return "\n".join(lines)


def usable_dynamic_answers(record: StarmapRecord) -> dict[str, Any]:
    """The deep-dive answers that are valid for their question.

    Answers from a file arrive before the questions exist, so one may not fit
    (a 9 on a 1-5 scale). It stays stored as given, but generation treats it
    as unanswered, so it becomes an unknown instead of a wrong fact.
    """
    if not record.dynamic_questions:
        return dict(record.dynamic_answers)
    fields = {f.id: f for f in question_set_from_dict(record.dynamic_questions).fields}
    usable: dict[str, Any] = {}
    for key, value in record.dynamic_answers.items():
        field = fields.get(key)
        if field is None:
            usable[key] = value
            continue
        value = coerce_value(field, value)
        if validate_value(field, value) is None:
            usable[key] = value
    return usable


def discovery_pairs(record: StarmapRecord) -> list[tuple[str, str]]:
    """Every deep-dive question's label with its answer ("" when unanswered).

    Labels, never bare ids: the final prompt and the Q&A appendix must make
    sense on their own.
    """
    if not record.dynamic_questions:
        return []
    questions = question_set_from_dict(record.dynamic_questions)
    answers = usable_dynamic_answers(record)
    answered = dict(labelled_answers(questions.fields, answers))
    return [(f.label, answered.get(f.label, "")) for f in questions.fields]


def build_context(record: StarmapRecord, extra_context: str = "") -> dict[str, Any]:
    """The structured facts for one step (what the offline engine reads)."""
    return {
        "title": record.title,
        "experience_level": record.experience_level,
        "answers": record.answers,
        "dynamic_questions": (record.dynamic_questions or {}).get("questions", []),
        "dynamic_answers": usable_dynamic_answers(record),
        "extra_context": extra_context,
        "today": date.today().isoformat(),
    }


def questions_prompt(record: StarmapRecord) -> str:
    """The prompt for the deep-dive questions."""
    level = record.experience_level or "not given"
    return (
        f"Starmap: {record.title}\nExperience level of the person: {level}\n\n"
        f"{answers_block(record)}\n\n{QUESTIONS_CONTRACT}"
    )


def report_prompt(record: StarmapRecord, kind: str, extra_context: str = "") -> str:
    """The prompt for the preliminary or final report."""
    parts = [
        f"Starmap: {record.title}",
        f"Experience level of the person: {record.experience_level or 'not given'}",
        answers_block(record),
    ]
    if kind == "final":
        pairs = discovery_pairs(record)
        qa = "\n".join(
            f"- Q: {q}\n  A: {a or '(not answered: treat as unknown)'}"
            for q, a in pairs
        )
        parts.append("## Deep-dive answers\n" + (qa or "(none given)"))
    else:
        parts.append(
            "This is a preliminary report from the first three stages only: list "
            "what is still open in summary.unknowns and keep confidence modest."
        )
    if extra_context.strip():
        parts.append("## Added context from the user\n" + extra_context.strip())
    parts.append(f"Write the needs-analysis report.\n{REPORT_RULES}\n{REPORT_SKELETON}")
    return "\n\n".join(parts)
