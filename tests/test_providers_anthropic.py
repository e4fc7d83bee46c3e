"""The Anthropic provider against a real local HTTP server, byte for byte."""

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
from fakellm import FakeLLM, Pause, Reply, closed_port, split_every
from fakellm import anthropic_answer as answer
from fakellm import anthropic_delta as delta
from fakellm import anthropic_event as event
from fakellm import anthropic_finish as finish
from fakellm import anthropic_start as start

from starmap_tui.config import Settings
from starmap_tui.worker.providers.anthropic import AnthropicProvider
from starmap_tui.worker.providers.base import (
    GenerationRequest,
    OutputTruncated,
    PermanentError,
    ProviderError,
    TransientError,
)
from starmap_tui.worker.providers.registry import check_provider, make_provider

fake_llm = fakellm.fake_llm

KEY = "sk-ant-api03-0123456789abcdefSECRET"


def settings_for(server: FakeLLM, **overrides: Any) -> Settings:
    """Settings aimed at the fake server, with test-sized timeouts."""
    values: dict[str, Any] = {
        "provider": "anthropic",
        "model": "claude-test",
        "base_url": server.url,
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
        "kind": "final",
        "system": "You write JSON.",
        "prompt": "Write the report.",
        "context": {},
        "max_tokens": 300,
    }
    values.update(overrides)
    return GenerationRequest(**values)


def error_event(kind: str, message: str) -> bytes:
    """An error event inside a 200 stream."""
    return event("error", {"error": {"type": kind, "message": message}})


def error_body(kind: str, message: str) -> bytes:
    """An error response body."""
    return json.dumps(
        {"type": "error", "error": {"type": kind, "message": message}}
    ).encode()


async def run(provider: AnthropicProvider, req: GenerationRequest | None = None) -> str:
    """Collect the whole answer, closing the provider afterwards."""
    try:
        return "".join([text async for text in provider.stream(req or request())])
    finally:
        await provider.aclose()


async def test_streams_text_and_sends_a_proper_request(fake_llm: FakeLLM) -> None:
    fake_llm.script(Reply(chunks=[answer('{"title": ', '"T"}')]))
    req = request()
    text = await run(AnthropicProvider(settings_for(fake_llm)), req)

    assert text == '{"title": "T"}'
    assert (req.usage.input_tokens, req.usage.output_tokens) == (25, 9)
    sent = fake_llm.requests[0]
    assert (sent.method, sent.path) == ("POST", "/v1/messages")
    assert sent.headers["x-api-key"] == KEY
    assert sent.headers["anthropic-version"] == "2023-06-01"
    assert "authorization" not in sent.headers
    body = sent.body
    assert body["system"] == "You write JSON."
    assert body["messages"] == [{"role": "user", "content": "Write the report."}]
    assert (body["model"], body["max_tokens"], body["stream"]) == (
        "claude-test",
        300,
        True,
    )


async def test_base_url_with_v1_is_not_doubled(fake_llm: FakeLLM) -> None:
    fake_llm.script(Reply(chunks=[answer("ok")]))
    await run(AnthropicProvider(settings_for(fake_llm, base_url=fake_llm.url + "/v1/")))
    assert fake_llm.requests[0].path == "/v1/messages"


async def test_stream_split_everywhere_with_crlf_comments_and_empty_events(
    fake_llm: FakeLLM,
) -> None:
    parts = ["Café ", "naïve → ", "🚀 done"]
    wire = b": keep-alive\r\n\r\ndata:\r\n\r\n" + answer(*parts).replace(b"\n", b"\r\n")
    fake_llm.script(Reply(chunks=split_every(wire, 1)))
    assert await run(AnthropicProvider(settings_for(fake_llm))) == "".join(parts)


async def test_chunks_split_mid_utf8_with_pauses(fake_llm: FakeLLM) -> None:
    wire = answer("ünïcödé ✓")
    cut = wire.index("✓".encode()) + 2
    pieces: list[bytes | Pause] = [wire[:cut], Pause(0.02), wire[cut:]]
    fake_llm.script(Reply(chunks=pieces))
    assert await run(AnthropicProvider(settings_for(fake_llm))) == "ünïcödé ✓"


async def test_missing_message_stop_after_end_turn_is_success(
    fake_llm: FakeLLM,
) -> None:
    fake_llm.script(Reply(chunks=[answer("whole", message_stop=False)]))
    assert await run(AnthropicProvider(settings_for(fake_llm))) == "whole"


async def test_drop_after_end_turn_is_success(fake_llm: FakeLLM) -> None:
    wire = answer("whole", message_stop=False)
    fake_llm.script(Reply(chunks=[wire], end="drop"))
    assert await run(AnthropicProvider(settings_for(fake_llm))) == "whole"


