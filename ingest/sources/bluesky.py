"""Bluesky through atproto: the brand account's mentions, replies and quotes, and post searches.

- `bluesky:mentions:HANDLE`: the notifications (mention, reply, quote) of the account HANDLE,
  logged in with an app password (SOCIALCARE_BLUESKY_APP_PASSWORD).
- `bluesky:search:QUERY`: app.bsky.feed.searchPosts, newest first.
- Cursor: the newest `indexedAt` seen (`since`); Bluesky pages go back with an opaque cursor
  and have no since filter, so a poll stops at the first page that reaches `since`. Posts
  indexed in the same instant as `since` are read again and dropped by the ingest dedup.
- Threads: a reply's case is its thread root (`record.reply.root.uri`).
- Reposts and likes are not new cases; the brand's own posts are responses.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from atproto import Client, models
from atproto_client.exceptions import (
    AtProtocolError,
    NetworkError,
    RateLimitExceededError,
    RequestException,
    UnauthorizedError,
)
from atproto_client.request import Request

from ingest.sources.polling import (
    BadPayload,
    NewestFirstSource,
    Page,
    RateLimited,
    SourceConfigError,
    Transient,
    newest_first_page,
    provenance,
    with_retries,
)
from socialcare.settings import NetworkSettings
from socialcare.stream.schema import Mention, mention_from_dict, utcnow

for _noisy in ("httpx", "httpcore", "atproto_client"):  # DEBUG logs carry headers and bodies
    logging.getLogger(_noisy).setLevel(logging.WARNING)

DEFAULT_API_URL = "https://bsky.social"
PAGE_SIZE = 100
REASONS = {"mention", "reply", "quote"}


def instant(value: str) -> str:
    """An AT Protocol datetime as a fixed-width UTC ISO string, so markers compare as text."""
    when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


QUERIES = {
    "notifications": (
        "app.bsky.notification.listNotifications",
        models.AppBskyNotificationListNotifications.Params,
    ),
    "search": ("app.bsky.feed.searchPosts", models.AppBskyFeedSearchPosts.Params),
    "posts": ("app.bsky.feed.getPosts", models.AppBskyFeedGetPosts.Params),
}


class BlueskyClient:
    """The calls the Bluesky source makes, with retries; logs in on first use."""

    def __init__(
        self,
        handle: str,
        app_password: str,
        api_url: str | None = None,
        attempts: int = 4,
        backoff_s: float = 1.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not app_password:
            raise SourceConfigError(
                "the Bluesky source needs an app password: set SOCIALCARE_BLUESKY_APP_PASSWORD "
                "(or [bluesky] app_password in HOME/config.toml)"
            )
        self.handle = handle
        self._password = app_password
        url = (api_url or DEFAULT_API_URL).rstrip("/")
        if not url.startswith(("https://", "http://")):
            raise SourceConfigError(f"SOCIALCARE_BLUESKY_API_URL must be http(s), not {url!r}")
        request = Request(timeout=20.0, transport=transport) if transport else Request(timeout=20.0)
        self.api = Client(base_url=url + "/xrpc", request=request)
        self._logged_in = False
        self.call = with_retries(self._once, attempts, backoff_s)

    @classmethod
    def from_settings(cls, net: NetworkSettings, handle: str | None = None) -> BlueskyClient:
        """The brand account logs in: `handle`, else SOCIALCARE_BLUESKY_HANDLE."""
        handle = (handle or net.get("handle")).lstrip("@")
        if not handle:
            raise SourceConfigError(
                "Bluesky logs in as the brand account: set SOCIALCARE_BLUESKY_HANDLE"
            )
        return cls(handle, net.get("app_password"), net.get("api_url") or None)

    def _once(self, what: str, params: dict[str, Any]) -> dict[str, Any]:
        try:
            if not self._logged_in:
                self.api.login(self.handle, self._password, fetch_bsky_profile=False)
                self._logged_in = True
            nsid, model = QUERIES[what]
            # the raw JSON, not atproto's models: one malformed post must become one dead
            # letter, not a validation error that blocks the whole page on every poll
            got = self.api.invoke_query(nsid, params=model(**params)).content
            if not isinstance(got, dict):
                raise BadPayload(f"Bluesky answered {nsid} with something that is not JSON")
            return got
        except RateLimitExceededError as exc:
            raise RateLimited(
                exc.reset_at or (utcnow() + timedelta(seconds=exc.retry_after or 60))
            ) from None
        except UnauthorizedError:
            self._logged_in = False
            raise BadPayload(
                f"Bluesky refused the login or session of {self.handle} (check the app password)"
            ) from None
        except NetworkError as exc:  # includes 502 and timeouts
            raise Transient(f"Bluesky: {type(exc).__name__}") from None
        except RequestException as exc:
            status = getattr(exc.response, "status_code", None)
            if status is not None and status >= 500:
                raise Transient(f"Bluesky API {status}") from None
            raise BadPayload(f"Bluesky API {status}") from None
        except AtProtocolError as exc:  # a response that does not fit the lexicon
            raise BadPayload(
                f"Bluesky answered with an unexpected shape: {str(exc)[:200]}"
            ) from None

    def mentions(self, token: str | None) -> dict[str, Any]:
        params = {"limit": PAGE_SIZE} | ({"cursor": token} if token else {})
        return self.call("notifications", params)

    def search(self, query: str, since: str | None, token: str | None) -> dict[str, Any]:
        params: dict[str, Any] = {"q": query, "limit": PAGE_SIZE, "sort": "latest"}
        if since:
            params["since"] = since
        if token:
            params["cursor"] = token
        return self.call("search", params)

    def reply(self, in_reply_to: str, text: str) -> str:
        """Reply to the post at-URI `in_reply_to` in its thread; returns the new post's URI."""
        got = self.call("posts", {"uris": [in_reply_to]}).get("posts") or []
        if not got:
            raise BadPayload(f"the post {in_reply_to} is gone (deleted?)")
        parent = models.ComAtprotoRepoStrongRef.Main(uri=got[0]["uri"], cid=got[0]["cid"])
        root_ref = ((got[0].get("record") or {}).get("reply") or {}).get("root")
        root = (
            models.ComAtprotoRepoStrongRef.Main(uri=root_ref["uri"], cid=root_ref["cid"])
            if root_ref
            else parent
        )
        posted = self.api.send_post(
            text=text,
            profile_identify=self.handle,
            reply_to=models.AppBskyFeedPost.ReplyRef(parent=parent, root=root),
        )
        return str(posted.uri)


