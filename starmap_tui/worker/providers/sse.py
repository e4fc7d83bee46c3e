"""Server-sent events over HTTP, shared by the networked providers.

:class:`SSEDecoder` turns bytes split anywhere (mid-line, mid-character, CRLF
halves) into whole events. :class:`SSEClient` posts one JSON request, enforces
the per-gap read timeout and the overall deadline, and turns every HTTP or
network failure into a :class:`~.base.ProviderError` whose message a person can
act on. The error mapping lives here because both providers need the same one.
"""

from __future__ import annotations

import asyncio
import codecs
import json
import math
import re
from collections.abc import AsyncIterator, Mapping
from contextlib import aclosing
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from .base import PermanentError, ProviderError, TransientError

# Far beyond any real answer (a 32k-token report is well under 1 MB of text,
# a few MB with its SSE framing), low enough that a runaway or wrong server
# cannot grow the process without bound.
MAX_LINE_CHARS = 4_000_000
MAX_RESPONSE_BYTES = 64_000_000


def too_large(url: str, what: str, limit: int) -> PermanentError:
    """The error for an answer past one of the size limits."""
    return PermanentError(
        f"{url} sent {what} larger than {limit // 1_000_000} MB, far more than any "
        "report: the answer was too large to use. Check the base URL and the model."
    )


@dataclass(frozen=True, slots=True)
class SSEEvent:
    """One dispatched server-sent event: its type and its joined data lines."""

    event: str
    data: str


class LineTooLong(ValueError):
    """One SSE line grew past the decoder's limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"an SSE line longer than {limit} characters")
        self.limit = limit


class SSEDecoder:
    """Incremental SSE parser that accepts bytes split at any point."""

    __slots__ = (
        "_data",
        "_decoder",
        "_event",
        "_max_line",
        "_pending",
        "_pending_size",
        "_started",
        "_tail",
    )

    def __init__(self, max_line: int = MAX_LINE_CHARS) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._tail = ""
        # Pieces of a line still waiting for its end: joined once when it
        # comes, so a long line costs linear time, not a copy per chunk.
        self._pending: list[str] = []
        self._pending_size = 0
        self._max_line = max_line
        self._event = ""
        self._data: list[str] = []
        self._started = False

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        """Take the next bytes; return the events they complete.

        Raises :class:`LineTooLong` when one line outgrows ``max_line``.
        """
        piece = self._decoder.decode(chunk)
        if "\n" not in piece and "\r" not in piece:
            self._hold(piece)
            return []
        text = self._joined_tail() + piece
        if not self._started and text:
            self._started = True
            text = text.removeprefix("\ufeff")

        # A trailing CR may be the first half of a CRLF split across chunks.
        hold_cr = text.endswith("\r")
        if hold_cr:
            text = text[:-1]
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        lines = text.split("\n")
        tail = lines.pop()
        self._tail = tail + "\r" if hold_cr else tail
        return self._take_lines(lines)

    def _hold(self, piece: str) -> None:
        """Keep a piece of a line whose end has not come yet."""
        if not piece:
            return
        self._pending.append(piece)
        self._pending_size += len(piece)
        if len(self._tail) + self._pending_size > self._max_line:
            raise LineTooLong(self._max_line)

    def _joined_tail(self) -> str:
        if self._pending:
            self._tail += "".join(self._pending)
            self._pending = []
            self._pending_size = 0
        return self._tail

    def close(self) -> list[SSEEvent]:
        """End of stream: return the last event even if its blank line is missing."""
        text = self._joined_tail() + self._decoder.decode(b"", final=True)
        self._tail = ""
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        lines.append("")
        return self._take_lines(lines)

    def _take_lines(self, lines: list[str]) -> list[SSEEvent]:
        events: list[SSEEvent] = []
        for line in lines:
            if not line:
                if self._data:
                    events.append(
                        SSEEvent(self._event or "message", "\n".join(self._data))
                    )
                    self._data = []
                self._event = ""
            elif line[0] != ":":
                self._take_field(line)
        return events

    def _take_field(self, line: str) -> None:
        name, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value


@dataclass(frozen=True)
class Endpoint:
    """Where a provider talks to, named the way error messages show it."""

    url: str
    model: str
    key_hint: str
    secret: str | None = None


def display_url(url: str) -> str:
    """The URL without credentials, query or fragment, fit to show a person."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return f"{parts.scheme}://{host}{parts.path}".rstrip("/")


_KEYLIKE = re.compile(r"\b(sk-[A-Za-z0-9_\-]{2})[A-Za-z0-9_\-*.]{6,}")


