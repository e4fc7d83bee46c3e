"""Choose and build the provider the settings name, importing only that one."""

from __future__ import annotations

import importlib
import time
from typing import Any

from starmap_tui.config import Settings

from .base import GenerationRequest, OutputTruncated, Provider

_PROVIDERS = {
    "offline": ("starmap_tui.worker.providers.offline", "OfflineProvider"),
    "openai": ("starmap_tui.worker.providers.openai", "OpenAIProvider"),
    "anthropic": ("starmap_tui.worker.providers.anthropic", "AnthropicProvider"),
}


def make_provider(settings: Settings, **options: Any) -> Provider:
    """Build the provider named by ``settings.provider``.

    ``options`` go to networked providers (``transport=`` in tests).
    """
    try:
        module_name, class_name = _PROVIDERS[settings.provider]
    except KeyError:
        raise ValueError(f"Unknown provider {settings.provider!r}") from None
    provider_class = getattr(importlib.import_module(module_name), class_name)
    if settings.provider == "offline":
        return provider_class(pace=settings.offline_pace)
    return provider_class(settings, **options)


async def check_provider(settings: Settings) -> str:
    """Ask the provider for a tiny answer; return a one-line OK or raise its error."""
    if settings.provider == "offline":
        return "OK: the offline engine needs no network and no key."
    provider = make_provider(settings)
    request = GenerationRequest(
        kind="questions",
        system="You are a connectivity check. Reply with the single word OK.",
        prompt="Reply with OK.",
        context={},
        model=settings.model,
        temperature=0.0,
        max_tokens=8,
        json_mode=False,
    )
    started = time.monotonic()
    try:
        async for _ in provider.stream(request):
            pass
    except OutputTruncated:
        pass  # Cut off at 8 tokens still proves the model answered.
    finally:
        await provider.aclose()
    elapsed = time.monotonic() - started
    from .sse import display_url  # here, so the offline path never loads httpx

    return (
        f"OK: {settings.provider} model '{settings.model}' at "
        f"{display_url(settings.base_url)} answered in {elapsed:.1f} s."
    )
