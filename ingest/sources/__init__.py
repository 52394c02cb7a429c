"""Sources: each implements `ingest.sources.base.Source`. `open_source` builds one from a
command-line spec such as `demo`, `demo:500` or `replay:PATH`."""

from __future__ import annotations

from pathlib import Path

from ingest.sources.base import Source


class SourceSpecError(ValueError):
    pass


def open_source(spec: str, home: Path | None = None) -> Source:
    kind, _, arg = spec.partition(":")
    if kind == "x":
        from ingest.credentials import credential
        from ingest.sources.x import SourceConfigError, XClient, XSource

        what, _, target = arg.partition(":")
        try:
            return XSource(what, target, XClient(credential("x", "bearer_token", home)))
        except SourceConfigError as exc:
            raise SourceSpecError(str(exc)) from None
    if kind == "demo":
        from ingest.sources.demo import DemoSource

        if arg and not arg.isdigit():
            raise SourceSpecError(
                f"demo source takes a count of conversations: demo:500, not {spec!r}"
            )
        return DemoSource(conversations=int(arg) if arg else None)
    if kind == "replay":
        if not arg:
            raise SourceSpecError("replay needs a file: --source replay:PATH.jsonl|PATH.csv")
        path = Path(arg)
        if not path.is_file():
            raise SourceSpecError(f"replay file not found: {path}")
        from ingest.sources.replay import open_replay

        return open_replay(path)
    raise SourceSpecError(
        f"unknown source {spec!r}: expected demo, demo:COUNT or replay:PATH "
        ", x:mentions:HANDLE or x:search:QUERY (mastodon:, bluesky:, reddit: are not built yet)"
    )
