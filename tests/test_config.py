"""Settings resolution: flags > environment > config.toml > defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from starmap_tui.config import ConfigError, Settings, load_settings
from starmap_tui.paths import AppPaths, resolve_paths


@pytest.fixture
def paths(tmp_path: Path) -> AppPaths:
    """App paths under a temporary STARMAP_HOME, config folder created."""
    resolved = resolve_paths({"STARMAP_HOME": str(tmp_path)})
    resolved.config_dir.mkdir(parents=True)
    return resolved


def write_config(paths: AppPaths, text: str, mode: int = 0o600) -> Path:
    """Write config.toml with the given permissions."""
    paths.config_file.write_text(text, encoding="utf-8")
    paths.config_file.chmod(mode)
    return paths.config_file


def test_defaults_without_file_env_or_flags(paths: AppPaths) -> None:
    settings, warnings = load_settings(paths, {}, {})
    assert settings == Settings()
    assert settings.provider == "offline"
    assert (settings.temperature, settings.max_tokens, settings.concurrency) == (
        0.4,
        8192,
        2,
    )
    assert (settings.connect_timeout, settings.read_timeout) == (10.0, 120.0)
    assert (settings.job_deadline, settings.db_path) == (900.0, None)
    assert warnings == []


def test_provider_defaults_for_model_and_base_url(paths: AppPaths) -> None:
    openai, _ = load_settings(paths, {"STARMAP_PROVIDER": "openai"}, {})
    assert (openai.model, openai.base_url) == (
        "gpt-4o-mini",
        "https://api.openai.com/v1",
    )
    anthropic, _ = load_settings(paths, {}, {"provider": "anthropic"})
    assert (anthropic.model, anthropic.base_url) == (
        "claude-sonnet-4-5",
        "https://api.anthropic.com",
    )


def test_file_beats_defaults(paths: AppPaths) -> None:
    write_config(
        paths,
        'provider = "openai"\nbase_url = "http://localhost:11434/v1"\n'
        'model = "llama3.1"\ntemperature = 0.2\nmax_tokens = 4000\n'
        "concurrency = 3\nread_timeout = 200\n",
    )
    settings, warnings = load_settings(paths, {}, {})
    assert settings.provider == "openai"
    assert settings.base_url == "http://localhost:11434/v1"
    assert (settings.model, settings.temperature, settings.max_tokens) == (
        "llama3.1",
        0.2,
        4000,
    )
    assert (settings.concurrency, settings.read_timeout) == (3, 200.0)
    assert warnings == []


def test_env_beats_file(paths: AppPaths) -> None:
    write_config(
        paths, 'provider = "anthropic"\nmodel = "from-file"\nconcurrency = 3\n'
    )
    environ = {
        "STARMAP_PROVIDER": "openai",
        "STARMAP_MODEL": "from-env",
        "STARMAP_BASE_URL": "http://127.0.0.1:8080/v1/",
        "STARMAP_CONCURRENCY": "5",
    }
    settings, _ = load_settings(paths, environ, {})
    assert (settings.provider, settings.model, settings.concurrency) == (
        "openai",
        "from-env",
        5,
    )
    assert settings.base_url == "http://127.0.0.1:8080/v1"


def test_flags_beat_env(paths: AppPaths) -> None:
    environ = {"STARMAP_PROVIDER": "openai", "STARMAP_MODEL": "from-env"}
    flags = {"provider": "anthropic", "model": "from-flag", "db_path": "~/x.db"}
    settings, _ = load_settings(paths, environ, flags)
    assert (settings.provider, settings.model) == ("anthropic", "from-flag")
    assert settings.db_path == Path("~/x.db").expanduser()


def test_flags_given_as_none_and_unrelated_flags_are_ignored(paths: AppPaths) -> None:
    flags = {"model": None, "provider": None, "command": "doctor"}
    settings, _ = load_settings(paths, {"STARMAP_MODEL": "m"}, flags)
    assert settings.model == "m"


def test_key_precedence(paths: AppPaths) -> None:
    write_config(paths, 'provider = "openai"\napi_key = "from-file"\n')
    assert load_settings(paths, {}, {})[0].api_key == "from-file"

    environ = {"OPENAI_API_KEY": "from-openai-var"}
    assert load_settings(paths, environ, {})[0].api_key == "from-openai-var"

    environ["STARMAP_API_KEY"] = "from-starmap-var"
    assert load_settings(paths, environ, {})[0].api_key == "from-starmap-var"

    flags = {"api_key": "from-flag"}
    assert load_settings(paths, environ, flags)[0].api_key == "from-flag"


def test_key_variable_follows_the_provider(paths: AppPaths) -> None:
    environ = {
        "STARMAP_PROVIDER": "anthropic",
        "OPENAI_API_KEY": "openai-key",
        "ANTHROPIC_API_KEY": "anthropic-key",
    }
    assert load_settings(paths, environ, {})[0].api_key == "anthropic-key"


def test_key_is_not_in_repr(paths: AppPaths) -> None:
    settings, _ = load_settings(
        paths, {"OPENAI_API_KEY": "sk-hidden"}, {"provider": "openai"}
    )
    assert settings.api_key == "sk-hidden"
    assert "sk-hidden" not in repr(settings)


def test_missing_key_for_the_official_endpoint_warns(paths: AppPaths) -> None:
    _, warnings = load_settings(paths, {"STARMAP_PROVIDER": "openai"}, {})
    assert len(warnings) == 1
    assert "OPENAI_API_KEY" in warnings[0]

    local = {
        "STARMAP_PROVIDER": "openai",
        "STARMAP_BASE_URL": "http://localhost:11434/v1",
    }
    assert load_settings(paths, local, {})[1] == []


def test_malformed_toml_names_the_file(paths: AppPaths) -> None:
    config = write_config(paths, 'provider = "openai\nmodel = 3\n')
    with pytest.raises(ConfigError, match="not valid TOML") as caught:
        load_settings(paths, {}, {})
    assert str(config) in str(caught.value)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('provider = "gemini"', "provider"),
        ("temperature = 7", "temperature"),
        ('temperature = "warm"', "temperature"),
        ("max_tokens = 12.5", "max_tokens"),
        ("concurrency = true", "concurrency"),
        ("read_timeout = 10", "read_timeout"),
        ('base_url = "localhost:11434"', "base_url"),
        ('model = ""', "model"),
    ],
)
def test_bad_value_in_file_names_file_and_key(
    paths: AppPaths, text: str, key: str
) -> None:
    config = write_config(paths, text + "\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(paths, {}, {})
    assert f"{config} key '{key}'" in str(caught.value)


def test_bad_value_in_env_names_the_variable(paths: AppPaths) -> None:
    with pytest.raises(ConfigError, match=r"STARMAP_CONCURRENCY.*'concurrency'"):
        load_settings(paths, {"STARMAP_CONCURRENCY": "many"}, {})


def test_bad_flag_names_the_option(paths: AppPaths) -> None:
    with pytest.raises(ConfigError, match=r"--read-timeout.*from 60 to 300"):
        load_settings(paths, {}, {"read_timeout": 5})


def test_bad_key_value_is_not_echoed(paths: AppPaths) -> None:
    write_config(paths, "api_key = 12345678\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(paths, {}, {})
    assert "12345678" not in str(caught.value)


def test_unknown_key_in_file_warns(paths: AppPaths) -> None:
    write_config(paths, 'modle = "typo"\n')
    _, warnings = load_settings(paths, {}, {})
    assert warnings == [f"{paths.config_file}: unknown setting 'modle' ignored"]


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_readable_file_holding_a_key_warns(paths: AppPaths, mode: int) -> None:
    config = write_config(paths, 'provider = "openai"\napi_key = "sk-x"\n', mode)
    _, warnings = load_settings(paths, {}, {})
    assert len(warnings) == 1
    assert f"chmod 600 {config}" in warnings[0]
    assert "sk-x" not in warnings[0]


def test_private_file_holding_a_key_does_not_warn(paths: AppPaths) -> None:
    write_config(paths, 'provider = "openai"\napi_key = "sk-x"\n', 0o600)
    assert load_settings(paths, {}, {})[1] == []


def test_readable_file_without_a_key_does_not_warn(paths: AppPaths) -> None:
    write_config(paths, 'provider = "offline"\n', 0o644)
    assert load_settings(paths, {}, {})[1] == []


def test_settings_built_directly_allow_short_timeouts() -> None:
    settings = Settings(provider="openai", read_timeout=0.5, job_deadline=1.0)
    assert (settings.read_timeout, settings.model) == (0.5, "gpt-4o-mini")
