"""A scripted fake LLM server: real HTTP/1.1 on 127.0.0.1, byte for byte.

Each request is answered by the next scripted :class:`Reply`: a status, headers
and a list of raw byte chunks (with optional pauses), ending cleanly, by
closing the socket mid-stream, or by stalling until the client goes away. Every
request received is recorded (method, path, headers, JSON body) so tests can
assert on what the provider sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import pytest

Ending = Literal["complete", "drop", "stall"]
Framing = Literal["chunked", "length", "close"]

_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found"}


@dataclass(frozen=True)
class Pause:
    """Wait this long before the next chunk (the server's delay, not the test's)."""

    seconds: float


@dataclass
class Reply:
    """One scripted response.

    ``status`` 0 hangs up without answering. ``framing`` is how the body is
    delimited: chunked transfer, Content-Length, or closing the connection.
    ``end`` is "complete", "drop" (close mid-body) or "stall" (send nothing
    more until the client disconnects).
    """

    status: int = 200
    chunks: list[bytes | Pause] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    end: Ending = "complete"
    framing: Framing = "chunked"


@dataclass
class Received:
    """One request as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]
    raw_body: bytes
    client_gone: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def body(self) -> Any:
        """The request body parsed as JSON."""
        return json.loads(self.raw_body)


def sse(*events: str | dict[str, Any], event: str | None = None) -> bytes:
    """Encode data events (dicts become JSON) in SSE wire format with LF ends."""
    out = []
    for item in events:
        data = item if isinstance(item, str) else json.dumps(item, ensure_ascii=False)
        prefix = f"event: {event}\n" if event else ""
        out.append(f"{prefix}data: {data}\n\n")
    return "".join(out).encode()


def anthropic_event(name: str, data: dict[str, Any]) -> bytes:
    """One named event in SSE wire format, as Anthropic's Messages API sends it."""
    payload = json.dumps({"type": name, **data}, ensure_ascii=False)
    return f"event: {name}\ndata: {payload}\n\n".encode()


def anthropic_start() -> bytes:
    """message_start, a text block start and a ping."""
    message = {"id": "msg_1", "role": "assistant", "content": []}
    message["usage"] = {"input_tokens": 25, "output_tokens": 1}
    return (
        anthropic_event("message_start", {"message": message})
        + anthropic_event(
            "content_block_start",
            {"index": 0, "content_block": {"type": "text", "text": ""}},
        )
        + anthropic_event("ping", {})
    )


def anthropic_delta(text: str) -> bytes:
    """One text_delta."""
    body = {"index": 0, "delta": {"type": "text_delta", "text": text}}
    return anthropic_event("content_block_delta", body)


def anthropic_finish(stop: str = "end_turn", message_stop: bool = True) -> bytes:
    """Block stop, message_delta with stop_reason and usage, message_stop."""
    wire = anthropic_event("content_block_stop", {"index": 0})
    body = {"delta": {"stop_reason": stop}, "usage": {"output_tokens": 9}}
    wire += anthropic_event("message_delta", body)
    if message_stop:
        wire += anthropic_event("message_stop", {})
    return wire


def anthropic_answer(
    *parts: str, stop: str = "end_turn", message_stop: bool = True
) -> bytes:
    """A whole streamed message."""
    return (
        anthropic_start()
        + b"".join(anthropic_delta(p) for p in parts)
        + anthropic_finish(stop, message_stop)
    )


def split_every(data: bytes, size: int) -> list[bytes | Pause]:
    """Cut data into pieces of size bytes, ignoring line and character bounds."""
    return [data[i : i + size] for i in range(0, len(data), size)]


