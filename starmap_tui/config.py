"""Settings, resolved once at start-up from flags, environment, file and defaults.

Precedence, highest first: command-line flags, environment variables
(``STARMAP_<NAME>``, then the provider's usual key variable), ``config.toml``
in the config folder (a flat table of the same names), built-in defaults.
"""

from __future__ import annotations

import os
import stat
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from starmap_tui.paths import AppPaths

PROVIDERS = ("offline", "openai", "anthropic")

DEFAULT_MODELS = {"openai": "gpt-4o-mini", "anthropic": "claude-sonnet-4-5"}
DEFAULT_BASE_URLS = {
    "openai": "https://api.openai.com/v1",
    "anthropic": "https://api.anthropic.com",
}
KEY_VARIABLES = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}
READ_TIMEOUT_RANGE = (60.0, 300.0)


class ConfigError(Exception):
    """A setting is malformed; the message names where it came from."""


@dataclass(frozen=True)
class Settings:
    """Every setting the app runs with; an empty model or base_url means default."""

    provider: str = "offline"
    model: str = ""
    base_url: str = ""
    api_key: str | None = field(default=None, repr=False)
    temperature: float = 0.4
    max_tokens: int = 8192
    concurrency: int = 2
    connect_timeout: float = 10.0
    read_timeout: float = 120.0
    job_deadline: float = 900.0
    offline_pace: float = 0.0
    db_path: Path | None = None

    def __post_init__(self) -> None:
        # Frozen, so the provider's defaults are filled in through object.
        if not self.model:
            object.__setattr__(self, "model", DEFAULT_MODELS.get(self.provider, ""))
        if not self.base_url:
            url = DEFAULT_BASE_URLS.get(self.provider, "")
            object.__setattr__(self, "base_url", url)

    @property
    def key_hint(self) -> str:
        """Where a person sets the key for this provider, for error messages."""
        variable = KEY_VARIABLES.get(self.provider, "STARMAP_API_KEY")
        return f"{variable} / STARMAP_API_KEY or api_key in config.toml"


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a non-empty string")
    return value.strip()


def _provider(value: Any) -> str:
    name = _text(value).lower()
    if name not in PROVIDERS:
        raise ValueError("must be one of offline, openai, anthropic")
    return name


def _url(value: Any) -> str:
    url = _text(value).rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http:// or https:// URL")
    return url


def _number(low: float, high: float) -> Callable[[Any], float]:
    def check(value: Any) -> float:
        try:
            number = _as_number(value, float)
        except ValueError:
            number = None
        if number is None or not low <= number <= high:
            raise ValueError(f"must be a number from {low:g} to {high:g}")
        return number

    return check


def _integer(low: int, high: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        try:
            number = _as_number(value, int)
        except ValueError:
            number = None
        if number is None or not low <= number <= high:
            raise ValueError(f"must be a whole number from {low} to {high}")
        return int(number)

    return check


def _as_number(value: Any, kind: type[float] | type[int]) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        return kind(value.strip())
    if isinstance(value, int) or (kind is float and isinstance(value, float)):
        return kind(value)
    return None


def _path(value: Any) -> Path:
    if isinstance(value, Path):
        return value.expanduser()
    return Path(_text(value)).expanduser()


_CHECKS: dict[str, Callable[[Any], Any]] = {
    "provider": _provider,
    "model": _text,
    "base_url": _url,
    "api_key": _text,
    "temperature": _number(0.0, 2.0),
    "max_tokens": _integer(1, 1_000_000),
    "concurrency": _integer(1, 32),
    "connect_timeout": _number(1.0, 120.0),
    "read_timeout": _number(*READ_TIMEOUT_RANGE),
    "job_deadline": _number(60.0, 86_400.0),
    "offline_pace": _number(0.0, 5.0),
    "db_path": _path,
}


def _checked(name: str, value: Any, where: str) -> Any:
    try:
        return _CHECKS[name](value)
    except (ValueError, TypeError) as exc:
        shown = "" if name == "api_key" else f" (got {value!r})"
        raise ConfigError(f"{where}: '{name}' {exc}{shown}") from None


def _read_file(config_file: Path) -> dict[str, Any]:
    try:
        with config_file.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{config_file} is not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"Cannot read {config_file}: {exc.strerror}") from None


def _file_layer(config_file: Path, warnings: list[str]) -> dict[str, Any]:
    raw = _read_file(config_file)
    layer: dict[str, Any] = {}
    for name, value in raw.items():
        if name not in _CHECKS:
            warnings.append(f"{config_file}: unknown setting '{name}' ignored")
            continue
        layer[name] = _checked(name, value, f"{config_file} key '{name}'")
    if "api_key" in layer and _readable_by_others(config_file):
        warnings.append(
            f"{config_file} holds an API key and other users can read it: "
            f"chmod 600 {config_file}"
        )
    return layer


def _readable_by_others(path: Path) -> bool:
    if os.name == "nt":
        return False
    return bool(path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO))


def _env_layer(environ: Mapping[str, str]) -> dict[str, Any]:
    layer: dict[str, Any] = {}
    for name in _CHECKS:
        variable = f"STARMAP_{name.upper()}"
        value = environ.get(variable, "").strip()
        if value:
            layer[name] = _checked(name, value, f"environment variable {variable}")
    return layer


def _flag_layer(flags: Mapping[str, Any]) -> dict[str, Any]:
    layer: dict[str, Any] = {}
    for name in _CHECKS:
        value = flags.get(name)
        if value is not None:
            flag = "--" + name.replace("_", "-")
            layer[name] = _checked(name, value, f"option {flag}")
    return layer


def _provider_key(provider: str, environ: Mapping[str, str]) -> str | None:
    variable = KEY_VARIABLES.get(provider)
    value = environ.get(variable, "").strip() if variable else ""
    return value or None


def load_settings(
    paths: AppPaths, environ: Mapping[str, str], flags: Mapping[str, Any]
) -> tuple[Settings, list[str]]:
    """Resolve the settings; return them with warnings to show the user.

    ``flags`` uses the Settings field names; None or a missing name means the
    flag was not given, and names that are not settings are ignored.
    """
    warnings: list[str] = []
    file_layer = _file_layer(paths.config_file, warnings)
    env_layer = _env_layer(environ)
    merged = {**file_layer, **env_layer, **_flag_layer(flags)}

    provider = merged.get("provider", "offline")
    if "api_key" not in env_layer and flags.get("api_key") is None:
        key = _provider_key(provider, environ)
        if key:
            merged["api_key"] = key
    settings = replace(Settings(provider=provider), **merged)
    warnings.extend(_missing_key_warning(settings))
    return settings, warnings


def _missing_key_warning(settings: Settings) -> list[str]:
    official = DEFAULT_BASE_URLS.get(settings.provider)
    if settings.api_key or official is None or settings.base_url != official:
        return []
    return [f"No API key for {settings.base_url}: set {settings.key_hint}."]


def setting_names() -> tuple[str, ...]:
    """The names accepted in config.toml, as flags and as STARMAP_* variables."""
    return tuple(f.name for f in fields(Settings))
