"""Pull one JSON value out of a model's reply, whatever is wrapped around it.

Models wrap their JSON in code fences, reasoning blocks and prose, use smart
quotes, leave trailing commas, or stop at the token limit. Everything but the
last can be repaired; a reply that was cut off is always an error, never a
partial object.
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

_DECODER = json.JSONDecoder(strict=False)
_THINK_BLOCK = re.compile(
    r"<(think|thinking|reasoning)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL
)
_THINK_CLOSE = re.compile(r"</(?:think|thinking|reasoning)\s*>", re.IGNORECASE)
_THINK_OPEN = re.compile(r"^\s*<(?:think|thinking|reasoning)\b[^>]*>", re.IGNORECASE)
_SMART_QUOTES = "\u201c\u201d\u2018\u2019"
_FENCE = re.compile(r"```[ \t]*[\w-]*[ \t]*\r?\n(.*?)(?:```|\Z)", re.DOTALL)
# A bracket only starts a candidate when what follows could begin JSON, so
# "{x}" or "[see above]" in prose is never mistaken for the payload.
_START = re.compile(
    rf"\{{(?=\s*[\"{_SMART_QUOTES}}}])"
    rf"|\[(?=\s*(?:[\[{{\"{_SMART_QUOTES}\]\-\d]|true\b|false\b|null\b))"
)
_STRUCTURE = re.compile(r'[\[\]{}"]')
_IN_STRING = re.compile(r'["\\]')
_TRAILING_COMMA = re.compile(r'"(?:[^"\\]|\\.)*"|,(\s*[}\]])', re.DOTALL)
_SMART = re.compile(f"[{_SMART_QUOTES}]")
_SMART_OPEN = re.compile(rf"([{{\[,:]\s*)[{_SMART_QUOTES}]")
_SMART_CLOSE = re.compile(rf"[{_SMART_QUOTES}](\s*[:,}}\]])")
_CLOSERS = {"}": "{", "]": "["}


class ExtractionError(ValueError):
    """No usable JSON in a reply; ``truncated`` is true when it was cut off."""

    def __init__(self, message: str, *, truncated: bool = False) -> None:
        """Keep the message and whether the reply was cut off."""
        super().__init__(message)
        self.truncated = truncated


def _truncated() -> ExtractionError:
    """The error for JSON that stops before it closes."""
    return ExtractionError(
        "The JSON is cut off before it ends (the output hit a length limit?).",
        truncated=True,
    )


def _string_end(text: str, pos: int) -> int | None:
    """The index after the quote closing a string that began before ``pos``."""
    while match := _IN_STRING.search(text, pos):
        if match.group() == '"':
            return match.end()
        pos = match.end() + 1
    return None


def _closing(text: str, start: int) -> int:
    """The index just past the bracket matching the one at ``start``."""
    stack: list[str] = []
    pos = start
    while match := _STRUCTURE.search(text, pos):
        char, pos = match.group(), match.end()
        if char == '"':
            end = _string_end(text, pos)
            if end is None:
                break
            pos = end
        elif char in "{[":
            stack.append(char)
        elif not stack or stack.pop() != _CLOSERS[char]:
            raise ExtractionError(f"Mismatched '{char}' at character {match.start()}.")
        elif not stack:
            return pos
    raise _truncated()


def _without_trailing_commas(candidate: str) -> str:
    """Drop commas right before a closing bracket, leaving strings untouched."""
    return _TRAILING_COMMA.sub(
        lambda match: match.group(1) if match.group(1) is not None else match.group(),
        candidate,
    )


def _unusable(exc: Exception) -> ExtractionError:
    """A readable error for JSON that parses in principle but cannot be used."""
    if isinstance(exc, RecursionError):
        return ExtractionError("The JSON is nested far too deeply to be a report.")
    if "digits" in str(exc):
        return ExtractionError("The JSON holds a number with thousands of digits.")
    return ExtractionError("The JSON holds a value that cannot be read.")


def _decode_at(text: str, start: int) -> tuple[Any, int]:
    """Decode the value at ``start``; absurd nesting or numbers are unusable."""
    try:
        return _DECODER.raw_decode(text, start)
    except json.JSONDecodeError:
        raise
    except (RecursionError, ValueError) as exc:
        raise _unusable(exc) from None


def _decode(candidate: str) -> Any:
    """Decode a whole candidate; absurd nesting or numbers are unusable."""
    try:
        return _DECODER.decode(candidate)
    except json.JSONDecodeError:
        raise
    except (RecursionError, ValueError) as exc:
        raise _unusable(exc) from None


def _usable(value: Any) -> Any:
    """The value, if it can be stored as UTF-8 JSON (no lone surrogate escapes)."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ExtractionError(
            "The JSON holds a broken character escape (a lone surrogate such as "
            "\\ud800)."
        ) from None
    except (RecursionError, ValueError) as exc:
        raise _unusable(exc) from None
    return value


