"""One generation step: prompt, stream, extract, validate, repair, render.

The runner calls :func:`run_step`; it raises the provider's typed errors so the
runner can decide between retrying later and failing for good.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

from starmap_tui.questionnaire.normalise import QuestionsInvalid, normalise_questions
from starmap_tui.report.extract import ExtractionError, extract_json
from starmap_tui.report.markdown import render_markdown
from starmap_tui.report.model import NAReport, ReportInvalid, validate_report
from starmap_tui.storage.records import StarmapRecord
from starmap_tui.worker import prompts
from starmap_tui.worker.offline.facts import read_budget, read_timeline
from starmap_tui.worker.providers.base import (
    GenerationRequest,
    OutputTruncated,
    PermanentError,
    Provider,
    TransientError,
)

# Rough sizes of a finished answer, for a progress percent that means something.
EXPECTED_CHARS = {"questions": 3_500, "preliminary": 11_000, "final": 14_000}
REPAIR_TRIES = 2
MAX_TOKENS_CEILING = 32_768
PROBLEM_LIMIT = 300
# How far past the timeline or budget a report may go before it is repaired.
FIT_SLACK = 1.5
# A full 32k-token report is about 130,000 characters.
MAX_ANSWER_CHARS = 2_000_000

ProgressCallback = Callable[[int, str, float | None], None]


@dataclass(frozen=True)
class StepResult:
    """What a finished step stores: validated JSON, Markdown, the prompt, raw text."""

    result: dict[str, Any]
    markdown: str | None
    prompt: str
    raw_output: str


class OutputUnusable(PermanentError):
    """The model kept answering with something we cannot use."""

    def __init__(self, message: str, raw_output: str) -> None:
        super().__init__(message)
        self.raw_output = raw_output


@dataclass
class Progress:
    """Turns streamed characters into a percent that never goes backwards."""

    expected: int
    report: ProgressCallback
    started: float = 0.0
    percent: int = 0

    def update(self, chars: int, phase: str) -> None:
        """Report progress for ``chars`` characters received so far."""
        fraction = min(chars / max(self.expected, 1), 0.97)
        percent = max(self.percent, int(fraction * 100))
        elapsed = time.monotonic() - self.started
        eta = elapsed * (1 - fraction) / fraction if fraction > 0.02 else None
        self.percent = percent
        self.report(percent, phase, eta)


def build_request(
    record: StarmapRecord,
    kind: str,
    *,
    model: str,
    temperature: float,
    max_tokens: int,
    extra_context: str = "",
) -> GenerationRequest:
    """The request for one step of one starmap."""
    if kind == "questions":
        prompt = prompts.questions_prompt(record)
    else:
        prompt = prompts.report_prompt(record, kind, extra_context)
    return GenerationRequest(
        kind=kind,  # type: ignore[arg-type]
        system=prompts.SYSTEM,
        prompt=prompt,
        context=prompts.build_context(record, extra_context),
        model=model,
        temperature=temperature,
        max_tokens=max_tokens,
    )


async def run_step(
    provider: Provider,
    record: StarmapRecord,
    request: GenerationRequest,
    on_progress: ProgressCallback,
    *,
    source: str = "",
) -> StepResult:
    """Generate, check and render one step, repairing bad output a few times."""
    progress = Progress(EXPECTED_CHARS[request.kind], on_progress, time.monotonic())
    base_prompt = request.prompt
    problem = ""
    raw = ""
    for attempt in range(REPAIR_TRIES + 1):
        if problem:
            request.prompt = f"{base_prompt}\n\n{repair_hint(problem)}"
        raw = await _stream_with_room(provider, request, progress, attempt)
        try:
            result, markdown = interpret(
                record,
                request.kind,
                raw,
                source,
                check_fit=not str(request.context.get("extra_context", "")).strip(),
            )
        except (ExtractionError, QuestionsInvalid, ReportInvalid) as exc:
            problem = describe(exc)
            continue
        return StepResult(result, markdown, base_prompt, raw)
    raise OutputUnusable(
        f"The model's answer could not be used after {REPAIR_TRIES + 1} tries "
        f"({problem}). Try another model, or press Retry.",
        raw,
    )


async def _stream_with_room(
    provider: Provider,
    request: GenerationRequest,
    progress: Progress,
    attempt: int,
) -> str:
    """Stream one answer; when cut off at the token limit, ask again with room."""
    while True:
        phase = "Writing" if attempt == 0 else f"Repairing (try {attempt + 1})"
        try:
            return await _collect(provider, request, progress, phase)
        except OutputTruncated as exc:
            if request.max_tokens >= MAX_TOKENS_CEILING:
                raise PermanentError(
                    f"The answer was cut off at the token limit even with "
                    f"{request.max_tokens} tokens. Use a model with a larger output "
                    "limit, or shorten the answers."
                ) from exc
            request.max_tokens = min(request.max_tokens * 2, MAX_TOKENS_CEILING)


async def _collect(
    provider: Provider, request: GenerationRequest, progress: Progress, phase: str
) -> str:
    parts: list[str] = []
    size = 0
    # aclosing: a cancelled step must close the HTTP stream at once.
    async with aclosing(provider.stream(request)) as stream:
        async for chunk in stream:
            parts.append(chunk)
            size += len(chunk)
            if size > MAX_ANSWER_CHARS:
                raise PermanentError(
                    f"The model's answer grew past {MAX_ANSWER_CHARS:,} characters, "
                    "far more than any report: the answer was too large to use. "
                    "Check the model and the base URL."
                )
            progress.update(size, phase)
    text = "".join(parts)
    if not text.strip():
        raise TransientError("The model returned an empty answer.")
    return text


def interpret(
    record: StarmapRecord,
    kind: str,
    raw: str,
    source: str = "",
    *,
    check_fit: bool = True,
) -> tuple[dict[str, Any], str | None]:
    """Extract, validate and (for reports) render a model's answer.

    ``source`` names the provider and model; it becomes the report's
    provenance line unless the generator named itself. ``check_fit`` holds
    the report to the questionnaire's timeline and budget; added context may
    change both, so a regeneration with it is not held to them.
    """
    data = extract_json(
        raw, prefer=_looks_like_questions if kind == "questions" else _looks_like_report
    )
    if kind == "questions":
        return normalise_questions(data).to_dict(), None
    report = validate_report(data)
    if report.is_empty():
        raise ReportInvalid(
            "the report is empty", ["the answer held no report sections at all"]
        )
    misfits = fit_problems(report, record.answers) if check_fit else []
    if misfits:
        raise ReportInvalid("the report does not fit the project", misfits)
    if not report.generated_by and source:
        report.generated_by = source
    markdown = render_markdown(
        report,
        title=record.title,
        qa=prompts.discovery_pairs(record) if kind == "final" else [],
        preliminary=kind == "preliminary",
    )
    return report.model_dump(mode="json"), markdown


def _looks_like_questions(value: Any) -> bool:
    """Whether a JSON candidate is a usable set of deep-dive questions."""
    try:
        normalise_questions(value)
    except (QuestionsInvalid, ValueError, TypeError, AttributeError):
        return False
    return True


def _looks_like_report(value: Any) -> bool:
    """Whether a JSON candidate is a report with at least one section."""
    try:
        return not validate_report(value).is_empty()
    except (ReportInvalid, ValueError, TypeError, AttributeError):
        return False


def fit_problems(report: NAReport, answers: dict[str, Any]) -> list[str]:
    """Where the report's plan or costs are far outside the project's own limits.

    DOMAIN.md §3.2: phases fit inside the project timeline and budget items sum
    inside the budget range. A little overrun is a judgement call; several
    times the limit is a model that lost track, so it is sent back to repair.
    """
    problems: list[str] = []
    timeline = read_timeline(answers.get("project_timeline"))
    weeks = sum(p.duration_weeks or 0 for p in report.delivery_plan.phases)
    if timeline is not None:
        allowed = timeline.days / 7
        if weeks > allowed * FIT_SLACK + 2:
            problems.append(
                f"delivery_plan.phases: the phases add up to {weeks:,.0f} weeks, but "
                f"the project timeline ({timeline.start} to {timeline.end}) is "
                f"{allowed:.0f} weeks; fit the phases inside it"
            )
    budget = read_budget(answers.get("project_budget_range"))
    cost = sum(i.high or i.low or 0 for i in report.budget.items)
    if budget.ceiling is not None and cost > budget.ceiling * FIT_SLACK:
        problems.append(
            f"budget.items: the items add up to {cost:,.0f}, but the budget range "
            f"is {budget.label}; fit the items inside it"
        )
    return problems


def describe(exc: Exception) -> str:
    """A short description of why an answer was unusable."""
    errors = getattr(exc, "errors", None)
    text = "; ".join(str(e) for e in list(errors)[:8]) if errors else str(exc)
    if len(text) > PROBLEM_LIMIT:
        # The reason is shown to people and sent back in the repair hint; a
        # model's huge value quoted in it helps neither.
        text = text[: PROBLEM_LIMIT - 1].rstrip() + "…"
    return text


def repair_hint(problem: str) -> str:
    """The note appended to the prompt when the last answer was unusable."""
    return (
        "Your previous answer could not be used: "
        f"{problem}\nAnswer again with only the corrected JSON object."
    )
