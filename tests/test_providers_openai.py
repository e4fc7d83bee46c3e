"""The OpenAI-compatible provider against a real local HTTP server, byte for byte."""

from __future__ import annotations

import asyncio
import json
import logging
from contextlib import aclosing
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import fakellm
import pytest
from fakellm import FakeLLM, Pause, Reply, closed_port, split_every, sse

from starmap_tui.config import Settings
from starmap_tui.worker.providers import sse as sse_module
from starmap_tui.worker.providers.base import (
    GenerationRequest,
    OutputTruncated,
    PermanentError,
    ProviderError,
    TransientError,
)
from starmap_tui.worker.providers.openai import OpenAIProvider
from starmap_tui.worker.providers.registry import check_provider, make_provider
from starmap_tui.worker.providers.sse import SSEDecoder, SSEEvent

fake_llm = fakellm.fake_llm

KEY = "sk-test-0123456789abcdefSECRET"


def settings_for(server: FakeLLM, **overrides: Any) -> Settings:
    """Settings aimed at the fake server, with test-sized timeouts."""
    values: dict[str, Any] = {
        "provider": "openai",
        "model": "test-model",
        "base_url": server.url + "/v1",
        "api_key": KEY,
        "connect_timeout": 2.0,
        "read_timeout": 0.5,
        "job_deadline": 10.0,
    }
    values.update(overrides)
    return Settings(**values)


def request(**overrides: Any) -> GenerationRequest:
    """A small generation request."""
    values: dict[str, Any] = {
        "kind": "questions",
        "system": "You write JSON.",
        "prompt": "Give me questions.",
        "context": {},
        "max_tokens": 256,
    }
    values.update(overrides)
    return GenerationRequest(**values)


def chunk(content: str | None = None, finish: str | None = None) -> dict[str, Any]:
    """One chat.completion.chunk as OpenAI sends it."""
    delta = {} if content is None else {"content": content}
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "model": "test-model",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def usage_chunk(prompt: int = 12, completion: int = 3) -> dict[str, Any]:
    """The usage-only last chunk sent when include_usage is on."""
    usage = {"prompt_tokens": prompt, "completion_tokens": completion}
    return {"id": "chatcmpl-1", "choices": [], "usage": usage}


def answer(*parts: str, finish: str | None = "stop", done: bool = True) -> bytes:
    """A whole streamed answer: role chunk, content, finish, usage, [DONE]."""
    events: list[str | dict[str, Any]] = [chunk("")]
    events += [chunk(part) for part in parts]
    if finish:
        events += [chunk(finish=finish), usage_chunk()]
    if done:
        events.append("[DONE]")
    return sse(*events)


async def run(provider: OpenAIProvider, req: GenerationRequest | None = None) -> str:
    """Collect the whole answer, closing the provider afterwards."""
    try:
        return "".join([text async for text in provider.stream(req or request())])
    finally:
        await provider.aclose()


def error_body(message: str, **extra: Any) -> bytes:
    """An OpenAI-style error body."""
    return json.dumps({"error": {"message": message, **extra}}).encode()


async def test_streams_text_and_sends_a_proper_request(fake_llm: FakeLLM) -> None:
    fake_llm.script(Reply(chunks=[answer('{"a": ', "1}")]))
    req = request()
    text = await run(OpenAIProvider(settings_for(fake_llm)), req)

    assert text == '{"a": 1}'
    assert (req.usage.input_tokens, req.usage.output_tokens) == (12, 3)
    sent = fake_llm.requests[0]
    assert (sent.method, sent.path) == ("POST", "/v1/chat/completions")
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    body = sent.body
    assert body["response_format"] == {"type": "json_object"}
    assert body["stream"] is True
    assert body["model"] == "test-model"
    assert body["max_tokens"] == 256
    assert body["messages"][0] == {"role": "system", "content": "You write JSON."}


async def test_no_key_sends_no_authorization(fake_llm: FakeLLM) -> None:
    fake_llm.script(Reply(chunks=[answer("ok")]))
    await run(OpenAIProvider(settings_for(fake_llm, api_key=None)))
    assert "authorization" not in fake_llm.requests[0].headers


