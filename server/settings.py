"""One frozen settings object, read from `D/config.toml` and `SAMIZDAT_*`
environment variables, validated once at start-up and passed in.

Nothing here runs at import time, and nothing reads settings from a global:
the apps are built by `create_*_app(settings)`.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

from server.errors import ConfigError
from server.instance import InstancePaths, open_instance

_ENV_PREFIX = "SAMIZDAT_"
_MiB = 1024 * 1024


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    source_port: int = 8080
    journalist_port: int = 8081
    # Bind address is fixed: each app sits behind its own onion service, and
    # the server must never listen on a public interface.
    host: str = "127.0.0.1"
    max_submission_bytes: int = 2 * 1024 * _MiB
    max_file_bytes: int = 2 * 1024 * _MiB
    max_files: int = 20
    max_message_chars: int = 100_000
    # Whole-file formats are cleaned in RAM up to this size; above it the file
    # is sealed as it is and flagged "not cleaned" (never silently clean).
    scrub_in_memory_cap: int = 256 * _MiB
    scrub_workers: int = 2
    scrub_timeout_seconds: int = 120
    # Argon2id at 64 MiB each: at most this many at once, the rest queue.
    codename_concurrency: int = 2
    codename_queue_timeout_seconds: float = 30.0
    source_session_idle_minutes: int = 30
    journalist_session_hours: int = 2
    api_token_minutes: int = 60
    submissions_per_hour: int = 20
    retention_days: int = 0
    # Free space below which uploads are refused cleanly instead of failing half-way.
    min_free_bytes: int = 512 * _MiB
    # crypto.reply bounds a sealed reply at 2 MiB (1 MiB message); a larger
    # cap here would only admit files that are refused anyway.
    max_reply_bytes: int = 2 * _MiB
    onion_location: str = ""

    @property
    def paths(self) -> InstancePaths:
        return InstancePaths(self.data_dir)


_INT_FIELDS = {f.name for f in fields(Settings) if f.type in ("int", int)}
_FLOAT_FIELDS = {f.name for f in fields(Settings) if f.type in ("float", float)}
_STR_FIELDS = {"onion_location"}
_FIXED = {"data_dir", "host"}


def _coerce(name: str, value: object) -> object:
    try:
        if name in _INT_FIELDS:
            if isinstance(value, bool):
                raise ValueError
            return int(value)  # type: ignore[call-overload]
        if name in _FLOAT_FIELDS:
            return float(value)  # type: ignore[arg-type]
        if name in _STR_FIELDS:
            return str(value)
    except (TypeError, ValueError):
        raise ConfigError(
            f"setting {name} has an invalid value",
            hint=f"fix {name} in config.toml or {_ENV_PREFIX}{name.upper()}",
        ) from None
    raise ConfigError(f"unknown setting {name}", hint="remove it from config.toml")


def _validate(s: Settings) -> None:
    for name in _INT_FIELDS | _FLOAT_FIELDS:
        value = getattr(s, name)
        if name != "retention_days" and value <= 0:
            raise ConfigError(f"setting {name} must be positive")
    if s.retention_days < 0:
        raise ConfigError("setting retention_days must be 0 (off) or positive")
    for name in ("source_port", "journalist_port"):
        if not 0 < getattr(s, name) < 65536:
            raise ConfigError(f"setting {name} is not a TCP port")
    if s.source_port == s.journalist_port:
        raise ConfigError(
            "the source and journalist apps need different ports",
            hint="set source_port and journalist_port to different values",
        )
    if s.max_file_bytes > s.max_submission_bytes:
        raise ConfigError("max_file_bytes cannot exceed max_submission_bytes")
    if s.onion_location and not s.onion_location.startswith("http://"):
        raise ConfigError(
            "onion_location must be an http://….onion URL",
            hint="onion services are plain http; Tor Browser treats them as secure",
        )


def load_settings(
    data_dir: Path,
    *,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, object] | None = None,
) -> Settings:
    """Read and validate settings for an initialised instance.

    Precedence: explicit overrides (CLI flags) > environment > config.toml.
    """
    paths = open_instance(data_dir)
    env = os.environ if environ is None else environ
    try:
        raw = tomllib.loads(paths.config.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"cannot read {paths.config}: {type(exc).__name__}",
            hint="fix the file's syntax (TOML) or restore it from a backup",
        ) from None
    values: dict[str, object] = {}
    for key, value in raw.items():
        if key in _FIXED:
            raise ConfigError(f"setting {key} cannot be changed in config.toml")
        values[key] = _coerce(key, value)
    known = {f.name for f in fields(Settings)} - _FIXED
    for key in known:
        env_value = env.get(_ENV_PREFIX + key.upper())
        if env_value is not None:
            values[key] = _coerce(key, env_value)
    for key, value in (overrides or {}).items():
        if value is not None:
            values[key] = _coerce(key, value)
    settings = Settings(data_dir=paths.root.resolve(), **values)  # type: ignore[arg-type]
    _validate(settings)
    return settings
