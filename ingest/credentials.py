"""The network configuration: credentials from an env var (SOCIALCARE_X_BEARER_TOKEN, …) or the
`[x]` (`[mastodon]`, …) table of HOME/config.toml, and the sources to ingest from `[ingest]
sources`. Values are never logged or printed. See examples/config.toml."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any


def _config(home: Path | None) -> dict[str, Any]:
    if home is None:
        return {}
    path = home / "config.toml"
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: not valid TOML: {exc}") from None


def credential(network: str, key: str, home: Path | None) -> str:
    env = os.environ.get(f"SOCIALCARE_{network.upper()}_{key.upper()}")
    if env:
        return env
    table = _config(home).get(network, {})
    value = table.get(key) if isinstance(table, dict) else None
    return value if isinstance(value, str) else ""


def configured_sources(home: Path | None) -> list[str]:
    """`[ingest] sources = ["x:mentions:AcmeAir", ...]`: used when no --source is given."""
    table = _config(home).get("ingest", {})
    sources = table.get("sources", []) if isinstance(table, dict) else []
    if not isinstance(sources, list) or not all(isinstance(s, str) and s for s in sources):
        raise ValueError(f"{home}/config.toml: [ingest] sources must be a list of source specs")
    return sources
