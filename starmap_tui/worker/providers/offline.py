"""The offline provider: rules instead of a model, no network and no key."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from starmap_tui.worker.offline import generate
from starmap_tui.worker.providers.base import GenerationRequest, PermanentError

CHUNK_CHARS = 400


class OfflineProvider:
    """Builds deep-dive questions and reports from the answers, deterministically."""

    name = "offline"
    model = "rules-v1"

    def __init__(self, pace: float = 0.0) -> None:
        # Seconds between chunks. Zero is as fast as the rules run; a small
        # pace lets a demo (or the end-to-end test) watch a job in progress.
        self.pace = pace

    async def stream(self, request: GenerationRequest) -> AsyncIterator[str]:
        """Yield the result's JSON text in chunks, yielding control between them."""
        if request.kind not in ("questions", "preliminary", "final"):
            raise PermanentError(f"The offline engine cannot build {request.kind!r}.")
        text = json.dumps(generate(request.kind, request.context), ensure_ascii=False)
        request.usage.input_tokens = 0
        request.usage.output_tokens = 0
        for start in range(0, len(text), CHUNK_CHARS):
            yield text[start : start + CHUNK_CHARS]
            await asyncio.sleep(self.pace)

    async def aclose(self) -> None:
        """Nothing to release: the engine holds no connections."""
