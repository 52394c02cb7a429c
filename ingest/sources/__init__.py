"""Sources: each implements `ingest.sources.base.Source`. `open_source` builds one from a
command-line spec such as `demo`, `demo:500` or `replay:PATH`."""

from __future__ import annotations

from pathlib import Path

from ingest.credentials import credential
from ingest.sources.base import Source
from ingest.sources.polling import SourceConfigError


class SourceSpecError(ValueError):
    pass


def _x(what: str, target: str, home: Path | None) -> Source:
    from ingest.sources.x import XClient, XSource

    return XSource(what, target, XClient.from_config(home))


def _mastodon(what: str, target: str, home: Path | None) -> Source:
    from ingest.sources.mastodon import MastodonClient, MastodonSource

    brand = credential("mastodon", "account", home)
    return MastodonSource(what, target, MastodonClient.from_config(home), brand=brand)


def _bluesky(what: str, target: str, home: Path | None) -> Source:
    from ingest.sources.bluesky import BlueskyClient, BlueskySource

    client = BlueskyClient.from_config(home, target if what == "mentions" else None)
    return BlueskySource(what, target, client)


def _reddit(what: str, target: str, home: Path | None) -> Source:
    from ingest.sources.reddit import RedditClient, RedditSource

    return RedditSource(what, target, RedditClient.from_config(home))


NETWORKS = {"x": _x, "mastodon": _mastodon, "bluesky": _bluesky, "reddit": _reddit}


def open_source(spec: str, home: Path | None = None) -> Source:
    kind, _, arg = spec.partition(":")
    if kind in NETWORKS:
        what, _, target = arg.partition(":")
        try:
            return NETWORKS[kind](what, target, home)
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
        f"unknown source {spec!r}: expected demo, demo:COUNT, replay:PATH"
        ", or NETWORK:mentions:ACCOUNT / NETWORK:search:QUERY for x, mastodon, bluesky, reddit"
    )