async def test_stream_split_everywhere_with_crlf_comments_and_empty_events(
    fake_llm: FakeLLM,
) -> None:
    parts = ["Café ", "naïve → ", "🚀 done"]
    wire = (
        b": keep-alive\r\n\r\n"
        + answer(*parts).replace(b"\n", b"\r\n")
        + b"data:\r\n\r\n\r\n"
    )
    wire = b"data:\n\n: ping\n\n" + wire
    fake_llm.script(Reply(chunks=split_every(wire, 1)))
    assert await run(OpenAIProvider(settings_for(fake_llm))) == "".join(parts)


async def test_chunks_split_mid_utf8_with_pauses(fake_llm: FakeLLM) -> None:
    wire = answer("ünïcödé ✓")
    cut = wire.index("✓".encode()) + 1
    pieces: list[bytes | Pause] = [wire[:cut], Pause(0.02), wire[cut:]]
    fake_llm.script(Reply(chunks=pieces))
    assert await run(OpenAIProvider(settings_for(fake_llm))) == "ünïcödé ✓"


async def test_usage_only_last_chunk_fills_usage(fake_llm: FakeLLM) -> None:
    wire = sse(chunk("hi"), chunk(finish="stop"), usage_chunk(40, 2), "[DONE]")
    fake_llm.script(Reply(chunks=[wire]))
    req = request()
    await run(OpenAIProvider(settings_for(fake_llm)), req)
    assert (req.usage.input_tokens, req.usage.output_tokens) == (40, 2)


async def test_missing_done_after_stop_is_success(fake_llm: FakeLLM) -> None:
    fake_llm.script(Reply(chunks=[answer("whole", done=False)]))
    assert await run(OpenAIProvider(settings_for(fake_llm))) == "whole"


async def test_drop_after_stop_is_success(fake_llm: FakeLLM) -> None:
    fake_llm.script(Reply(chunks=[answer("whole", done=False)], end="drop"))
    assert await run(OpenAIProvider(settings_for(fake_llm))) == "whole"


async def test_stream_ending_without_finish_is_transient(fake_llm: FakeLLM) -> None:
    fake_llm.script(Reply(chunks=[answer("half", finish=None, done=False)]))
    with pytest.raises(TransientError, match="ended before the answer finished"):
        await run(OpenAIProvider(settings_for(fake_llm)))


async def test_dropped_connection_mid_stream_is_transient(fake_llm: FakeLLM) -> None:
    wire = answer("half", finish=None, done=False) + b'data: {"choi'
    fake_llm.script(Reply(chunks=[wire], end="drop"))
    with pytest.raises(TransientError, match="dropped"):
        await run(OpenAIProvider(settings_for(fake_llm)))


async def test_hang_up_before_answering_is_transient(fake_llm: FakeLLM) -> None:
    fake_llm.script(Reply(status=0))
    with pytest.raises(TransientError, match="dropped"):
        await run(OpenAIProvider(settings_for(fake_llm)))


async def test_stall_longer_than_read_timeout_is_transient(fake_llm: FakeLLM) -> None:
    fake_llm.script(Reply(chunks=[sse(chunk("start"))], end="stall"))
    with pytest.raises(TransientError, match=r"sent nothing for 0.5 s"):
        await run(OpenAIProvider(settings_for(fake_llm)))


async def test_read_timeout_is_a_gap_not_a_total(fake_llm: FakeLLM) -> None:
    pieces: list[bytes | Pause] = []
    for word in ["a", "b", "c", "d"]:
        pieces += [sse(chunk(word)), Pause(0.2)]
    pieces.append(answer(finish="stop"))
    fake_llm.script(Reply(chunks=pieces))
    assert await run(OpenAIProvider(settings_for(fake_llm))) == "abcd"


async def test_job_deadline_stops_a_trickling_stream(fake_llm: FakeLLM) -> None:
    pieces: list[bytes | Pause] = []
    for _ in range(40):
        pieces += [sse(chunk(".")), Pause(0.05)]
    fake_llm.script(Reply(chunks=pieces, end="stall"))
    provider = OpenAIProvider(settings_for(fake_llm, job_deadline=0.3))
    with pytest.raises(TransientError, match="job deadline"):
        await run(provider)


async def test_finish_length_raises_output_truncated(fake_llm: FakeLLM) -> None:
    fake_llm.script(Reply(chunks=[answer('{"cut": ', finish="length")]))
    with pytest.raises(OutputTruncated, match="max_tokens=256"):
        await run(OpenAIProvider(settings_for(fake_llm)))


