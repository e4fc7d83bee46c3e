"""Any OpenAI-compatible Chat Completions server, streamed as server-sent events.

Works with OpenAI, Ollama, LM Studio, vLLM, llama.cpp server, LiteLLM and
OpenRouter. JSON output is asked for with ``response_format`` where the server
accepts it; a server that refuses an optional parameter (LM Studio refuses
``json_object``) is asked again without it, and the provider remembers.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

import httpx

from starmap_tui.config import Settings

from .base import (
    GenerationRequest,
    OutputTruncated,
    PermanentError,
    TransientError,
    Usage,
)
from .sse import (
    Endpoint,
    RequestRefused,
    SSEClient,
    SSEEvent,
    Timeouts,
    display_url,
    error_for_payload,
)

log = logging.getLogger(__name__)

# Parameters a server may refuse without the request being wrong.
_OPTIONAL = ("response_format", "stream_options")
_SUCCESS = frozenset({"stop", "eos", "end_turn", "tool_calls", "function_call"})


@dataclass(slots=True)
class _Progress:
    """What the stream has told so far."""

    text_seen: bool = False
    finish: str | None = None
    done: bool = False


class OpenAIProvider:
    """Streams Chat Completions from an OpenAI-compatible server."""

    name = "openai"

    def __init__(
        self, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.model = settings.model
        self._url = settings.base_url.rstrip("/") + "/chat/completions"
        self._where = Endpoint(
            display_url(settings.base_url),
            settings.model,
            settings.key_hint,
            settings.api_key,
        )
        headers = {"accept": "text/event-stream"}
        if settings.api_key:
            headers["authorization"] = f"Bearer {settings.api_key}"
        timeouts = Timeouts(
            settings.connect_timeout, settings.read_timeout, settings.job_deadline
        )
        self._http = SSEClient(self._where, headers, timeouts, transport)
        self._refused: set[str] = set()

    async def stream(self, request: GenerationRequest) -> AsyncIterator[str]:
        """Yield the answer's text as it arrives; raise a ProviderError on trouble."""
        payload = self._payload(request)
        answered = False
        while True:
            try:
                async with aclosing(self._stream_once(payload, request)) as chunks:
                    async for text in chunks:
                        answered = True
                        yield text
                return
            except RequestRefused as exc:
                if answered or not self._drop_refused(payload, exc):
                    raise

    def _payload(self, request: GenerationRequest) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "model": request.model or self.model,
            "messages": [
                {"role": "system", "content": request.system},
                {"role": "user", "content": request.prompt},
            ],
            "temperature": request.temperature,
            "max_tokens": request.max_tokens,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if request.json_mode:
            payload["response_format"] = {"type": "json_object"}
        for name in self._refused:
            payload.pop(name, None)
        return payload

    def _drop_refused(self, payload: dict[str, Any], exc: RequestRefused) -> bool:
        """Drop the optional parameter the server refused, if that was the trouble."""
        said = exc.server_message.lower()
        for name in _OPTIONAL:
            if name in payload and name in said:
                log.info("%s refused %s; continuing without it", self._where.url, name)
                self._refused.add(name)
                del payload[name]
                return True
        return False

    async def _stream_once(
        self, payload: dict[str, Any], request: GenerationRequest
    ) -> AsyncIterator[str]:
        progress = _Progress()
        try:
            async with aclosing(self._http.events(self._url, payload)) as batches:
                async for batch in batches:
                    text = self._take(batch, progress, request.usage)
                    if text:
                        progress.text_seen = True
                        yield text
                    self._check_finish(progress, request)
                    if progress.done:
                        break
        except TransientError:
            # A drop or stall after a proper finish loses nothing.
            if progress.finish not in _SUCCESS:
                raise
        self._check_end(progress)

    def _take(self, batch: list[SSEEvent], progress: _Progress, usage: Usage) -> str:
        parts: list[str] = []
        for event in batch:
            data = event.data
            if data == "[DONE]":
                progress.done = True
                break
            if not data.strip():
                continue
            chunk = self._parse(data)
            if "error" in chunk or event.event == "error":
                raise error_for_payload(chunk.get("error", chunk), self._where)
            parts.extend(self._take_choices(chunk, progress))
            if chunk.get("usage"):
                _fill_usage(usage, chunk["usage"])
        return "".join(parts)

    def _parse(self, data: str) -> dict[str, Any]:
        try:
            chunk = json.loads(data)
        except ValueError:
            raise TransientError(
                f"{self._where.url} sent a malformed stream event; will retry."
            ) from None
        return chunk if isinstance(chunk, dict) else {}

    @staticmethod
    def _take_choices(chunk: dict[str, Any], progress: _Progress) -> list[str]:
        parts: list[str] = []
        for choice in chunk.get("choices") or ():
            # "message" instead of "delta" when a server answers unstreamed.
            delta = choice.get("delta") or choice.get("message") or {}
            content = delta.get("content")
            if content:
                parts.append(content)
            if choice.get("finish_reason"):
                progress.finish = choice["finish_reason"]
        return parts

    def _check_finish(self, progress: _Progress, request: GenerationRequest) -> None:
        finish = progress.finish
        if finish is None or finish in _SUCCESS:
            return
        if finish == "length":
            raise OutputTruncated(
                f"The answer from '{self.model}' was cut off at max_tokens="
                f"{request.max_tokens}; it is incomplete. Raise max_tokens."
            )
        if finish == "content_filter":
            raise PermanentError(
                f"{self._where.url} stopped the answer with its content filter."
            )

    def _check_end(self, progress: _Progress) -> None:
        if progress.finish is None and not progress.done:
            raise TransientError(
                f"The stream from {self._where.url} ended before the answer finished; "
                "will retry."
            )
        if not progress.text_seen:
            raise TransientError(
                f"'{self.model}' returned an empty answer; will retry."
            )

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self._http.aclose()


def _fill_usage(usage: Usage, reported: dict[str, Any]) -> None:
    if isinstance(reported.get("prompt_tokens"), int):
        usage.input_tokens = reported["prompt_tokens"]
    if isinstance(reported.get("completion_tokens"), int):
        usage.output_tokens = reported["completion_tokens"]