def scrub(text: str, secret: str | None) -> str:
    """Remove the API key, and anything shaped like one, from text shown to people."""
    if secret:
        text = text.replace(secret, "***")
    return _KEYLIKE.sub(r"\1***", text)


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from retry-after-ms or Retry-After (seconds or HTTP date)."""
    millis = _finite(headers.get("retry-after-ms"))
    if millis is not None:
        return max(0.0, millis / 1000)
    value = headers.get("retry-after")
    if not value:
        return None
    seconds = _finite(value)
    if seconds is not None:
        return max(0.0, seconds)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _finite(value: str | None) -> float | None:
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


class RequestRefused(PermanentError):
    """A 400/422 refusal, kept with its status and the server's words for fallbacks."""

    def __init__(self, message: str, *, status: int, server_message: str) -> None:
        super().__init__(message)
        self.status = status
        self.server_message = server_message


_CONTEXT_MARKERS = (
    "context_length_exceeded",
    "maximum context length",
    "prompt is too long",
    "context window",
    "context length",
    "context size",
)

# Error types both APIs put in bodies and mid-stream error events.
_TYPE_STATUS = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "rate_limit_exceeded": 429,
    "insufficient_quota": 429,
    "api_error": 500,
    "server_error": 500,
    "overloaded_error": 529,
}


def is_context_overflow(message: str) -> bool:
    """Whether the server's words say the prompt does not fit the model."""
    lowered = message.lower()
    return any(marker in lowered for marker in _CONTEXT_MARKERS)


def error_for_status(
    status: int,
    server_message: str,
    where: Endpoint,
    headers: Mapping[str, str] | None = None,
) -> ProviderError:
    """Map an HTTP status and the server's message to a typed, actionable error."""
    said = scrub(server_message, where.secret).strip()
    url = where.url
    if status in (401, 403):
        text = f"The API key was rejected by {url} ({status}). Check {where.key_hint}."
        return PermanentError(_with_said(text, said))
    if status == 413 or (400 <= status < 500 and is_context_overflow(said)):
        return PermanentError(_too_long(where, said))
    if status == 404:
        text = f"Model '{where.model}' not found at {url} (404). Check the model name"
        return PermanentError(_with_said(f"{text} and base_url.", said))
    if status in (408, 409, 429) or status >= 500:
        retry_after = parse_retry_after(headers) if headers else None
        return TransientError(
            _transient_text(status, url, said), retry_after=retry_after
        )
    text = f"{url} refused the request ({status}): {said or 'no reason given'}"
    return RequestRefused(text, status=status, server_message=said)


def error_for_payload(error: Any, where: Endpoint) -> ProviderError:
    """Map an error object found inside a 200 stream to a typed error."""
    if not isinstance(error, Mapping):
        return TransientError(_mid_stream(where, scrub(str(error), where.secret)))
    message = describe_error(error)
    status = _payload_status(error)
    if status is None:
        if is_context_overflow(message):
            return PermanentError(_too_long(where, scrub(message, where.secret)))
        return TransientError(_mid_stream(where, scrub(message, where.secret)))
    return error_for_status(status, message, where)


def _payload_status(error: Mapping[str, Any]) -> int | None:
    for key in ("code", "type"):
        value = error.get(key)
        if isinstance(value, int) and 400 <= value < 600:
            return value
        if isinstance(value, str):
            if value.isdigit() and 400 <= int(value) < 600:
                return int(value)
            if value in _TYPE_STATUS:
                return _TYPE_STATUS[value]
            if value == "context_length_exceeded":
                return 400
    return None


def _with_said(text: str, said: str) -> str:
    return f"{text} The server said: {said}" if said else text


def _too_long(where: Endpoint, said: str) -> str:
    text = (
        f"The prompt is too long for model '{where.model}' at {where.url}. "
        "Shorten the answers or the added context, lower max_tokens, or choose a "
        "model with a larger context window."
    )
    return _with_said(text, said)


def _transient_text(status: int, url: str, said: str) -> str:
    if status == 429:
        text = f"{url} is rate limiting requests (429); will retry."
    elif status in (529, 503):
        text = f"{url} is overloaded ({status}); will retry."
    elif status >= 500:
        text = f"{url} had a server error ({status}); will retry."
    else:
        text = f"{url} asked to try again later ({status})."
    return _with_said(text, said)


def _mid_stream(where: Endpoint, said: str) -> str:
    return f"{where.url} reported an error mid-answer; will retry. It said: {said}"


def error_for_transport(
    exc: Exception, where: Endpoint, read_timeout: float
) -> ProviderError:
    """Map a network failure (httpx transport error) to a typed error."""
    url = where.url
    detail = scrub(str(exc), where.secret)
    if isinstance(exc, httpx.ConnectTimeout):
        return TransientError(f"Timed out connecting to {url} — is it reachable?")
    if isinstance(exc, httpx.ConnectError):
        suffix = f" ({detail})" if detail else ""
        return TransientError(f"Cannot reach {url} — is the server running?{suffix}")
    if isinstance(exc, httpx.ReadTimeout):
        return TransientError(
            f"{url} sent nothing for {read_timeout:g} s (read timeout); will retry."
        )
    if isinstance(exc, httpx.TimeoutException):
        return TransientError(f"Timed out talking to {url}; will retry.")
    if isinstance(exc, httpx.UnsupportedProtocol):
        return PermanentError(f"base_url {url} is not an http:// or https:// URL.")
    return TransientError(
        f"The connection to {url} dropped before the answer was complete; will retry."
    )