async def test_empty_completion_is_an_error(fake_llm: FakeLLM) -> None:
    fake_llm.script(Reply(chunks=[answer()]))
    with pytest.raises(TransientError, match="empty answer"):
        await run(OpenAIProvider(settings_for(fake_llm)))


async def test_done_without_any_text_is_an_error(fake_llm: FakeLLM) -> None:
    fake_llm.script(Reply(chunks=[sse("[DONE]")]))
    with pytest.raises(TransientError, match="empty answer"):
        await run(OpenAIProvider(settings_for(fake_llm)))


async def test_error_object_inside_200_stream(fake_llm: FakeLLM) -> None:
    error = {"error": {"message": "The server had an error", "type": "server_error"}}
    fake_llm.script(Reply(chunks=[sse(chunk("par"), error)]))
    with pytest.raises(TransientError, match="The server had an error"):
        await run(OpenAIProvider(settings_for(fake_llm)))


async def test_context_error_inside_200_stream_is_permanent(fake_llm: FakeLLM) -> None:
    error = {"error": {"message": "too big", "code": "context_length_exceeded"}}
    fake_llm.script(Reply(chunks=[sse(error)]))
    with pytest.raises(PermanentError, match="too long"):
        await run(OpenAIProvider(settings_for(fake_llm)))


async def test_unstreamed_json_answer_is_accepted(fake_llm: FakeLLM) -> None:
    whole = {
        "choices": [{"message": {"content": "all at once"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 3},
    }
    headers = {"content-type": "application/json"}
    fake_llm.script(Reply(chunks=[json.dumps(whole).encode()], headers=headers))
    assert await run(OpenAIProvider(settings_for(fake_llm))) == "all at once"


@pytest.mark.parametrize("status", [401, 403])
async def test_rejected_key_is_permanent_and_never_shown(
    fake_llm: FakeLLM, status: int
) -> None:
    body = error_body(f"Incorrect API key provided: {KEY}")
    fake_llm.script(Reply(status=status, chunks=[body], framing="length"))
    with pytest.raises(PermanentError) as caught:
        await run(OpenAIProvider(settings_for(fake_llm)))
    message = str(caught.value)
    assert message.startswith(
        f"The API key was rejected by {fake_llm.url}/v1 ({status}). "
        "Check OPENAI_API_KEY"
    )
    assert KEY not in message
    assert "0123456789" not in message


async def test_unknown_model_is_permanent(fake_llm: FakeLLM) -> None:
    body = error_body("The model `test-model` does not exist")
    fake_llm.script(Reply(status=404, chunks=[body], framing="length"))
    with pytest.raises(PermanentError) as caught:
        await run(OpenAIProvider(settings_for(fake_llm)))
    assert str(caught.value).startswith(
        f"Model 'test-model' not found at {fake_llm.url}/v1"
    )


@pytest.mark.parametrize(
    "body",
    [
        error_body("bad", code="context_length_exceeded"),
        error_body("This model's maximum context length is 8192 tokens."),
        b'{"error": "prompt is too long: 9000 tokens > 8192 maximum"}',
    ],
)
async def test_context_too_long_is_permanent(fake_llm: FakeLLM, body: bytes) -> None:
    fake_llm.script(Reply(status=400, chunks=[body], framing="length"))
    with pytest.raises(PermanentError, match=r"prompt is too long.*Shorten"):
        await run(OpenAIProvider(settings_for(fake_llm)))


@pytest.mark.parametrize("status", [400, 422])
async def test_other_refusals_carry_the_server_message(
    fake_llm: FakeLLM, status: int
) -> None:
    body = error_body("temperature must be at most 2")
    fake_llm.script(Reply(status=status, chunks=[body], framing="length"))
    with pytest.raises(PermanentError, match=f"\\({status}\\): temperature must be"):
        await run(OpenAIProvider(settings_for(fake_llm)))


async def test_connection_refused_is_transient() -> None:
    url = f"http://127.0.0.1:{closed_port()}/v1"
    settings = Settings(provider="openai", model="m", base_url=url, read_timeout=0.5)
    with pytest.raises(TransientError) as caught:
        await run(OpenAIProvider(settings))
    assert str(caught.value).startswith(f"Cannot reach {url} — is the server running?")


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "7"}, 7.0),
        ({"retry-after-ms": "1500", "retry-after": "9"}, 1.5),
        ({}, None),
    ],
)
@pytest.mark.parametrize("status", [408, 409, 429])
async def test_retryable_statuses_honour_retry_after(
    fake_llm: FakeLLM, status: int, headers: dict[str, str], expected: float | None
) -> None:
    body = error_body("slow down")
    fake_llm.script(Reply(status, [body], headers=headers, framing="length"))
    with pytest.raises(TransientError, match="slow down") as caught:
        await run(OpenAIProvider(settings_for(fake_llm)))
    assert caught.value.retry_after == expected


