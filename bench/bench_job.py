"""A 4,000-token report's job time through the runner vs the server's own time.

A child process serves one Chat Completions stream whose content is a real
report (the offline engine's JSON for a sample starmap, re-tokenised into 4,000
pieces) at a fixed token rate. We time (a) reading that stream with plain
httpx, parsing nothing — the server's own streaming time — and (b) a whole
``final`` job through the runner with the openai provider: claim, stream,
extract, validate, render Markdown, finish in the store. Target: b/a <= 1.05.

    .venv/bin/python bench/bench_job.py [--runs 5] [--rate 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TOKENS = 4000
ANSWERS = {
    "experience": {"exp_level": "Expert (seasoned practitioner)"},
    "stage1": {"requester_name": "Ana Ruiz", "requester_role": "L&D lead",
               "requester_department": "Sales", "requester_email": "ana@example.com"},
    "stage2": {"org_name": "Acme Tools", "org_industry": "Manufacturing",
               "org_size": "1001-5000 employees", "org_headquarters": "Lyon",
               "org_compliance": ["ISO 27001", "GDPR"],
               "org_stakeholders": ["C-Suite", "Department Heads"]},
    "stage3": {"project_objectives": "Raise win rate 20%; cut ramp-up from 6 to 3 "
               "months", "project_constraints": "Sellers travel; no classroom",
               "target_audience": "300 field sellers in 9 countries",
               "project_timeline": {"start": "2027-03-01", "end": "2027-12-15"},
               "project_budget_range": "$250,000 - $500,000",
               "available_hardware": ["Laptops", "Smartphones"],
               "available_software": ["LMS", "Teams"]},
}  # fmt: skip


def events_for(text: str, tokens: int = TOKENS) -> list[bytes]:
    """The SSE events delivering ``text`` in ``tokens`` pieces, then the finish."""
    size = max(1, len(text) // tokens)
    pieces = [text[i : i + size] for i in range(0, len(text), size)]
    out = [_chunk({"content": piece}, None) for piece in pieces]
    out.append(_chunk({}, "stop"))
    out.append(b"data: [DONE]\n\n")
    return out


def _chunk(delta: dict[str, str], finish: str | None) -> bytes:
    body = {
        "id": "c",
        "object": "chat.completion.chunk",
        "model": "bench",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return b"data: " + json.dumps(body, ensure_ascii=False).encode() + b"\n\n"


async def serve(text_file: str, rate: float) -> None:
    """Serve the stream forever, pacing events at ``rate`` per second."""
    events = events_for(Path(text_file).read_text(encoding="utf-8"))

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        await reader.readexactly(int(line.split(b":")[1]))
                await stream(writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    async def stream(writer: asyncio.StreamWriter) -> None:
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
            b"transfer-encoding: chunked\r\n\r\n"
        )
        started = time.perf_counter()
        for n in range(0, len(events), 8):
            data = b"".join(events[n : n + 8])
            writer.write(b"%x\r\n%s\r\n" % (len(data), data))
            await writer.drain()
            due = started + (n + 8) / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
        writer.write(b"0\r\n\r\n")
        await writer.drain()

    server = await asyncio.start_server(connection, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


async def report_text() -> str:
    """A real report's JSON, as a good model would write it."""
    from starmap_tui.worker.offline import generate

    context = {
        "title": "Bench",
        "experience_level": "Expert (seasoned practitioner)",
        "answers": {k: v for s in ANSWERS.values() for k, v in s.items()},
        "dynamic_questions": [],
        "dynamic_answers": {},
        "extra_context": "",
        "today": "2027-01-01",
    }
    data = generate("final", context)
    data.pop("generated_by", None)
    return json.dumps(data, ensure_ascii=False, indent=1)


async def raw_time(url: str) -> float:
    """Seconds to read the whole stream with plain httpx."""
    import httpx

    async with httpx.AsyncClient(timeout=60) as client:
        started = time.perf_counter()
        body = {"model": "bench", "messages": [], "stream": True}
        async with client.stream("POST", url + "/chat/completions", json=body) as r:
            async for _ in r.aiter_raw():
                pass
        return time.perf_counter() - started


async def job_time(url: str, folder: Path, n: int) -> float:
    """Seconds from queueing a final job to its starmap being completed."""
    from starmap_tui.config import Settings
    from starmap_tui.storage.repository import Repository
    from starmap_tui.worker.providers.registry import make_provider
    from starmap_tui.worker.runner import Runner, RunnerSettings

    repo = await Repository.open(folder / f"job{n}.db")
    settings = Settings(provider="openai", base_url=url, api_key="bench", model="b")
    runner = Runner(
        repo,
        lambda: make_provider(settings),
        RunnerSettings(concurrency=1, poll_seconds=0.01),
    )
    record = await repo.create_starmap(
        "Bench", stage_answers=ANSWERS, completed_stages=tuple(ANSWERS)
    )
    await runner.start()
    started = time.perf_counter()
    await repo.enqueue(record.id, "final")
    runner.wake()
    while (await repo.get_starmap(record.id)).status != "completed":
        await asyncio.sleep(0.002)
    elapsed = time.perf_counter() - started
    await runner.stop()
    await repo.close()
    return elapsed


async def main(runs: int, rate: float) -> None:
    """Start the server, measure both, print the figures."""
    folder = Path(tempfile.mkdtemp(prefix="bench-job-"))
    text = await report_text()
    (folder / "report.json").write_text(text, encoding="utf-8")
    server = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--serve",
            str(folder / "report.json"),
            "--rate",
            str(rate),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{int(server.stdout.readline())}/v1"
        await raw_time(url)
        raws = [await raw_time(url) for _ in range(runs)]
        jobs = [await job_time(url, folder, n) for n in range(runs)]
    finally:
        server.terminate()
        server.wait()
    raw, job = statistics.median(raws), statistics.median(jobs)
    print(f"report: {len(text):,} characters in {TOKENS} tokens at {rate:g} tokens/s")
    print(f"server streaming time (plain httpx read), median of {runs}: {raw:.3f} s")
    print(f"whole final job through the runner,        median of {runs}: {job:.3f} s")
    print(f"ratio job/server = {job / raw:.3f}   (target <= 1.05)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rate", type=float, default=2000.0)
    parser.add_argument("--serve", metavar="FILE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.serve, args.rate))
    else:
        asyncio.run(main(args.runs, args.rate))
