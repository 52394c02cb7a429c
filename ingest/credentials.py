"""Credentials for the network sources: an env var (SOCIALCARE_X_BEARER_TOKEN, …) or the
`[x]` (`[mastodon]`, …) table of HOME/config.toml. Values are never logged or printed."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path


def credential(network: str, key: str, home: Path | None) -> str:
    env = os.environ.get(f"SOCIALCARE_{network.upper()}_{key.upper()}")
    if env:
        return env
    if home is not None:
        path = home / "config.toml"
        if path.is_file():
            try:
                table = tomllib.loads(path.read_text(encoding="utf-8")).get(network, {})
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise ValueError(f"{path}: not valid TOML: {exc}") from None
            value = table.get(key) if isinstance(table, dict) else None
            if isinstance(value, str):
                return value
    return ""