async def test_retry_after_as_http_date(fake_llm: FakeLLM) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    headers = {"retry-after": when}
    fake_llm.script(Reply(429, [error_body("later")], headers, framing="length"))
    with pytest.raises(TransientError) as caught:
        await run(OpenAIProvider(settings_for(fake_llm)))
    assert caught.value.retry_after is not None
    assert 25 <= caught.value.retry_after <= 30


@pytest.mark.parametrize("status", [500, 502, 503, 529])
async def test_server_errors_are_transient(fake_llm: FakeLLM, status: int) -> None:
    fake_llm.script(Reply(status, [error_body("boom")], framing="length"))
    with pytest.raises(TransientError, match=f"\\({status}\\)"):
        await run(OpenAIProvider(settings_for(fake_llm)))


async def test_lm_studio_json_fallback_is_remembered(fake_llm: FakeLLM) -> None:
    refusal = b"{\"error\": \"'response_format.type' must be 'json_schema' or 'text'\"}"
    fake_llm.script(
        Reply(400, [refusal], framing="length"),
        Reply(chunks=[answer("first")]),
        Reply(chunks=[answer("second")]),
    )
    provider = OpenAIProvider(settings_for(fake_llm))
    first = "".join([t async for t in provider.stream(request())])
    second = await run(provider)

    assert (first, second) == ("first", "second")
    formats = ["response_format" in r.body for r in fake_llm.requests]
    assert formats == [True, False, False]


async def test_refusal_not_about_an_optional_parameter_is_not_retried(
    fake_llm: FakeLLM,
) -> None:
    fake_llm.script(Reply(400, [error_body("messages: bad role")], framing="length"))
    with pytest.raises(PermanentError, match="bad role"):
        await run(OpenAIProvider(settings_for(fake_llm)))
    assert len(fake_llm.requests) == 1


@pytest.mark.parametrize("while_", ["reading", "between_chunks"])
async def test_cancellation_closes_the_stream(fake_llm: FakeLLM, while_: str) -> None:
    fake_llm.script(Reply(chunks=[sse(chunk("first"))], end="stall"))
    provider = OpenAIProvider(settings_for(fake_llm, read_timeout=30.0))
    first_text = asyncio.Event()

    async def consume() -> None:
        async with aclosing(provider.stream(request())) as chunks:
            async for _ in chunks:
                first_text.set()
                if while_ == "between_chunks":
                    await asyncio.Event().wait()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first_text.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.wait_for(fake_llm.requests[0].client_gone.wait(), 5)
    await provider.aclose()


