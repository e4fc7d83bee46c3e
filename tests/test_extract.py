"""Lenient JSON extraction from model replies, and its refusal of cut-off output."""

from __future__ import annotations

import json

import pytest

from starmap_tui.report.extract import ExtractionError, extract_json

REPORT = {
    "summary": {"problem_statement": 'Reps say "the {pitch} is [stale]"'},
    "next_steps": ["Book SMEs", "Confirm sponsor"],
}
REPORT_TEXT = json.dumps(REPORT, indent=2)
# Written as escapes so that the curly quotes are unmistakable in the source.
OPEN, CLOSE, OPEN1, CLOSE1 = "\u201c", "\u201d", "\u2018", "\u2019"


def _fails(text: str) -> ExtractionError:
    """The error extracting from ``text`` raises (it must raise)."""
    with pytest.raises(ExtractionError) as info:
        extract_json(text)
    return info.value


# --- what must be found -----------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        REPORT_TEXT,
        f"```json\n{REPORT_TEXT}\n```",
        f"```JSON\n{REPORT_TEXT}\n```",
        f"```\n{REPORT_TEXT}\n```",
        f"Here is the report you asked for:\n\n```json\n{REPORT_TEXT}\n```\nThanks!",
        f"Sure! Here it is: {REPORT_TEXT} Let me know if you need changes.",
        f"\ufeff{REPORT_TEXT}",
        f"  \n\n{REPORT_TEXT}\n\n  ",
    ],
    ids=["bare", "json-fence", "upper-fence", "plain-fence", "fence+prose",
         "prose", "bom", "whitespace"],
)  # fmt: skip
def test_the_report_is_found_however_it_is_wrapped(text: str) -> None:
    assert extract_json(text) == REPORT


def test_a_think_block_with_braces_is_skipped() -> None:
    text = (
        '<think>Maybe {"summary": {"problem_statement": "draft"}} or [1, 2]? '
        "No, let me redo it.</think>\n" + REPORT_TEXT
    )

    assert extract_json(text) == REPORT


def test_a_reasoning_block_is_skipped() -> None:
    text = f'<reasoning>{{"x": 1}}</reasoning>\n```json\n{REPORT_TEXT}\n```'

    assert extract_json(text) == REPORT


def test_several_think_blocks_in_any_case_are_skipped() -> None:
    text = f'<THINK>{{"a": 1}}</THINK> hmm <think>[2]</think> {REPORT_TEXT}'

    assert extract_json(text) == REPORT


def test_a_closing_think_tag_without_its_opener_ends_the_reasoning() -> None:
    text = f'The user wants {{"a": 1}} style output.\n</think>\n\n{REPORT_TEXT}'

    assert extract_json(text) == REPORT


def test_an_unclosed_think_at_the_start_yields_the_answer_after_it() -> None:
    text = f'<think>\nFirst draft: {{"a": 1}}. Better:\n{REPORT_TEXT}'

    assert extract_json(text) == REPORT


def test_an_unclosed_think_with_no_answer_is_cut_off() -> None:
    error = _fails("<think>\nLet me consider the audience and the budget")

    assert error.truncated
    assert "reasoning" in str(error)


def test_smart_quotes_used_as_json_quotes_are_straightened() -> None:
    text = (
        f"{{{OPEN}summary{CLOSE}: {{{OPEN}problem_statement{CLOSE}: "
        f"{OPEN}Win rate fell{CLOSE}}}, {OPEN1}next_steps{CLOSE1}: [{OPEN1}a{CLOSE1}]}}"
    )

    assert extract_json(text) == {
        "summary": {"problem_statement": "Win rate fell"},
        "next_steps": ["a"],
    }


def test_smart_quotes_inside_proper_strings_are_kept() -> None:
    note = f"He said {OPEN}ship it{CLOSE}, and it{CLOSE1}s done"

    assert extract_json(json.dumps({"note": note}, ensure_ascii=False)) == {
        "note": note
    }


def test_trailing_commas_are_removed_but_commas_in_strings_stay() -> None:
    text = '{"a": [1, 2, 3,], "b": {"c": "x,}",}, "d": ", ]",}'

    assert extract_json(text) == {"a": [1, 2, 3], "b": {"c": "x,}"}, "d": ", ]"}


def test_nested_braces_and_escaped_quotes_in_strings_do_not_confuse_it() -> None:
    value = {"s": 'a "quoted" {brace} [bracket] \\ back\\slash }]', "n": [{"m": {}}]}
    text = "prefix " + json.dumps(value) + " suffix {not json}"

    assert extract_json(text) == value


def test_a_top_level_array_is_returned() -> None:
    assert extract_json('Questions:\n[{"id": "q1"}, {"id": "q2"},]') == [
        {"id": "q1"},
        {"id": "q2"},
    ]