def server_message(body: bytes) -> str:
    """The human part of an error body: error.message, error, message or the text."""
    text = body.decode("utf-8", errors="replace").strip()
    try:
        payload = json.loads(text)
    except ValueError:
        return text[:500]
    if isinstance(payload, Mapping):
        error = payload.get("error", payload)
        if isinstance(error, Mapping):
            return describe_error(error)[:500]
        if error:
            return str(error)[:500]
    return text[:500]


def describe_error(error: Mapping[str, Any]) -> str:
    """An error object's message, with its code when the message lacks it."""
    message = str(error.get("message") or "")
    code = error.get("code") or error.get("type")
    if isinstance(code, str) and code not in message:
        return f"{message} ({code})" if message else code
    return message or str(dict(error))


@dataclass(frozen=True)
class Timeouts:
    """Connect and read-gap timeouts, plus the overall deadline per call."""

    connect: float
    read: float
    deadline: float


class SSEClient:
    """One pooled HTTP client that posts JSON and yields the answer's events."""

    def __init__(
        self,
        where: Endpoint,
        headers: Mapping[str, str],
        timeouts: Timeouts,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.where = where
        self._timeouts = timeouts
        timeout = httpx.Timeout(
            connect=timeouts.connect, read=timeouts.read, write=30, pool=30
        )
        self._client = httpx.AsyncClient(
            headers=dict(headers), timeout=timeout, transport=transport
        )

    async def events(
        self, url: str, payload: dict[str, Any]
    ) -> AsyncIterator[list[SSEEvent]]:
        """POST payload to url; yield the events of each network read, in order."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._timeouts.deadline
        try:
            async with asyncio.timeout_at(deadline):
                response = await self._client.send(
                    self._client.build_request("POST", url, json=payload), stream=True
                )
            try:
                async with aclosing(self._read(response, deadline)) as batches:
                    async for batch in batches:
                        yield batch
            finally:
                await response.aclose()
        except httpx.TransportError as exc:
            raise error_for_transport(exc, self.where, self._timeouts.read) from exc
        except TimeoutError as exc:
            raise TransientError(
                f"{self.where.url} did not finish within {self._timeouts.deadline:g} s "
                "(the job deadline); will retry."
            ) from exc

    async def _read(
        self, response: httpx.Response, deadline: float
    ) -> AsyncIterator[list[SSEEvent]]:
        if response.status_code >= 300:
            async with asyncio.timeout_at(deadline):
                body = await response.aread()
            raise error_for_status(
                response.status_code, server_message(body), self.where, response.headers
            )
        content_type = response.headers.get("content-type", "")
        if "json" in content_type:
            # The server ignored stream=true and sent the whole answer at once.
            body = await self._read_whole(response, deadline)
            yield [SSEEvent("message", body.decode("utf-8", errors="replace"))]
            return
        self._check_event_stream(content_type)

        decoder = SSEDecoder()
        received = 0
        chunks = response.aiter_bytes()
        while True:
            async with asyncio.timeout_at(deadline):
                chunk = await anext(chunks, None)
            if chunk is None:
                break
            received += len(chunk)
            if received > MAX_RESPONSE_BYTES:
                raise too_large(self.where.url, "a stream", MAX_RESPONSE_BYTES)
            try:
                batch = decoder.feed(chunk)
            except LineTooLong as exc:
                raise too_large(self.where.url, "one line", exc.limit) from None
            if batch:
                yield batch
        batch = decoder.close()
        if batch:
            yield batch

    def _check_event_stream(self, content_type: str) -> None:
        """Refuse a reply that is not an event stream (say, a web page).

        A wrong base URL often lands on a web server that answers 200 with
        HTML; retrying that can never help. A reply with no type is let
        through, since some small servers send none.
        """
        media = content_type.partition(";")[0].strip().lower()
        if not media or media == "text/event-stream":
            return
        raise PermanentError(
            f"{self.where.url} answered with {media}, not an event stream: check "
            "the base URL (it should point at the API, often ending in /v1)."
        )

    async def _read_whole(self, response: httpx.Response, deadline: float) -> bytes:
        """A whole (unstreamed) body, refused past the size limit."""
        parts: list[bytes] = []
        size = 0
        async with asyncio.timeout_at(deadline):
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > MAX_RESPONSE_BYTES:
                    raise too_large(self.where.url, "an answer", MAX_RESPONSE_BYTES)
                parts.append(chunk)
        return b"".join(parts)

    async def aclose(self) -> None:
        """Close the pooled connections."""
        await self._client.aclose()
