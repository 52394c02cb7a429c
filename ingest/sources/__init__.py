"""Sources: each implements `ingest.sources.base.Source`. `open_source` builds one from a
command-line spec such as `demo`, `demo:500`, `replay:PATH` or `x:mentions:AcmeAir`, with the
networks' credentials and poll intervals from the settings."""

from __future__ import annotations

from pathlib import Path

from ingest.sources.base import Source
from ingest.sources.polling import NewestFirstSource, SourceConfigError
from socialcare.settings import Settings


class SourceSpecError(SourceConfigError):
    """A source spec that names no source socialcare knows."""


def _x(what: str, target: str, settings: Settings) -> NewestFirstSource:
    from ingest.sources.x import XClient, XSource

    client = XClient.from_settings(settings.network("x"))
    return XSource(what, target, client, brands=settings.brand_handle_set)


def _mastodon(what: str, target: str, settings: Settings) -> NewestFirstSource:
    from ingest.sources.mastodon import MastodonClient, MastodonSource

    net = settings.network("mastodon")
    return MastodonSource(what, target, MastodonClient.from_settings(net), brand=net.get("account"))


def _bluesky(what: str, target: str, settings: Settings) -> NewestFirstSource:
    from ingest.sources.bluesky import BlueskyClient, BlueskySource

    net = settings.network("bluesky")
    client = BlueskyClient.from_settings(net, target if what == "mentions" else None)
    return BlueskySource(what, target, client)


def _reddit(what: str, target: str, settings: Settings) -> NewestFirstSource:
    from ingest.sources.reddit import RedditClient, RedditSource

    return RedditSource(what, target, RedditClient.from_settings(settings.network("reddit")))


NETWORKS = {"x": _x, "mastodon": _mastodon, "bluesky": _bluesky, "reddit": _reddit}


def open_source(spec: str, settings: Settings | None = None) -> Source:
    settings = settings or Settings()
    kind, _, arg = spec.partition(":")
    if kind in NETWORKS:
        what, _, target = arg.partition(":")
        source = NETWORKS[kind](what, target, settings)
        source.poll_interval_s = settings.network(kind).poll_seconds
        return source
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
