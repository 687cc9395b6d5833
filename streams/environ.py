"""Reading settings from environment variables, with errors that name the variable at fault."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path


class ConfigError(ValueError):
    """A setting is present but unusable; the message names the variable (never a secret's value)."""


class Environ:
    """Typed reads of one environment mapping; an empty value is the same as an absent one."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env

    def text(self, name: str, default: str) -> str:
        return self._env.get(name, default) or default

    def optional(self, name: str) -> str | None:
        return self._env.get(name) or None

    def flag(self, name: str, default: bool) -> bool:
        raw = self._env.get(name)
        if raw in (None, ""):
            return default
        if raw not in ("0", "1"):
            raise ConfigError(f"{name} must be 0 or 1, got {raw!r}")
        return raw == "1"

    def number(self, name: str, default: int, minimum: int) -> int:
        raw = self._env.get(name)
        if raw in (None, ""):
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
        if value < minimum:
            raise ConfigError(f"{name} must be at least {minimum}, got {value}")
        return value

    def choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        value = self.text(name, default)
        if value not in choices:
            raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
        return value

    def file(self, name: str) -> Path | None:
        """A path that must name a readable file, if given."""
        raw = self.optional(name)
        if raw is None:
            return None
        path = Path(raw)
        if not path.is_file():
            raise ConfigError(f"{name}: no such file: {raw}")
        return path
