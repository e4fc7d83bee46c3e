"""Markdown rendering of a report and the three export formats."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any

from markdown_it import MarkdownIt

from starmap_tui.report.export import (
    JSON_FORMAT,
    to_html,
    to_json_document,
    to_markdown,
)
from starmap_tui.report.markdown import PRELIMINARY_NOTICE, render_markdown
from starmap_tui.report.model import NAReport, validate_report

SECTION_ORDER = [
    "Executive Summary",
    "Recommended Solution",
    "Learner Analysis",
    "Technology & Talent",
    "Delivery Plan",
    "Measurement",
    "Budget",
    "Business Case",
    "Risks",
    "Governance",
    "Next Steps",
    "Discovery Q&A",
]

FULL: dict[str, Any] = {
    "generated_by": "offline engine",
    "summary": {
        "problem_statement": "Win rate fell from 24% to 18%.",
        "objectives": ["Raise win rate to 22%"],
        "unknowns": ["Who owns the budget"],
        "confidence": 0.65,
        "training_fit": {"verdict": "both", "reasons": ["Skills and process gaps"]},
        "evidence": ["CRM win-loss data"],
    },
    "solution": {
        "delivery_modalities": [{"modality": "Blended", "reason": "Remote reps"}],
        "skill_gaps": [
            {
                "competency": "Discovery calls",
                "audience": "New AEs",
                "required_level": "Proficient",
                "current_level": "Basic",
                "priority": 1,
                "trainable_on_job": True,
            }
        ],
        "non_training_recommendations": [
            {"action": "Call checklist", "owner": "Sales ops"}
        ],
    },
    "learner_analysis": {"profiles": [{"segment": "New AEs", "roles": ["AE"]}]},
    "technology_talent": {"technology": {"current_stack": ["Zoom", "LMS"]}},
    "delivery_plan": {
        "phases": [{"name": "Design", "duration_weeks": 4, "goals": ["Outline"]}],
        "timeline": [{"label": "Pilot", "start": "2025-01-06", "end": "2025-02-28"}],
    },
    "measurement": {
        "success_metrics": [{"metric": "Win rate", "baseline": "18%", "target": "22%"}],
        "evaluation_plan": [{"level": 3, "metric": "Call quality", "method": "Obs"}],
    },
    "budget": {
        "currency": "USD",
        "items": [
            {"item": "Design", "low": 10000, "high": 15000},
            {"item": "Pilot", "low": 2500, "high": 4000.5},
        ],
    },
    "business_case": {"cost_of_inaction": "Lost deals", "roi_estimate": "150%"},
    "risks": [{"risk": "Low uptake", "mitigation": "Coaching", "severity": "high"}],
    "governance": {"sponsor": "VP Sales", "review_date": "2025-06-30"},
    "next_steps": ["Confirm sponsor", "Book SMEs"],
}
QA = [("Your name", "Jane Doe"), ("Primary objectives", "Raise win rate")]


def _headings(markdown: str, level: int) -> list[str]:
    """The text of every heading of one level, in order."""
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    return [
        tokens[n + 1].content
        for n, token in enumerate(tokens)
        if token.type == "heading_open" and token.tag == f"h{level}"
    ]


def _section(markdown: str, title: str) -> str:
    """The body of one ``##`` section."""
    match = re.search(
        rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", markdown, re.M | re.S
    )
    assert match, f"no section {title!r}"
    return match.group(1)


def _render(data: dict[str, Any], **options: Any) -> str:
    """Markdown for report data, titled "Acme sales", with the default Q&A."""
    options.setdefault("qa", QA)
    return render_markdown(validate_report(data), title="Acme sales", **options)


# --- Markdown layout ---------------------------------------------------------


def test_sections_come_in_the_order_of_the_domain() -> None:
    markdown = _render(FULL)

    assert _headings(markdown, 1) == ["Acme sales"]
    assert _headings(markdown, 2) == SECTION_ORDER


def test_sections_without_data_are_left_out() -> None:
    markdown = _render(
        {"risks": [{"risk": "Low uptake"}], "budget": {"currency": "USD"}}
    )

    assert _headings(markdown, 2) == ["Risks", "Discovery Q&A"]


