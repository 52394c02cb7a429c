"""Posting agents' replies: the outbox (store/outbox.py) drained through each network's adapter.

Dry run is the default (`SOCIALCARE_REPLIES=dry-run`): nothing leaves the machine, and each
reply is marked `dry_run` on its case with what would have been posted. `SOCIALCARE_REPLIES=live`
posts: an X reply to the post (SOCIALCARE_X_USER_TOKEN, an OAuth 2.0 user token with
tweet.write), a Mastodon reply, a Bluesky reply in the thread, a Reddit comment. A failure is
retried with backoff (store/outbox.py), then shown on the case as `reply_failed`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine

from socialcare.settings import Settings
from socialcare.store.outbox import due, mark_failed, mark_sent
from socialcare.stream.schema import utcnow

log = logging.getLogger(__name__)

Reply = Callable[[str, str], str]  # (in_reply_to, text) -> the network's id of the new post


def _x(settings: Settings) -> Reply:
    from ingest.sources.x import XClient

    net = settings.network("x")
    if not net.get("user_token"):
        raise LookupError("replies on X need SOCIALCARE_X_USER_TOKEN (a user token, tweet.write)")
    return XClient.from_settings(net, "user_token").reply


def _mastodon(settings: Settings) -> Reply:
    from ingest.sources.mastodon import MastodonClient

    return MastodonClient.from_settings(settings.network("mastodon")).reply


def _bluesky(settings: Settings) -> Reply:
    from ingest.sources.bluesky import BlueskyClient

    return BlueskyClient.from_settings(settings.network("bluesky")).reply


def _reddit(settings: Settings) -> Reply:
    from ingest.sources.reddit import RedditClient

    return RedditClient.from_settings(settings.network("reddit")).reply


ADAPTERS: dict[str, Callable[[Settings], Reply]] = {
    "x": _x,
    "mastodon": _mastodon,
    "bluesky": _bluesky,
    "reddit": _reddit,
}


@dataclass
class ReplySender:
    engine: Engine
    settings: Settings = field(default_factory=Settings)
    live: bool = False
    adapters: dict[str, Callable[[Settings], Reply]] = field(default_factory=lambda: ADAPTERS)
    _built: dict[str, Reply] = field(default_factory=dict)

    def _adapter(self, network: str) -> Reply:
        if network not in self._built:
            if network not in self.adapters:
                raise LookupError(f"no reply adapter for network {network!r}")
            self._built[network] = self.adapters[network](self.settings)
        return self._built[network]

    def send_due(self, now: datetime | None = None, limit: int = 50) -> dict[str, int]:
        """Post (or, in dry run, mark) every queued reply that is due. Returns counts."""
        now = now or utcnow()
        counts = {"sent": 0, "dry_run": 0, "retry": 0, "failed": 0}
        for reply in due(self.engine, now, limit):
            if not self.live:
                log.info("dry run: would reply on %s to %s", reply.network, reply.in_reply_to)
                mark_sent(self.engine, reply, None, dry_run=True, now=now)
                counts["dry_run"] += 1
                continue
            try:
                if not reply.in_reply_to:
                    raise LookupError("the case has no customer post to reply to")
                posted = self._adapter(reply.network)(reply.in_reply_to, reply.text)
            except Exception as exc:  # any adapter failure is recorded on the case, not raised
                error = f"{type(exc).__name__}: {str(exc)[:300]}"
                final = mark_failed(self.engine, reply, error, now)
                counts["failed" if final else "retry"] += 1
                log.warning("reply %s on %s: %s", reply.id, reply.network, error)
                continue
            mark_sent(self.engine, reply, posted, dry_run=False, now=now)
            counts["sent"] += 1
        return counts
