"""Reddit through praw: username mentions of the brand account and searches across Reddit.

- `reddit:mentions:USERNAME`: /message/mentions of the logged-in account (a "script" app:
  SOCIALCARE_REDDIT_CLIENT_ID, _CLIENT_SECRET, _USERNAME, _PASSWORD).
- `reddit:search:QUERY`: /search sorted by new (client id and secret suffice).
- Cursor: the newest `created_utc` seen (`since`), in whole seconds; pages go back with
  `after`. A poll stops at the first page that reaches `since`; posts from the same second are
  read again and dropped by the ingest dedup. (Reddit's `before=` anchor is not used: it breaks
  for good when the anchor post is deleted.)
- Threads: a comment's case is its submission (`link_id`); a submission is its own.
- Deleted and removed posts are skipped; the brand's own posts are responses.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import praw
import prawcore
import requests

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

logging.getLogger("prawcore").setLevel(logging.INFO)  # its DEBUG log prints request data
logging.getLogger("praw").setLevel(logging.INFO)

DEFAULT_OAUTH_URL = "https://oauth.reddit.com"
DEFAULT_WWW_URL = "https://www.reddit.com"
PAGE_SIZE = 100
GONE = {"[deleted]", "[removed]"}


class RedditClient:
    """The calls the Reddit source makes, with retries; returns the API's JSON listings."""

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        username: str = "",
        password: str = "",
        oauth_url: str | None = None,
        www_url: str | None = None,
        attempts: int = 4,
        backoff_s: float = 1.0,
    ) -> None:
        if not client_id or not client_secret:
            raise SourceConfigError(
                "the Reddit source needs an app: set SOCIALCARE_REDDIT_CLIENT_ID and "
                "SOCIALCARE_REDDIT_CLIENT_SECRET (or [reddit] client_id, client_secret)"
            )
        login = {"username": username, "password": password} if username and password else {}
        self.username = username
        self.api = praw.Reddit(
            client_id=client_id,
            client_secret=client_secret,
            user_agent="socialcare/0.1 (customer care listening)",
            oauth_url=(oauth_url or DEFAULT_OAUTH_URL).rstrip("/"),
            reddit_url=(www_url or DEFAULT_WWW_URL).rstrip("/"),
            check_for_updates=False,
            check_for_async=False,
            requestor_kwargs={"session": requests.Session()},
            timeout=20,
            **login,
        )
        self.call = with_retries(self._once, attempts, backoff_s)

    @classmethod
    def from_settings(cls, net: NetworkSettings) -> RedditClient:
        return cls(
            net.get("client_id"),
            net.get("client_secret"),
            net.get("username"),
            net.get("password"),
            net.get("oauth_url") or None,
            net.get("www_url") or None,
        )

    def _once(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        try:
            got = self.api.request(method="GET", path=path, params=params)
        except prawcore.TooManyRequests as exc:
            wait = exc.retry_after or exc.response.headers.get("x-ratelimit-reset") or "60"
            try:
                seconds = float(wait)
            except ValueError:
                seconds = 60.0
            raise RateLimited(
                utcnow().replace(microsecond=0) + timedelta(seconds=seconds)
            ) from None
        except prawcore.ServerError as exc:
            raise Transient(f"Reddit API {exc.response.status_code}") from None
        except prawcore.RequestException as exc:
            raise Transient(f"network: {type(exc.original_exception).__name__}") from None
        except prawcore.BadJSON:
            raise BadPayload("Reddit answered with something that is not JSON") from None
        except prawcore.ResponseException as exc:
            raise BadPayload(f"Reddit API {exc.response.status_code}") from None
        except prawcore.OAuthException as exc:
            raise BadPayload(f"Reddit refused the app's credentials: {exc.error}") from None
        if not isinstance(got, dict) or not isinstance(got.get("data"), dict):
            raise BadPayload("Reddit answered with something that is not a listing")
        return got["data"]

    def mentions(self, token: str | None) -> dict[str, Any]:
        return self.call("/message/mentions", _params(token))

    def search(self, query: str, token: str | None) -> dict[str, Any]:
        return self.call("/search", {"q": query, "sort": "new", "type": "link"} | _params(token))

    def reply(self, in_reply_to: str, text: str) -> str:
        """Comment on the post or comment `in_reply_to` (a fullname, t1_… or t3_…)."""
        kind, _, ident = in_reply_to.partition("_")
        thing = self.api.comment(id=ident) if kind == "t1" else self.api.submission(id=ident)
        posted = thing.reply(body=text)
        if posted is None:
            raise BadPayload(f"Reddit did not accept the reply to {in_reply_to} (locked?)")
        return str(posted.fullname)


def _params(token: str | None) -> dict[str, Any]:
    return {"limit": PAGE_SIZE, "raw_json": 1} | ({"after": token} if token else {})


def normalize(thing: dict, source: str, brand: str, brands: set[str]) -> Mention | None:
    """A listing child ({"kind": "t1"|"t3", "data": {...}}) → a mention; None if deleted."""
    kind, data = thing["kind"], thing["data"]
    author = str(data.get("author") or "")
    if author in GONE or not author:
        return None
    body = data.get("body") if kind == "t1" else None
    if body in GONE:
        return None
    text = str(body) if body is not None else f"{data['title']}\n\n{data.get('selftext') or ''}"
    fullname = str(data.get("name") or f"{kind}_{data['id']}")
    link_id = data.get("link_id")
    permalink = data.get("permalink") or data.get("context")
    parent = data.get("parent_id")
    return mention_from_dict(
        {
            "schema": 1,
            "network": "reddit",
            "post_id": fullname,
            "conversation_id": str(link_id or fullname),
            "author": {"id": str(data.get("author_fullname") or author), "handle": author},
            "text": text.strip(),
            "created_at": datetime.fromtimestamp(float(data["created_utc"]), UTC).isoformat(),
            "url": f"https://www.reddit.com{permalink}" if permalink else None,
            "in_reply_to": str(parent) if parent else None,
            **provenance(source, brand, author.lower() in brands),
        }
    )


class RedditSource(NewestFirstSource):
    """`reddit:mentions:USERNAME` or `reddit:search:QUERY`."""

    network = "reddit"

    def __init__(self, kind: str, arg: str, client: RedditClient) -> None:
        self._spec(kind, arg, "USERNAME")
        if kind == "mentions" and not client.username:
            raise SourceConfigError(
                "reddit:mentions needs the brand account: set SOCIALCARE_REDDIT_USERNAME and "
                "SOCIALCARE_REDDIT_PASSWORD"
            )
        if kind == "mentions":
            self.arg = self.arg.removeprefix("/").removeprefix("u/")
            self.name = f"reddit:{kind}:{self.arg}"
        self.client = client
        self.brand = self.arg if kind == "mentions" else client.username
        self.brands = {b.lower() for b in (self.brand, client.username) if b}

    def page(self, state: dict[str, Any], since: str | None, token: str | None) -> Page:
        listing = (
            self.client.mentions(token)
            if self.kind == "mentions"
            else self.client.search(self.arg, token)
        )
        children = listing.get("children")
        if not isinstance(children, list):
            raise BadPayload("Reddit answered with a listing without children")
        return newest_first_page(
            children,
            lambda child: str(int(float(child["data"]["created_utc"]))),
            since,
            listing.get("after"),
        )

    def normalize(self, item: Any, context: Any) -> Mention | None:
        return normalize(item, self.name, self.brand, self.brands)