def test_an_empty_report_without_answers_is_just_the_title() -> None:
    markdown = render_markdown(NAReport(), title="Empty", qa=[])

    assert markdown == "# Empty\n"


def test_the_summary_carries_training_fit_and_evidence() -> None:
    summary = _section(_render(FULL), "Executive Summary")

    assert "### Training fit" in summary
    assert "Training together with non-training actions" in summary
    assert "- CRM win-loss data" in summary
    assert "**Confidence:** 65%" in summary
    assert summary.index("Training fit") < summary.index("Evidence")


def test_the_solution_carries_skill_gaps_and_non_training_actions() -> None:
    solution = _section(_render(FULL), "Recommended Solution")

    assert "| 1 | Discovery calls | New AEs | Proficient | Basic | yes |" in solution
    assert "| Call checklist | Sales ops |" in solution


def test_measurement_carries_the_evaluation_plan() -> None:
    measurement = _section(_render(FULL), "Measurement")

    assert "| Win rate | 18% | 22% | — |" in measurement
    assert "| 3 Behaviour | Call quality | Obs | — |" in measurement


def test_the_budget_table_has_a_total_row_and_the_currency() -> None:
    budget = _section(_render(FULL), "Budget")

    assert "| Item | Low (USD) | High (USD) |" in budget
    assert "| Design | 10,000 | 15,000 |" in budget
    assert "| **Total** | 12,500 | 19,000.50 |" in budget


def test_the_total_is_left_blank_when_an_amount_is_missing() -> None:
    items = [{"item": "Design", "low": 100, "high": 200}, {"item": "Pilot", "high": 50}]

    budget = _section(_render({"budget": {"items": items}}), "Budget")

    assert "| **Total** | — | 250 |" in budget


def test_delivery_plan_tables() -> None:
    plan = _section(_render(FULL), "Delivery Plan")

    assert "| Design | 4 | Outline | — |" in plan
    assert "| Pilot | 2025-01-06 | 2025-02-28 |" in plan


def test_the_provenance_line_names_the_generator() -> None:
    markdown = _render(FULL)

    assert "*Generated by offline engine.*" in markdown
    assert PRELIMINARY_NOTICE not in markdown


def test_a_preliminary_report_says_so_before_any_section() -> None:
    markdown = _render(FULL, preliminary=True)

    assert PRELIMINARY_NOTICE in markdown
    assert "stages 1–3" in PRELIMINARY_NOTICE  # noqa: RUF001 - the spec's dash
    assert "supersede" in PRELIMINARY_NOTICE
    assert markdown.index(PRELIMINARY_NOTICE) < markdown.index("## Executive Summary")


def test_the_discovery_appendix_lists_every_question_and_answer() -> None:
    qa = [("Your name", "Jane"), ("Budget range", ""), ("Audience", "Reps\nManagers")]

    appendix = _section(_render(FULL, qa=qa), "Discovery Q&A")

    assert "- **Your name:** Jane" in appendix
    assert "- **Budget range:** *(no answer)*" in appendix
    assert "- **Audience:** Reps\\\n  Managers" in appendix


def test_pipes_in_table_cells_do_not_add_columns() -> None:
    data = {"risks": [{"risk": "a | b", "mitigation": "c|d", "severity": "low"}]}

    html = to_html(_render(data, qa=[]), title="t")

    row = re.findall(r"<tr>\s*(.*?)\s*</tr>", html, re.S)[1]
    cells = re.findall(r"<td>(.*?)</td>", row)
    assert cells == ["a | b", "low", "—", "c|d"]


def test_answers_cannot_open_headings_lists_or_markup() -> None:
    qa = [("# Label", "## not a heading\n- not a list\n1. not ordered\n<b>x</b>")]
    data = {"summary": {"problem_statement": "# Big *bold* [link](http://x)"}}

    markdown = _render(data, qa=qa)
    html = MarkdownIt("commonmark", {"html": False}).render(markdown)

    assert _headings(markdown, 1) == ["Acme sales"]
    assert _headings(markdown, 2) == ["Executive Summary", "Discovery Q&A"]
    assert "<em>" not in html
    assert "<a " not in html
    assert "<b>" not in html
    assert html.count("<li>") == 1
    assert "# Big *bold* [link](http://x)" in html