def test_the_first_complete_object_wins() -> None:
    assert extract_json('{"first": 1}\n{"second": 2}') == {"first": 1}


def test_a_fenced_block_wins_over_json_like_prose_before_it() -> None:
    text = 'Shape: {"example": true}\n```json\n{"real": true}\n```'

    assert extract_json(text) == {"real": True}


def test_fences_inside_a_json_string_do_not_end_the_block() -> None:
    value = {"markdown": "```bash\nls\n```"}
    text = f"```json\n{json.dumps(value)}\n```"

    assert extract_json(text) == value


def test_prose_braces_that_are_not_json_are_passed_over() -> None:
    text = 'Use {placeholders} and [notes] freely. {"ok": true}'

    assert extract_json(text) == {"ok": True}


def test_raw_newlines_inside_strings_are_accepted() -> None:
    assert extract_json('{"text": "line one\nline two"}') == {
        "text": "line one\nline two"
    }


# --- what must be refused ---------------------------------------------------


@pytest.mark.parametrize(
    "cut",
    [
        len(REPORT_TEXT) - 1,
        len(REPORT_TEXT) // 2,
        REPORT_TEXT.index("[stale]") + 3,
        REPORT_TEXT.index('"Book SMEs"') + 4,
    ],
    ids=["last-brace", "middle", "inside-string-brackets", "inside-list"],
)
def test_truncated_json_raises_and_never_returns_a_part(cut: int) -> None:
    error = _fails("Here you go:\n```json\n" + REPORT_TEXT[:cut])

    assert error.truncated
    assert "cut off" in str(error)


def test_truncation_after_a_complete_inner_object_still_raises() -> None:
    text = '{"summary": {"problem_statement": "x"}, "solution": {"target_'

    assert _fails(text).truncated


def test_a_cut_off_string_ending_in_a_backslash_raises() -> None:
    assert _fails('{"a": "ends with \\').truncated


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no text"),
        ("   \n", "no text"),
        ("I could not produce a report.", "No JSON"),
        ("```json\n```", "No JSON"),
        ('{"a": 1 "b": 2}', "invalid"),
        ('{"a": [1, 2}', "Mismatched"),
    ],
)
def test_unusable_replies_raise_clear_errors(text: str, message: str) -> None:
    error = _fails(text)

    assert message in str(error)
    assert not error.truncated


def test_an_invalid_object_is_never_mined_for_inner_objects() -> None:
    error = _fails('{"outer": {"inner": 1} "missing comma": 2}')

    assert "invalid" in str(error)


# --- speed ------------------------------------------------------------------


def _big_reply() -> str:
    """About 50 KB of prose, reasoning and braces-heavy JSON with trailing commas."""
    items = [{"text": f'item {n} {{x}} [y] "q"', "n": n} for n in range(900)]
    body = json.dumps({"items": items}, indent=1).replace("\n ]", ",\n ]")
    return "<think>" + "{draft} " * 300 + "</think>\nSure:\n```json\n" + body + "\n```"


def test_a_fifty_kilobyte_reply_is_parsed() -> None:
    text = _big_reply()
    assert len(text) > 50_000

    value = extract_json(text)

    assert len(value["items"]) == 900


def test_a_fifty_kilobyte_truncated_reply_is_refused_as_cut_off() -> None:
    text = _big_reply()[:-10_000]

    error = _fails(text)

    assert error.truncated


# --- output that parses in principle but cannot be used ----------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('{"summary": {"problem_statement": "Reps \\ud800 stall"}}', "surrogate"),
        ("[" * 100_000 + "]" * 100_000, "nested"),
        ('{"summary": {"confidence": ' + "9" * 5000 + "}}", "digits"),
    ],
    ids=["lone-surrogate", "deep-nesting", "huge-number"],
)
def test_unusable_json_is_a_readable_extraction_error(text: str, words: str) -> None:
    error = _fails(text)

    assert words in str(error)
    assert len(str(error)) < 200
    assert not error.truncated


# --- choosing among several candidates --------------------------------------


def _is_report(value: object) -> bool:
    return isinstance(value, dict) and "summary" in value


def test_a_small_object_in_prose_loses_to_the_preferred_one() -> None:
    text = f'Note: I kept "confidence" at {{"value": 0.4}}.\n\n{REPORT_TEXT}'

    assert extract_json(text, prefer=_is_report) == REPORT


def test_without_a_preferred_candidate_the_largest_is_taken() -> None:
    text = f'Note: {{"value": 0.4}} then {REPORT_TEXT}'

    assert extract_json(text, prefer=lambda value: False) == REPORT


def test_a_cut_off_answer_after_a_small_object_is_still_cut_off() -> None:
    text = f'Note: {{"value": 0.4}} then {REPORT_TEXT[:-20]}'

    with pytest.raises(ExtractionError) as info:
        extract_json(text, prefer=_is_report)

    assert info.value.truncated