async def test_stream_ending_without_stop_is_transient(fake_llm: FakeLLM) -> None:
    fake_llm.script(Reply(chunks=[start() + delta("half")]))
    with pytest.raises(TransientError, match="ended before the answer finished"):
        await run(AnthropicProvider(settings_for(fake_llm)))


async def test_dropped_connection_mid_stream_is_transient(fake_llm: FakeLLM) -> None:
    wire = start() + delta("half") + b'event: content_block_delta\ndata: {"ty'
    fake_llm.script(Reply(chunks=[wire], end="drop"))
    with pytest.raises(TransientError, match="dropped"):
        await run(AnthropicProvider(settings_for(fake_llm)))


async def test_hang_up_before_answering_is_transient(fake_llm: FakeLLM) -> None:
    fake_llm.script(Reply(status=0))
    with pytest.raises(TransientError, match="dropped"):
        await run(AnthropicProvider(settings_for(fake_llm)))


async def test_stall_longer_than_read_timeout_is_transient(fake_llm: FakeLLM) -> None:
    fake_llm.script(Reply(chunks=[start() + delta("start")], end="stall"))
    with pytest.raises(TransientError, match=r"sent nothing for 0.5 s"):
        await run(AnthropicProvider(settings_for(fake_llm)))


async def test_pings_keep_a_slow_stream_alive(fake_llm: FakeLLM) -> None:
    pieces: list[bytes | Pause] = [start()]
    for word in ["a", "b", "c", "d"]:
        pieces += [delta(word), Pause(0.2), event("ping", {})]
    pieces.append(finish())
    fake_llm.script(Reply(chunks=pieces))
    assert await run(AnthropicProvider(settings_for(fake_llm))) == "abcd"


async def test_job_deadline_stops_a_trickling_stream(fake_llm: FakeLLM) -> None:
    pieces: list[bytes | Pause] = [start()]
    for _ in range(40):
        pieces += [delta("."), Pause(0.05)]
    fake_llm.script(Reply(chunks=pieces, end="stall"))
    provider = AnthropicProvider(settings_for(fake_llm, job_deadline=0.3))
    with pytest.raises(TransientError, match="job deadline"):
        await run(provider)


async def test_max_tokens_stop_raises_output_truncated(fake_llm: FakeLLM) -> None:
    fake_llm.script(Reply(chunks=[answer('{"cut": ', stop="max_tokens")]))
    with pytest.raises(OutputTruncated, match="max_tokens=300"):
        await run(AnthropicProvider(settings_for(fake_llm)))


async def test_empty_completion_is_an_error(fake_llm: FakeLLM) -> None:
    fake_llm.script(Reply(chunks=[answer()]))
    with pytest.raises(TransientError, match="empty answer"):
        await run(AnthropicProvider(settings_for(fake_llm)))


async def test_overloaded_error_event_is_transient(fake_llm: FakeLLM) -> None:
    wire = start() + delta("par") + error_event("overloaded_error", "Overloaded")
    fake_llm.script(Reply(chunks=[wire]))
    with pytest.raises(TransientError, match=r"overloaded.*Overloaded"):
        await run(AnthropicProvider(settings_for(fake_llm)))


async def test_invalid_request_error_event_is_permanent(fake_llm: FakeLLM) -> None:
    fake_llm.script(Reply(chunks=[error_event("invalid_request_error", "bad field")]))
    with pytest.raises(PermanentError, match="bad field"):
        await run(AnthropicProvider(settings_for(fake_llm)))


async def test_unstreamed_message_is_accepted(fake_llm: FakeLLM) -> None:
    whole = {
        "type": "message",
        "content": [{"type": "text", "text": "all at once"}],
        "stop_reason": "end_turn",
        "usage": {"input_tokens": 4, "output_tokens": 3},
    }
    headers = {"content-type": "application/json"}
    fake_llm.script(Reply(chunks=[json.dumps(whole).encode()], headers=headers))
    assert await run(AnthropicProvider(settings_for(fake_llm))) == "all at once"


@pytest.mark.parametrize("status", [401, 403])
async def test_rejected_key_is_permanent_and_never_shown(
    fake_llm: FakeLLM, status: int
) -> None:
    body = error_body("authentication_error", f"invalid x-api-key {KEY}")
    fake_llm.script(Reply(status=status, chunks=[body], framing="length"))
    with pytest.raises(PermanentError) as caught:
        await run(AnthropicProvider(settings_for(fake_llm)))
    message = str(caught.value)
    assert message.startswith(
        f"The API key was rejected by {fake_llm.url} ({status}). "
        "Check ANTHROPIC_API_KEY"
    )
    assert KEY not in message
    assert "0123456789" not in message


