"""Benchmark: parsing a ~4,000-token streamed completion.

A local server (a child process, so it does not share our CPU) streams one
completion in the OpenAI SSE wire format, with realistic chunking: each network
write carries one to six events and is sometimes cut mid-event. We measure

(a) our OpenAIProvider against the official ``openai`` SDK (AsyncOpenAI) on
    the unpaced stream, where parsing cost dominates: target ratio <= 1;
(b) our provider's total time against the time plain httpx needs just to read
    the same bytes, on a stream paced like a fast model: target ratio <= 1.05.

Run: .venv/bin/python bench/bench_stream.py [--runs N] [--rate TOKENS_PER_S]
Prints figures only; it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable

TOKENS = 4000
MODEL = "gpt-4o-mini"
WORDS = [
    "training", "needs", "analysis", "stakeholders", "competencies", "phase",
    "budget", "timeline", "learners", "modality", "compliance", "café", "naïve",
    "→", "onboarding", '"quoted"', "{braces}", "assessment", "rollout", "🚀",
    "coaching", "e-learning", "workshop", "microlearning", "ROI",
]  # fmt: skip


def build_stream(tokens: int = TOKENS, seed: int = 7) -> tuple[list[bytes], str]:
    """The SSE events of one completion, one token each, and its whole text."""
    rng = random.Random(seed)
    created = 1_733_300_000
    texts = [("" if i == 0 else " ") + rng.choice(WORDS) for i in range(tokens)]
    events = [_event(created, {"role": "assistant", "content": ""}, None)]
    events += [_event(created, {"content": text}, None) for text in texts]
    events.append(_event(created, {}, "stop"))
    usage = {
        "prompt_tokens": 812,
        "completion_tokens": tokens,
        "total_tokens": 812 + tokens,
    }
    last = {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": created,
    }
    last.update({"model": MODEL, "choices": [], "usage": usage})
    events.append(b"data: " + json.dumps(last).encode() + b"\n\n")
    events.append(b"data: [DONE]\n\n")
    return events, "".join(texts)


def _event(created: int, delta: dict[str, str], finish: str | None) -> bytes:
    chunk = {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": created,
        "model": MODEL,
        "system_fingerprint": "fp_bench",
        "choices": [
            {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        ],
    }
    return b"data: " + json.dumps(chunk, ensure_ascii=False).encode() + b"\n\n"


def network_writes(events: list[bytes], seed: int = 11) -> list[tuple[bytes, int]]:
    """Group events into writes of 1-6 events, some cut mid-event; (bytes, tokens)."""
    rng = random.Random(seed)
    writes: list[tuple[bytes, int]] = []
    carry = b""
    i = 0
    while i < len(events):
        take = rng.randint(1, 6)
        data = carry + b"".join(events[i : i + take])
        i += take
        carry = b""
        if i < len(events) and rng.random() < 0.3:
            cut = rng.randint(1, len(data) - 1)
            data, carry = data[:cut], data[cut:]
        writes.append((data, take))
    if carry:
        writes.append((carry, 0))
    return writes


# The server (runs in a child process).


async def _serve_forever() -> None:
    events, _ = build_stream()
    writes = network_writes(events)
    server = await asyncio.start_server(
        lambda r, w: _connection(r, w, writes), "127.0.0.1", 0
    )
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


async def _connection(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    writes: list[tuple[bytes, int]],
) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            path = head.split(b" ", 2)[1].decode()
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    await reader.readexactly(int(line.split(b":")[1]))
            rate = float(path.split("/")[2]) if path.startswith("/rate/") else 0.0
            await _stream(writer, writes, rate)
    except (asyncio.IncompleteReadError, ConnectionError):
        writer.close()


async def _stream(
    writer: asyncio.StreamWriter, writes: list[tuple[bytes, int]], rate: float
) -> None:
    writer.write(
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
        b"transfer-encoding: chunked\r\n\r\n"
    )
    loop = asyncio.get_running_loop()
    started = loop.time()
    sent = 0
    for data, tokens in writes:
        writer.write(b"%x\r\n%s\r\n" % (len(data), data))
        sent += tokens
        if rate:
            # Pace against the clock so sleep granularity does not add up.
            await asyncio.sleep(max(0.0, started + sent / rate - loop.time()))
        else:
            await writer.drain()
    writer.write(b"0\r\n\r\n")
    await writer.drain()


# The clients (run in this process).


def make_raw(base_url: str) -> Callable[[], Awaitable[None]]:
    """A run that reads the whole body with plain httpx, parsing nothing."""
    import httpx

    client = httpx.AsyncClient(timeout=60)
    body = {"model": MODEL, "messages": [], "stream": True}

    async def run() -> None:
        url = base_url + "/chat/completions"
        async with client.stream("POST", url, json=body) as response:
            async for _ in response.aiter_raw():
                pass

    return run


def make_ours(base_url: str, expected: str) -> Callable[[], Awaitable[None]]:
    """A run of our OpenAIProvider over one reused client."""
    from starmap_tui.config import Settings
    from starmap_tui.worker.providers.base import GenerationRequest
    from starmap_tui.worker.providers.openai import OpenAIProvider

    settings = Settings(provider="openai", base_url=base_url, api_key="bench")
    provider = OpenAIProvider(settings)

    async def run() -> None:
        request = GenerationRequest("final", "system", "prompt", {}, MODEL)
        text = "".join([part async for part in provider.stream(request)])
        if text != expected:
            raise RuntimeError("our provider garbled the stream")

    return run


def make_sdk(base_url: str, expected: str) -> Callable[[], Awaitable[None]]:
    """A run of the official SDK over one reused client."""
    from openai import AsyncOpenAI

    client = AsyncOpenAI(base_url=base_url, api_key="bench", max_retries=0)

    async def run() -> None:
        stream = await client.chat.completions.create(
            model=MODEL,
            messages=[{"role": "user", "content": "prompt"}],
            stream=True,
            stream_options={"include_usage": True},
            response_format={"type": "json_object"},
        )
        parts = []
        async for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                parts.append(chunk.choices[0].delta.content)
        if "".join(parts) != expected:
            raise RuntimeError("the SDK garbled the stream")

    return run


async def median_time(run: Callable[[], Awaitable[None]], runs: int) -> float:
    """Median wall time of runs, after one warm-up."""
    await run()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


async def main(runs: int, rate: float) -> None:
    """Start the server, measure, print."""
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve"], stdout=subprocess.PIPE, text=True
    )
    try:
        port = int(server.stdout.readline()) if server.stdout else 0
        await measure(f"http://127.0.0.1:{port}", runs, rate)
    finally:
        server.terminate()
        server.wait()


async def measure(root: str, runs: int, rate: float) -> None:
    """Run (a) and (b) against the server at root and print the figures."""
    events, expected = build_stream()
    size = sum(len(e) for e in events)
    print(f"stream: {TOKENS} tokens, {len(events)} events, {size / 1024:.0f} KiB")

    fast, paced = f"{root}/rate/0/v1", f"{root}/rate/{rate:g}/v1"
    ours_fast = await median_time(make_ours(fast, expected), runs)
    sdk_fast = await median_time(make_sdk(fast, expected), runs)
    raw_fast = await median_time(make_raw(fast), runs)
    print(f"\n(a) unpaced, median of {runs}:")
    print(f"    ours {ours_fast * 1000:7.1f} ms   openai SDK {sdk_fast * 1000:7.1f} ms")
    print(f"    ratio ours/sdk = {ours_fast / sdk_fast:.3f}   (target <= 1)")
    print(
        f"    raw read {raw_fast * 1000:.1f} ms; ours/raw = {ours_fast / raw_fast:.2f}"
    )

    ours_paced = await median_time(make_ours(paced, expected), runs)
    raw_paced = await median_time(make_raw(paced), runs)
    print(f"\n(b) paced at {rate:g} tokens/s, median of {runs}:")
    print(
        f"    ours {ours_paced * 1000:7.1f} ms   raw httpx {raw_paced * 1000:7.1f} ms"
    )
    print(f"    ratio ours/raw = {ours_paced / raw_paced:.3f}   (target <= 1.05)")


def parse_args() -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--rate", type=float, default=4000.0)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args()


if __name__ == "__main__":
    args = parse_args()
    if args.serve:
        asyncio.run(_serve_forever())
    else:
        asyncio.run(main(args.runs, args.rate))
