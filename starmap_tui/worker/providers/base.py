"""The one small interface every generation provider implements.

A provider turns a :class:`GenerationRequest` into streamed text. It knows
nothing of the store or the runner; it reports trouble by raising one of the
typed errors below, which tell the runner whether to retry.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

JobKind = Literal["questions", "preliminary", "final"]


@dataclass
class Usage:
    """Token counts a provider reports, when the server tells them."""

    input_tokens: int | None = None
    output_tokens: int | None = None


@dataclass
class GenerationRequest:
    """Everything one generation step needs.

    ``system`` and ``prompt`` are the text a model reads. ``context`` holds the
    same facts as structured data (answers, experience level, generated
    questions, dynamic answers, extra context) so the offline engine can work
    from them by rules instead of from prose. ``usage`` is filled in by the
    provider as the stream ends.
    """

    kind: JobKind
    system: str
    prompt: str
    context: dict[str, Any]
    model: str = ""
    temperature: float = 0.4
    max_tokens: int = 4096
    json_mode: bool = True
    usage: Usage = field(default_factory=Usage)


class ProviderError(Exception):
    """A generation step failed; ``retryable`` says whether to try again."""

    retryable: bool = False

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


class TransientError(ProviderError):
    """Worth another try later: timeouts, drops, 408/409/429/5xx, overload."""

    retryable = True


class PermanentError(ProviderError):
    """Trying again will not help: bad key, unknown model, bad request."""

    retryable = False


class OutputTruncated(TransientError):
    """The model stopped at the token limit; the text is incomplete."""


class Provider(Protocol):
    """Streams the text of one generation step."""

    name: str
    model: str

    def stream(self, request: GenerationRequest) -> AsyncIterator[str]:
        """Yield text chunks as they arrive; raise a ProviderError on trouble."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...