async def test_key_is_never_logged(
    fake_llm: FakeLLM, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    refusal = error_body("response_format unsupported; key " + KEY)
    fake_llm.script(
        Reply(400, [refusal], framing="length"),
        Reply(401, [error_body(KEY)], framing="length"),
    )
    with pytest.raises(ProviderError) as caught:
        await run(OpenAIProvider(settings_for(fake_llm)))
    assert KEY not in caplog.text
    assert KEY not in str(caught.value)
    assert fake_llm.requests[1].headers["authorization"] == f"Bearer {KEY}"


async def test_registry_builds_and_checks_the_provider(fake_llm: FakeLLM) -> None:
    fake_llm.script(Reply(chunks=[answer("OK")]))
    settings = settings_for(fake_llm)
    provider = make_provider(settings)
    assert isinstance(provider, OpenAIProvider)
    await provider.aclose()

    message = await check_provider(settings)
    assert message.startswith(f"OK: openai model 'test-model' at {fake_llm.url}/v1")
    assert fake_llm.requests[0].body["max_tokens"] == 8


async def test_check_provider_raises_the_typed_error(fake_llm: FakeLLM) -> None:
    fake_llm.script(Reply(401, [error_body("no")], framing="length"))
    with pytest.raises(PermanentError, match="API key was rejected"):
        await check_provider(settings_for(fake_llm))


# The shared SSE decoder, fed directly.

WIRE = (
    "\ufeff: comment\r\n"
    "event: first\r\n"
    "data: line one\r\n"
    "data:line two ✓\r\n"
    "id: 7\r\n"
    "\r\n"
    "data\n"
    "\n"
    "data: third 🚀\r"
    "\r"
    "retry: 100\n"
    "\n"
    "data: unterminated"
).encode()
EXPECTED = [
    SSEEvent("first", "line one\nline two ✓"),
    SSEEvent("message", ""),
    SSEEvent("message", "third 🚀"),
    SSEEvent("message", "unterminated"),
]


def decode(pieces: list[bytes]) -> list[SSEEvent]:
    """Feed pieces in order, then close."""
    decoder = SSEDecoder()
    events = [event for piece in pieces for event in decoder.feed(piece)]
    return events + decoder.close()


def test_decoder_whole() -> None:
    assert decode([WIRE]) == EXPECTED


def test_decoder_split_at_every_position() -> None:
    for cut in range(len(WIRE) + 1):
        assert decode([WIRE[:cut], WIRE[cut:]]) == EXPECTED, cut


def test_decoder_byte_by_byte() -> None:
    assert decode([bytes([b]) for b in WIRE]) == EXPECTED


async def test_registry_builds_the_offline_engine_by_default() -> None:
    provider = make_provider(Settings())
    assert provider.name == "offline"
    assert "offline" in await check_provider(Settings())


async def test_a_plain_string_error_in_a_200_stream_never_shows_the_key(
    fake_llm: FakeLLM,
) -> None:
    fake_llm.script(
        Reply(chunks=[b'data: {"error": "invalid key sk-test-secret-key-42"}\n\n'])
    )
    settings = Settings(
        provider="openai",
        model="m",
        base_url=f"{fake_llm.url}/v1",
        api_key="sk-test-secret-key-42",
        read_timeout=2,
    )
    provider = OpenAIProvider(settings)
    try:
        with pytest.raises(TransientError) as caught:
            async for _ in provider.stream(
                GenerationRequest("questions", "s", "p", {}, max_tokens=50)
            ):
                pass
    finally:
        await provider.aclose()
    assert "sk-test-secret-key-42" not in caught.value.message
    assert "invalid key" in caught.value.message


# --- wrong servers and oversized answers --------------------------------------


async def test_a_web_page_instead_of_a_stream_is_permanent(fake_llm: FakeLLM) -> None:
    page = b"<!doctype html><html><body>Welcome to nginx!</body></html>"
    headers = {"content-type": "text/html; charset=utf-8"}
    fake_llm.script(Reply(chunks=[page], headers=headers), Reply(chunks=[page]))

    with pytest.raises(PermanentError) as caught:
        await run(OpenAIProvider(settings_for(fake_llm)))

    assert "answered with text/html, not an event stream" in caught.value.message
    assert "check the base URL" in caught.value.message
    assert len(fake_llm.requests) == 1


async def test_one_endless_data_line_is_refused_as_too_large(
    fake_llm: FakeLLM,
) -> None:
    line = b"data: " + b"x" * (sse_module.MAX_LINE_CHARS + 1000)
    fake_llm.script(Reply(chunks=split_every(line, 1 << 16)))

    with pytest.raises(PermanentError, match="too large"):
        await run(OpenAIProvider(settings_for(fake_llm, read_timeout=5)))


def test_a_long_line_in_many_reads_comes_out_whole() -> None:
    # How long it takes is measured in bench/bench_sse_line.py, not here.
    decoder = SSEDecoder()
    piece = b"x" * 4096
    decoder.feed(b"data: ")
    for _ in range(900):  # a 3.7 MB line in 4 KB reads
        assert decoder.feed(piece) == []
    events = decoder.feed(b"\n\n")

    assert len(events) == 1
    assert events[0].data == "x" * (900 * 4096)
