"""Anthropic's Messages API, streamed as server-sent events."""

from __future__ import annotations

import json
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
    SSEClient,
    SSEEvent,
    Timeouts,
    display_url,
    error_for_payload,
)

API_VERSION = "2023-06-01"
_SUCCESS = frozenset({"end_turn", "stop_sequence", "tool_use", "pause_turn"})


@dataclass(slots=True)
class _Progress:
    """What the stream has told so far."""

    text_seen: bool = False
    stop_reason: str | None = None
    stopped: bool = False


class AnthropicProvider:
    """Streams answers from the Anthropic Messages API."""

    name = "anthropic"

    def __init__(
        self, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.model = settings.model
        base = settings.base_url.rstrip("/").removesuffix("/v1")
        self._url = base + "/v1/messages"
        self._where = Endpoint(
            display_url(settings.base_url),
            settings.model,
            settings.key_hint,
            settings.api_key,
        )
        headers = {"accept": "text/event-stream", "anthropic-version": API_VERSION}
        if settings.api_key:
            headers["x-api-key"] = settings.api_key
        timeouts = Timeouts(
            settings.connect_timeout, settings.read_timeout, settings.job_deadline
        )
        self._http = SSEClient(self._where, headers, timeouts, transport)

    async def stream(self, request: GenerationRequest) -> AsyncIterator[str]:
        """Yield the answer's text as it arrives; raise a ProviderError on trouble."""
        progress = _Progress()
        try:
            events = self._http.events(self._url, self._payload(request))
            async with aclosing(events) as batches:
                async for batch in batches:
                    text = self._take(batch, progress, request.usage)
                    if text:
                        progress.text_seen = True
                        yield text
                    self._check_stop(progress, request)
                    if progress.stopped:
                        break
        except TransientError:
            # A drop or stall after a proper stop_reason loses nothing.
            if progress.stop_reason not in _SUCCESS:
                raise
        self._check_end(progress)

    def _payload(self, request: GenerationRequest) -> dict[str, Any]:
        return {
            "model": request.model or self.model,
            "system": request.system,
            "messages": [{"role": "user", "content": request.prompt}],
            "temperature": request.temperature,
            "max_tokens": request.max_tokens,
            "stream": True,
        }

    def _take(self, batch: list[SSEEvent], progress: _Progress, usage: Usage) -> str:
        parts: list[str] = []
        for event in batch:
            if not event.data.strip():
                continue
            message = self._parse(event.data)
            kind = message.get("type") or event.event
            if kind == "content_block_delta":
                delta = message.get("delta") or {}
                if delta.get("type") == "text_delta" and delta.get("text"):
                    parts.append(delta["text"])
            elif kind == "message_stop":
                progress.stopped = True
                break
            else:
                parts.extend(self._take_other(kind, message, progress, usage))
        return "".join(parts)

    def _take_other(
        self, kind: str, message: dict[str, Any], progress: _Progress, usage: Usage
    ) -> list[str]:
        if kind == "error":
            raise error_for_payload(message.get("error", message), self._where)
        if kind == "message_start":
            _fill_usage(usage, (message.get("message") or {}).get("usage"))
        elif kind == "message_delta":
            delta = message.get("delta") or {}
            progress.stop_reason = delta.get("stop_reason") or progress.stop_reason
            _fill_usage(usage, message.get("usage"))
        elif kind == "content_block_start":
            block = message.get("content_block") or {}
            if block.get("type") == "text" and block.get("text"):
                return [block["text"]]
        elif kind == "message":
            return _unstreamed(message, progress, usage)
        return []

    def _parse(self, data: str) -> dict[str, Any]:
        try:
            message = json.loads(data)
        except ValueError:
            raise TransientError(
                f"{self._where.url} sent a malformed stream event; will retry."
            ) from None
        return message if isinstance(message, dict) else {}

    def _check_stop(self, progress: _Progress, request: GenerationRequest) -> None:
        reason = progress.stop_reason
        if reason is None or reason in _SUCCESS:
            return
        if reason == "max_tokens":
            raise OutputTruncated(
                f"The answer from '{self.model}' was cut off at max_tokens="
                f"{request.max_tokens}; it is incomplete. Raise max_tokens."
            )
        if reason == "refusal":
            raise PermanentError(f"'{self.model}' declined to answer this request.")

    def _check_end(self, progress: _Progress) -> None:
        if progress.stop_reason is None and not progress.stopped:
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


def _unstreamed(
    message: dict[str, Any], progress: _Progress, usage: Usage
) -> list[str]:
    """A whole message sent at once by a server that ignored stream=true."""
    _fill_usage(usage, message.get("usage"))
    progress.stop_reason = message.get("stop_reason")
    progress.stopped = True
    blocks = message.get("content") or []
    return [b["text"] for b in blocks if b.get("type") == "text" and b.get("text")]


def _fill_usage(usage: Usage, reported: Any) -> None:
    if not isinstance(reported, dict):
        return
    if isinstance(reported.get("input_tokens"), int):
        usage.input_tokens = reported["input_tokens"]
    if isinstance(reported.get("output_tokens"), int):
        usage.output_tokens = reported["output_tokens"]