def normalize(post: dict, source: str, brand: str, brands: set[str]) -> Mention:
    """A post view (or notification) → a mention."""
    record = post.get("record") or {}
    author = post["author"]
    uri = str(post["uri"])
    reply = record.get("reply") or {}
    handle = str(author.get("handle") or author["did"])
    rkey = uri.rsplit("/", 1)[-1]
    return mention_from_dict(
        {
            "schema": 1,
            "network": "bluesky",
            "post_id": uri,
            "conversation_id": str((reply.get("root") or {}).get("uri") or uri),
            "author": {
                "id": str(author["did"]),
                "handle": handle,
                "display_name": author.get("displayName") or author.get("display_name") or None,
                "followers": author.get("followersCount"),
            },
            "text": str(record.get("text") or ""),
            "language": (record.get("langs") or [None])[0],
            "created_at": record.get("createdAt") or record.get("created_at") or post["indexedAt"],
            "url": f"https://bsky.app/profile/{handle}/post/{rkey}",
            "in_reply_to": (reply.get("parent") or {}).get("uri"),
            **provenance(source, brand, handle.lower() in brands),
        }
    )


class BlueskySource(NewestFirstSource):
    """`bluesky:mentions:HANDLE` or `bluesky:search:QUERY`."""

    network = "bluesky"

    def __init__(self, kind: str, arg: str, client: BlueskyClient) -> None:
        self._spec(kind, arg, "HANDLE")
        self.client = client
        self.brand = client.handle
        self.brands = {client.handle.lower()}

    def page(self, state: dict[str, Any], since: str | None, token: str | None) -> Page:
        if self.kind == "mentions":
            got = self.client.mentions(token)
            entries = got.get("notifications")
        else:
            got = self.client.search(self.arg, since, token)
            entries = got.get("posts")
        if not isinstance(entries, list):
            raise BadPayload("Bluesky answered without a list of posts")
        return newest_first_page(
            entries,
            lambda entry: instant(str(entry["indexedAt"])),
            since,
            got.get("cursor"),
            # notifications also hold likes, reposts and follows
            keep=lambda entry: self.kind != "mentions" or entry.get("reason") in REASONS,
        )

    def normalize(self, item: Any, context: Any) -> Mention | None:
        return normalize(item, self.name, self.brand, self.brands)