def _values(text: str) -> Iterator[Any]:
    """Each complete top-level JSON object or array in ``text``, in order.

    Raises when none parses, or when one is cut off: the values inside a
    cut-off one are never offered, since they would be a partial answer.
    """
    pos = 0
    found = False
    first_error: json.JSONDecodeError | None = None
    while match := _START.search(text, pos):
        start = match.start()
        try:
            value, pos = _decode_at(text, start)
        except json.JSONDecodeError:
            pos = _closing(text, start)
            try:
                value = _decode(_without_trailing_commas(text[start:pos]))
            except json.JSONDecodeError as exc:
                first_error = first_error or exc
                continue
        found = True
        yield _usable(value)
    if found:
        return
    if first_error is not None:
        raise ExtractionError(f"The JSON is invalid: {first_error}.")
    raise ExtractionError("No JSON object or array found in the output.")


def _last(values: Iterator[Any]) -> Any:
    """The last of the values."""
    return deque(values, maxlen=1)[0]


def _search(text: str, *, last: bool) -> Any:
    """The first value (in a fenced block if any has one), or the last one."""
    if last:
        return _last(_values(text))
    for fence in _FENCE.finditer(text):
        try:
            return next(_values(fence.group(1)))
        except ExtractionError:
            continue
    return next(_values(text))


def _gathered(values: Iterator[Any], found: list[Any]) -> ExtractionError | None:
    """Add the values to ``found`` until one fails; return that failure."""
    try:
        for value in values:
            found.append(value)
    except ExtractionError as error:
        return error
    return None


def _choose(text: str, *, last: bool, prefer: Callable[[Any], bool]) -> Any:
    """The first candidate ``prefer`` accepts, else the largest one.

    A small object quoted in prose ("I kept {"value": 0.4}") must not win over
    the real answer that follows it.
    """
    found: list[Any] = []
    for fence in _FENCE.finditer(text):
        _gathered(_values(fence.group(1)), found)
    error = _gathered(_values(text), found)
    ordered = list(reversed(found)) if last else found
    for value in ordered:
        if prefer(value):
            return value
    if error is not None and (error.truncated or not found):
        # A cut-off candidate may be the real answer: never offer a smaller one.
        raise error
    return max(ordered, key=lambda value: len(json.dumps(value)))


def _straighten(text: str) -> str:
    """Turn smart quotes that stand where JSON quotes belong into ``"``."""
    text = _SMART_OPEN.sub(lambda match: match.group(1) + '"', text)
    return _SMART_CLOSE.sub(lambda match: '"' + match.group(1), text)


def _search_with_quotes(
    text: str, *, last: bool, prefer: Callable[[Any], bool] | None
) -> Any:
    """Search as written; if that fails and smart quotes occur, straightened."""

    def search(body: str) -> Any:
        if prefer is None:
            return _search(body, last=last)
        return _choose(body, last=last, prefer=prefer)

    try:
        return search(text)
    except ExtractionError as error:
        if not _SMART.search(text):
            raise
        try:
            return search(_straighten(text))
        except ExtractionError:
            raise error from None


def _without_reasoning(text: str) -> tuple[str, bool]:
    """Text without reasoning blocks; the flag says one was left unclosed."""
    text = _THINK_BLOCK.sub("", text.replace("\ufeff", ""))
    closers = list(_THINK_CLOSE.finditer(text))
    if closers:
        text = text[closers[-1].end() :]
    opener = _THINK_OPEN.match(text)
    if opener is None:
        return text, False
    return text[opener.end() :], True


def extract_json(text: str, prefer: Callable[[Any], bool] | None = None) -> Any:
    """The first complete JSON object or array in a model's reply.

    With ``prefer``, the first candidate it accepts is taken (the largest if it
    accepts none), so a small object quoted in prose before the answer does
    not win. After a reasoning block that never closes, the last one is
    taken. Raises
    :class:`ExtractionError` when there is none, when it is invalid beyond
    repair, or when it was cut off.
    """
    if not text or not text.strip():
        raise ExtractionError("The model returned no text.")
    body, unclosed = _without_reasoning(text)
    try:
        # Reasoning left open may hold drafts; the answer, if any, comes last.
        return _search_with_quotes(body, last=unclosed, prefer=prefer)
    except ExtractionError as error:
        if unclosed and not error.truncated:
            raise ExtractionError(
                "The reasoning block never closes and no JSON follows it "
                "(the output was probably cut off).",
                truncated=True,
            ) from None
        raise