class FakeLLM:
    """The server; ``url`` is its root, ``requests`` what it has received."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.responder: Callable[[Received], Reply] | None = None
        self._replies: deque[Reply] = deque()
        self._server: asyncio.Server | None = None
        self._stopping = asyncio.Event()
        self._writers: set[asyncio.StreamWriter] = set()
        self.port = 0

    @property
    def url(self) -> str:
        """The server's root URL."""
        return f"http://127.0.0.1:{self.port}"

    def script(self, *replies: Reply) -> None:
        """Queue replies for the next requests, in order.

        When the queue is empty, ``responder`` (if set) answers instead: a
        function from the request to its reply, for servers that must answer
        requests arriving in any order.
        """
        self._replies.extend(replies)

    async def start(self) -> None:
        """Listen on an ephemeral port on 127.0.0.1."""
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Release stalls, close every connection and stop listening."""
        self._stopping.set()
        for writer in list(self._writers):
            writer.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self._writers.add(writer)
        try:
            while not self._stopping.is_set():
                received = await self._read_request(reader)
                if received is None:
                    break
                self.requests.append(received)
                if not await self._answer(received, reader, writer):
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    @staticmethod
    async def _read_request(reader: asyncio.StreamReader) -> Received | None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            return None
        request_line, *lines = head.decode("latin-1").split("\r\n")
        method, path, _ = request_line.split(" ", 2)
        headers = {}
        for line in lines:
            if ":" in line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        body = await reader.readexactly(length) if length else b""
        return Received(method, path, headers, body)

    async def _answer(
        self,
        received: Received,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> bool:
        """Send the next scripted reply; return whether the connection stays open."""
        if self._replies:
            reply = self._replies.popleft()
        elif self.responder is not None:
            reply = self.responder(received)
        else:
            reply = _unscripted()
        if reply.status == 0:
            return False
        writer.write(_head(reply))
        await writer.drain()
        for piece in reply.chunks:
            if isinstance(piece, Pause):
                await asyncio.sleep(piece.seconds)
            elif piece:
                writer.write(_frame(piece, reply.framing))
                await writer.drain()
        if reply.end == "stall":
            await self._wait_for_client(received, reader)
            return False
        if reply.end == "drop" or reply.framing == "close":
            return False
        if reply.framing == "chunked":
            writer.write(b"0\r\n\r\n")
            await writer.drain()
        return True

    async def _wait_for_client(
        self, received: Received, reader: asyncio.StreamReader
    ) -> None:
        stopping = asyncio.ensure_future(self._stopping.wait())
        try:
            while not stopping.done():
                read = asyncio.ensure_future(reader.read(65536))
                await asyncio.wait(
                    {read, stopping}, return_when=asyncio.FIRST_COMPLETED
                )
                if not read.done():
                    read.cancel()
                    break
                if not read.result():
                    received.client_gone.set()
                    break
        except ConnectionError:
            received.client_gone.set()
        finally:
            stopping.cancel()


def _unscripted() -> Reply:
    body = json.dumps({"error": {"message": "fakellm: no reply scripted"}}).encode()
    return Reply(status=500, chunks=[body], framing="length")


def _head(reply: Reply) -> bytes:
    headers = {k.lower(): v for k, v in reply.headers.items()}
    default_type = "text/event-stream" if reply.status == 200 else "application/json"
    headers.setdefault("content-type", default_type)
    if reply.framing == "chunked":
        headers["transfer-encoding"] = "chunked"
    elif reply.framing == "length":
        total = sum(len(p) for p in reply.chunks if isinstance(p, bytes))
        headers["content-length"] = str(total)
    else:
        headers["connection"] = "close"
    reason = _REASONS.get(reply.status, "Status")
    lines = [f"HTTP/1.1 {reply.status} {reason}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _frame(piece: bytes, framing: Framing) -> bytes:
    if framing == "chunked":
        return b"%x\r\n%s\r\n" % (len(piece), piece)
    return piece


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.asynccontextmanager
async def running() -> AsyncIterator[FakeLLM]:
    """Run a FakeLLM for the duration of the block."""
    server = FakeLLM()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def fake_llm() -> AsyncIterator[FakeLLM]:
    """A started FakeLLM, stopped after the test."""
    async with running() as server:
        yield server


def joined(chunks: Iterable[bytes | Pause]) -> bytes:
    """All the bytes of a script, pauses left out."""
    return b"".join(p for p in chunks if isinstance(p, bytes))
