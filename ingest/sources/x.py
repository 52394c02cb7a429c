"""X (Twitter) through tweepy, API v2: a brand account's mentions and saved searches.

- Cursor: the newest post id seen (`since_id`). A poll pages backwards from the newest post;
  while it pages, the cursor holds the next page token and the newest id of the poll, so a
  restart mid-poll resumes the same pages, and `since_id` moves forward only once every page of
  the poll is on the bus (the ingest worker stores a cursor only after its flush).
- Rate limits: a 429 stops polling until the reset time the API states (shown by
  `socialcare ingest --status`). 5xx and network errors are retried with backoff (tenacity);
  what still fails is reported as the source's error and tried again next poll.
- Retweets are not new cases and are skipped; posts by the brand's own accounts are responses
  (`from_brand`). Deleted or protected posts the API reports in `errors` are skipped.
- tweepy hard-codes https://api.twitter.com, so `XClient` gives tweepy a requests session that
  rebases every URL onto SOCIALCARE_X_API_URL (a proxy, or a local test server).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import requests
import tweepy

from ingest.sources.polling import (
    BadPayload,
    NewestFirstSource,
    Page,
    RateLimited,
    SourceConfigError,
    Transient,
    provenance,
    with_retries,
)
from socialcare.settings import NetworkSettings
from socialcare.stream.schema import Mention, mention_from_dict, utcnow

log = logging.getLogger(__name__)
logging.getLogger("tweepy").setLevel(logging.INFO)  # tweepy's DEBUG log prints auth headers
logging.getLogger("urllib3").setLevel(logging.INFO)

TWEEPY_HOST = "https://api.twitter.com"
DEFAULT_API_URL = "https://api.twitter.com"
PAGE_SIZE = 100  # the API's maximum for both endpoints
TWEET_FIELDS = [
    "author_id",
    "conversation_id",
    "created_at",
    "lang",
    "referenced_tweets",
    "in_reply_to_user_id",
]
USER_FIELDS = ["username", "name", "public_metrics", "verified"]
EXPANSIONS = ["author_id"]


class RebasingSession(requests.Session):
    """A requests session that sends tweepy's api.twitter.com requests to another base URL."""

    def __init__(self, base_url: str, timeout_s: float = 20.0) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s

    def request(self, method, url, *args, **kwargs):  # type: ignore[override]
        if isinstance(url, str) and url.startswith(TWEEPY_HOST):
            url = self.base_url + url[len(TWEEPY_HOST) :]
        kwargs.setdefault("timeout", self.timeout_s)
        return super().request(method, url, *args, **kwargs)