def test_escaping_keeps_ordinary_words_readable() -> None:
    data = {"next_steps": ["Update the snake_case ids in R&D's LMS"]}

    assert "1. Update the snake_case ids in R&D's LMS" in _render(data)


def test_the_title_is_escaped() -> None:
    markdown = render_markdown(NAReport(), title="*Acme* <b>", qa=[])

    assert markdown == "# \\*Acme\\* \\<b\\>\n"


# --- exports ------------------------------------------------------------------


def test_markdown_export_ends_in_exactly_one_newline() -> None:
    assert to_markdown("# T\n\ntext") == "# T\n\ntext\n"
    assert to_markdown("# T\n\n") == "# T\n"


class _Page(HTMLParser):
    """Collects the tags and the title of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Note a tag and whether the title starts."""
        self.tags.append(tag)
        self._in_title = tag == "title"

    def handle_data(self, data: str) -> None:
        """Keep the title's text."""
        if self._in_title:
            self.title += data

    def handle_endtag(self, tag: str) -> None:
        """Note that the title ended."""
        self._in_title = False


def test_html_export_is_a_standalone_page() -> None:
    page_html = to_html(_render(FULL), title="Acme <sales> & co")
    page = _Page()
    page.feed(page_html)

    assert page_html.startswith("<!DOCTYPE html>")
    assert page.title == "Acme <sales> & co"
    assert {"html", "head", "meta", "style", "body", "h1", "h2", "table"} <= set(
        page.tags
    )
    assert "<link" not in page_html
    assert "src=" not in page_html
    assert "http" not in page_html.split("<body>")[0].replace("http-equiv", "")


def test_html_export_escapes_script_from_answers() -> None:
    markdown = "# T\n\n<script>alert('x')</script>\n\n<img src=x onerror=alert(1)>\n"

    page_html = to_html(markdown, title="T")

    assert "<script" not in page_html
    assert "<img" not in page_html
    assert "&lt;script&gt;" in page_html


def test_html_export_renders_tables() -> None:
    page_html = to_html("| a | b |\n|---|---|\n| 1 | 2 |\n", title="T")

    assert "<table>" in page_html
    assert "<td>2</td>" in page_html


def test_json_export_round_trips_and_carries_what_new_reads() -> None:
    report = validate_report(FULL)
    answers = {"requester_name": "Jane", "project_timeline": {"start": "2025-01-06"}}
    questions = [{"id": "q1", "type": "text", "label": "Who?"}]

    text = to_json_document(
        title="Acme sales",
        answers=answers,
        dynamic_questions=questions,
        dynamic_answers={"q1": "Reps"},
        report=report.model_dump(mode="json"),
        markdown=_render(FULL),
        status="completed",
        experience_level="Expert (seasoned practitioner)",
    )
    document = json.loads(text)

    assert document["format"] == JSON_FORMAT
    assert document["title"] == "Acme sales"
    assert document["answers"] == answers
    assert document["dynamic_answers"] == {"q1": "Reps"}
    assert document["dynamic_questions"] == questions
    assert document["status"] == "completed"
    assert document["experience_level"] == "Expert (seasoned practitioner)"
    assert validate_report(document["report"]) == report
    assert document["markdown"] == _render(FULL)
    assert text.endswith("}\n")


def test_json_export_of_a_draft_without_a_report() -> None:
    document = json.loads(
        to_json_document(
            title="Draft – ünïcode",  # noqa: RUF001 - non-ASCII on purpose
            answers={},
            dynamic_questions=None,
            dynamic_answers={},
            report=None,
            markdown=None,
            status="draft",
            experience_level=None,
        )
    )

    assert document["report"] is None
    assert document["markdown"] is None
    assert document["title"] == "Draft – ünïcode"  # noqa: RUF001


def test_the_json_export_refuses_numbers_json_cannot_carry() -> None:
    import pytest

    from starmap_tui.report.export import ExportNotJSON, to_json_document

    with pytest.raises(ExportNotJSON, match="not finite"):
        to_json_document(
            title="Odd",
            answers={"stage3": {"budget": float("nan")}},
            dynamic_questions=[],
            dynamic_answers={},
            report=None,
            markdown=None,
            status="draft",
            experience_level=None,
        )