async def test_unknown_model_is_permanent(fake_llm: FakeLLM) -> None:
    body = error_body("not_found_error", "model: claude-test")
    fake_llm.script(Reply(status=404, chunks=[body], framing="length"))
    with pytest.raises(PermanentError) as caught:
        await run(AnthropicProvider(settings_for(fake_llm)))
    assert str(caught.value).startswith(
        f"Model 'claude-test' not found at {fake_llm.url}"
    )


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (400, error_body("invalid_request_error", "prompt is too long: 210000 tokens")),
        (413, error_body("request_too_large", "Request exceeds the maximum size")),
    ],
)
async def test_context_too_long_is_permanent(
    fake_llm: FakeLLM, status: int, body: bytes
) -> None:
    fake_llm.script(Reply(status=status, chunks=[body], framing="length"))
    with pytest.raises(PermanentError, match=r"prompt is too long.*Shorten"):
        await run(AnthropicProvider(settings_for(fake_llm)))


@pytest.mark.parametrize("status", [400, 422])
async def test_other_refusals_carry_the_server_message(
    fake_llm: FakeLLM, status: int
) -> None:
    body = error_body("invalid_request_error", "max_tokens: must be positive")
    fake_llm.script(Reply(status=status, chunks=[body], framing="length"))
    with pytest.raises(PermanentError, match=f"\\({status}\\): max_tokens: must be"):
        await run(AnthropicProvider(settings_for(fake_llm)))
    assert len(fake_llm.requests) == 1


async def test_connection_refused_is_transient() -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    settings = Settings(provider="anthropic", base_url=url, read_timeout=0.5)
    with pytest.raises(TransientError) as caught:
        await run(AnthropicProvider(settings))
    assert str(caught.value).startswith(f"Cannot reach {url} — is the server running?")


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "7"}, 7.0),
        ({"retry-after-ms": "250"}, 0.25),
        ({}, None),
    ],
)
@pytest.mark.parametrize("status", [408, 409, 429])
async def test_retryable_statuses_honour_retry_after(
    fake_llm: FakeLLM, status: int, headers: dict[str, str], expected: float | None
) -> None:
    body = error_body("rate_limit_error", "slow down")
    fake_llm.script(Reply(status, [body], headers=headers, framing="length"))
    with pytest.raises(TransientError, match="slow down") as caught:
        await run(AnthropicProvider(settings_for(fake_llm)))
    assert caught.value.retry_after == expected


async def test_retry_after_as_http_date(fake_llm: FakeLLM) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=60), usegmt=True)
    body = error_body("rate_limit_error", "later")
    fake_llm.script(Reply(429, [body], {"retry-after": when}, framing="length"))
    with pytest.raises(TransientError) as caught:
        await run(AnthropicProvider(settings_for(fake_llm)))
    assert caught.value.retry_after is not None
    assert 55 <= caught.value.retry_after <= 60


@pytest.mark.parametrize("status", [500, 502, 503, 529])
async def test_server_errors_are_transient(fake_llm: FakeLLM, status: int) -> None:
    body = error_body("overloaded_error", "Overloaded")
    fake_llm.script(Reply(status, [body], framing="length"))
    with pytest.raises(TransientError, match=f"\\({status}\\)"):
        await run(AnthropicProvider(settings_for(fake_llm)))


@pytest.mark.parametrize("while_", ["reading", "between_chunks"])
async def test_cancellation_closes_the_stream(fake_llm: FakeLLM, while_: str) -> None:
    fake_llm.script(Reply(chunks=[start() + delta("first")], end="stall"))
    provider = AnthropicProvider(settings_for(fake_llm, read_timeout=30.0))
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
    body = error_body("authentication_error", KEY)
    fake_llm.script(Reply(401, [body], framing="length"))
    with pytest.raises(ProviderError) as caught:
        await run(AnthropicProvider(settings_for(fake_llm)))
    assert KEY not in caplog.text
    assert KEY not in str(caught.value)
    assert KEY not in repr(settings_for(fake_llm))


async def test_registry_builds_and_checks_the_provider(fake_llm: FakeLLM) -> None:
    fake_llm.script(Reply(chunks=[answer("OK")]))
    settings = settings_for(fake_llm)
    provider = make_provider(settings)
    assert isinstance(provider, AnthropicProvider)
    await provider.aclose()

    message = await check_provider(settings)
    assert message.startswith(f"OK: anthropic model 'claude-test' at {fake_llm.url}")
    assert fake_llm.requests[0].body["max_tokens"] == 8


async def test_check_provider_accepts_an_answer_cut_at_eight_tokens(
    fake_llm: FakeLLM,
) -> None:
    fake_llm.script(Reply(chunks=[answer("OK OK OK", stop="max_tokens")]))
    assert (await check_provider(settings_for(fake_llm))).startswith("OK: anthropic")