class XClient:
    """The calls the X source makes, with retries; returns the API's JSON."""

    def __init__(
        self,
        bearer_token: str,
        base_url: str | None = None,
        attempts: int = 4,
        backoff_s: float = 1.0,
    ) -> None:
        if not bearer_token:
            raise SourceConfigError(
                "the X source needs a bearer token: set "
                "SOCIALCARE_X_BEARER_TOKEN (or [x] bearer_token in "
                "HOME/config.toml)"
            )
        self.base_url = (base_url or DEFAULT_API_URL).rstrip("/")
        if not self.base_url.startswith(("https://", "http://")):
            raise SourceConfigError(f"SOCIALCARE_X_API_URL must be http(s), not {self.base_url!r}")
        self._client = tweepy.Client(
            bearer_token=bearer_token, return_type=requests.Response, wait_on_rate_limit=False
        )
        self._client.session = RebasingSession(self.base_url)
        self._call = with_retries(self._once, attempts, backoff_s)

    def _once(self, method: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = getattr(self._client, method)(**kwargs)
        except tweepy.TooManyRequests as exc:
            reset = exc.response.headers.get("x-rate-limit-reset")
            at = (
                datetime.fromtimestamp(int(reset), UTC)
                if reset and reset.isdigit()
                else utcnow().replace(microsecond=0)
            )
            raise RateLimited(at) from None
        except tweepy.TwitterServerError as exc:
            raise Transient(f"X API {exc.response.status_code}") from None
        except requests.RequestException as exc:  # connection refused, reset, timeout
            raise Transient(f"network: {type(exc).__name__}") from None
        try:
            data = response.json()
        except ValueError:
            raise BadPayload(
                f"X API answered with something that is not JSON ({len(response.content)} bytes)"
            ) from None
        if not isinstance(data, dict):
            raise BadPayload("X API answered with JSON that is not an object")
        return data

    @classmethod
    def from_settings(cls, net: NetworkSettings, key: str = "bearer_token") -> XClient:
        """`bearer_token` reads (the source); `user_token` can post (replies)."""
        return cls(net.get(key), net.get("api_url") or None)

    def user_id(self, handle: str) -> str:
        data = self._call("get_user", username=handle, user_auth=False)
        user = data.get("data")
        if not isinstance(user, dict) or not user.get("id"):
            raise SourceConfigError(f"X user @{handle} not found")
        return str(user["id"])

    def mentions(self, user_id: str, since_id: str | None, token: str | None) -> dict[str, Any]:
        return self._call(
            "get_users_mentions",
            id=user_id,
            since_id=since_id,
            pagination_token=token,
            max_results=PAGE_SIZE,
            tweet_fields=TWEET_FIELDS,
            user_fields=USER_FIELDS,
            expansions=EXPANSIONS,
            user_auth=False,
        )

    def search(self, query: str, since_id: str | None, token: str | None) -> dict[str, Any]:
        return self._call(
            "search_recent_tweets",
            query=query,
            since_id=since_id,
            next_token=token,
            max_results=PAGE_SIZE,
            tweet_fields=TWEET_FIELDS,
            user_fields=USER_FIELDS,
            expansions=EXPANSIONS,
            user_auth=False,
        )

    def reply(self, in_reply_to: str, text: str) -> str:
        """Post `text` as a reply to post `in_reply_to` (needs a user token); returns its id."""
        data = self._call(
            "create_tweet", text=text, in_reply_to_tweet_id=in_reply_to, user_auth=False
        )
        posted = data.get("data")
        if not isinstance(posted, dict) or not posted.get("id"):
            raise BadPayload("X did not return the new post's id")
        return str(posted["id"])


def normalize(
    tweet: dict[str, Any], users: dict[str, dict], source: str, brand: str | None, brands: set[str]
) -> Mention | None:
    """One API v2 tweet → a mention; None for a retweet. Raises SchemaError/KeyError if bad."""
    refs = tweet.get("referenced_tweets") or []
    if any(r.get("type") == "retweeted" for r in refs if isinstance(r, dict)):
        return None
    author = users.get(str(tweet.get("author_id")), {})
    handle = str(author.get("username") or tweet.get("author_id") or "")
    metrics = author.get("public_metrics") or {}
    reply_to = next(
        (
            str(r["id"])
            for r in refs
            if isinstance(r, dict) and r.get("type") == "replied_to" and r.get("id")
        ),
        None,
    )
    post_id = str(tweet["id"])
    return mention_from_dict(
        {
            "schema": 1,
            "network": "x",
            "post_id": post_id,
            "conversation_id": str(tweet.get("conversation_id") or post_id),
            "author": {
                "id": str(tweet.get("author_id") or ""),
                "handle": handle,
                "display_name": author.get("name"),
                "followers": metrics.get("followers_count"),
                "verified": bool(author.get("verified")),
            },
            "text": tweet.get("text", ""),
            "language": tweet.get("lang"),
            "created_at": tweet.get("created_at"),
            "url": f"https://x.com/{handle}/status/{post_id}" if handle else None,
            "in_reply_to": reply_to,
            **provenance(source, brand, handle.lower() in brands),
        }
    )


class XSource(NewestFirstSource):
    """`x:mentions:HANDLE` or `x:search:QUERY`."""

    network = "x"

    def __init__(
        self, kind: str, arg: str, client: XClient, brands: set[str] | frozenset[str] = frozenset()
    ) -> None:
        """`brands`: the brand's own accounts (SOCIALCARE_BRAND_HANDLES), whose posts are
        responses; a mentions source adds the account it listens to."""
        self._spec(kind, arg, "HANDLE")
        self.client = client
        self.brands = {b.lower() for b in brands} | (
            {self.arg.lower()} if kind == "mentions" else set()
        )
        self.brand = self.arg if kind == "mentions" else (sorted(self.brands) or [None])[0]

    def page(self, state: dict[str, Any], since: str | None, token: str | None) -> Page:
        if self.kind == "mentions":
            if "user_id" not in state:
                state["user_id"] = self.client.user_id(self.arg)
            data = self.client.mentions(state["user_id"], since, token)
        else:
            data = self.client.search(self.arg, since, token)
        includes = data.get("includes") or {}
        users = {str(u.get("id")): u for u in includes.get("users") or [] if isinstance(u, dict)}
        for error in data.get("errors") or []:  # deleted or protected posts: nothing to ingest
            log.info(
                "%s: skipped %s",
                self.name,
                str(error.get("detail", error))[:200]
                if isinstance(error, dict)
                else "an unreadable error entry",
            )
        meta = data.get("meta") or {}
        items = data.get("data") or []
        if not isinstance(items, list):
            raise BadPayload("X API answered with a `data` that is not a list")
        return Page(
            items=items,
            next_token=str(meta["next_token"]) if meta.get("next_token") else None,
            newest=str(meta["newest_id"]) if meta.get("newest_id") else None,
            context=users,
        )

    def normalize(self, item: Any, context: Any) -> Mention | None:
        return normalize(item, context, self.name, self.brand, self.brands)
