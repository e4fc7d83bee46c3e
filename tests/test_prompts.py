"""What the model (or the offline engine) is told about a starmap."""

from __future__ import annotations

from starmap_tui.storage.repository import Repository
from starmap_tui.worker.prompts import discovery_pairs, report_prompt
from tests.helpers import sample_answers

QUESTIONS = {
    "title": "Deep dive",
    "questions": [
        {
            "id": "skill_now",
            "type": "slider",
            "label": "How skilled are they now?",
            "help": "",
            "min": 1,
            "max": 5,
        },
        {
            "id": "audiences",
            "type": "multi_select",
            "label": "Which groups first?",
            "help": "",
            "options": ["Nurses", "Clerks"],
        },
        {"id": "sponsor", "type": "text", "label": "Who sponsors it?", "help": ""},
    ],
}


async def starmap_with(repo: Repository, answers: dict[str, object]):
    """A starmap whose deep-dive questions exist and carry ``answers``."""
    record = await repo.create_starmap(
        "Prompted", stage_answers=sample_answers(), dynamic_answers=answers
    )
    await repo.enqueue(record.id, "questions")
    job = await repo.claim("w", 30, provider="p", model="m")
    await repo.complete_job(job.id, "w", result=QUESTIONS)
    return await repo.get_starmap(record.id)


async def test_answers_are_given_with_their_question_labels(repo: Repository):
    record = await starmap_with(repo, {"skill_now": 2, "audiences": ["Clerks"]})

    pairs = discovery_pairs(record)
    prompt = report_prompt(record, "final")

    assert pairs == [
        ("How skilled are they now?", "2"),
        ("Which groups first?", "Clerks"),
        ("Who sponsors it?", ""),
    ]
    assert "Q: Which groups first?\n  A: Clerks" in prompt
    assert "skill_now" not in prompt
    assert "Q: Who sponsors it?\n  A: (not answered: treat as unknown)" in prompt


async def test_an_answer_that_does_not_fit_its_question_counts_as_unanswered(
    repo: Repository,
):
    record = await starmap_with(repo, {"skill_now": 9, "audiences": ["Clerks"]})

    assert dict(discovery_pairs(record))["How skilled are they now?"] == ""
    assert record.dynamic_answers["skill_now"] == 9
