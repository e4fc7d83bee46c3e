"""Model answers for the fake server, written by our real offline engine.

The fake server speaks the OpenAI wire format; what the "model" says is the
offline engine's own JSON for the same starmap, so the pipeline downstream of
the provider sees realistic, valid output.
"""

from __future__ import annotations

import json

from starmap_tui.config import Settings
from starmap_tui.storage.records import StarmapRecord
from starmap_tui.worker.pipeline import build_request
from starmap_tui.worker.providers.offline import OfflineProvider
from tests.fakellm import FakeLLM, Pause, Reply


async def model_answer(record: StarmapRecord, kind: str) -> str:
    """The JSON text a good model would give for this step.

    The offline engine names itself in ``generated_by``; a model would not, so
    that is left out and the pipeline names the provider and model instead.
    """
    request = build_request(record, kind, model="m", temperature=0, max_tokens=1)
    provider = OfflineProvider()
    data = json.loads("".join([piece async for piece in provider.stream(request)]))
    data.pop("generated_by", None)
    return json.dumps(data, ensure_ascii=False)


def openai_chunks(
    text: str, *, piece: int = 400, pause: float = 0.0, finish: str = "stop"
) -> list[bytes | Pause]:
    """A Chat Completions SSE stream that delivers ``text`` then finishes."""
    out: list[bytes | Pause] = []
    for start in range(0, len(text), piece):
        delta = {
            "choices": [
                {
                    "index": 0,
                    "delta": {"content": text[start : start + piece]},
                    "finish_reason": None,
                }
            ]
        }
        out.append(f"data: {json.dumps(delta)}\n\n".encode())
        if pause:
            out.append(Pause(pause))
    end = {"choices": [{"index": 0, "delta": {}, "finish_reason": finish}]}
    out.append(f"data: {json.dumps(end)}\n\ndata: [DONE]\n\n".encode())
    return out


def openai_reply(text: str, **options: object) -> Reply:
    """A 200 streamed reply carrying ``text``."""
    return Reply(status=200, chunks=openai_chunks(text, **options))  # type: ignore[arg-type]


def error_reply(status: int, message: str, **headers: str) -> Reply:
    """A JSON error reply as OpenAI-compatible servers send them."""
    body = json.dumps({"error": {"message": message, "type": "error"}}).encode()
    return Reply(status=status, chunks=[body], headers=headers, framing="length")


def llm_settings(server: FakeLLM, **overrides: object) -> Settings:
    """Settings that point the openai provider at the fake server."""
    values: dict[str, object] = {
        "provider": "openai",
        "model": "fake-model",
        "api_key": "sk-test-secret",
        "base_url": f"{server.url}/v1",
        "read_timeout": 5.0,
        "connect_timeout": 2.0,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]
