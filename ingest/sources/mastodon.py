"""Mastodon through Mastodon.py: the brand account's mentions and keyword or hashtag searches.

- `mastodon:mentions:ACCOUNT`: the notifications of type `mention` of the account whose access
  token is configured (ACCOUNT names the source and marks the brand's own posts).
- `mastodon:search:QUERY`: `#tag` reads the hashtag timeline; other text uses search v2
  (which, on most instances, finds only posts the instance knows about).
- Cursor: the newest notification or status id (`since`); pages go back with `max_id`.
- Threads: Mastodon's API has no thread id, so a reply joins the case of the post it answers
  (`conversation_id` = the parent's id); a deep thread may split into more than one case.
- Boosts are not new cases; the brand's own posts are responses.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

from mastodon import (
    Mastodon,
    MastodonAPIError,
    MastodonNetworkError,
    MastodonRatelimitError,
    MastodonServerError,
)

from ingest.sources.polling import (
    BadPayload,
    NewestFirstSource,
    Page,
    RateLimited,
    SourceConfigError,
    Transient,
    newest_of,
    provenance,
    with_retries,
)
from socialcare.settings import NetworkSettings
from socialcare.stream.schema import Mention, mention_from_dict, utcnow

logging.getLogger("mastodon").setLevel(logging.INFO)  # never its DEBUG output, whatever -v says

PAGE_SIZE = 40  # the API's maximum for notifications and timelines


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "p":
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(html: str) -> str:
    """A status's HTML content as plain text (links keep their visible text)."""
    parser = _Text()
    parser.feed(html or "")
    parser.close()
    return "".join(parser.parts).strip()


class MastodonClient:
    """The calls the Mastodon source makes, with retries; returns plain dicts and lists."""

    def __init__(
        self,
        api_url: str,
        access_token: str,
        attempts: int = 4,
        backoff_s: float = 1.0,
    ) -> None:
        if not access_token:
            raise SourceConfigError(
                "the Mastodon source needs an access token: set SOCIALCARE_MASTODON_ACCESS_TOKEN "
                "(or [mastodon] access_token in HOME/config.toml)"
            )
        if not api_url.startswith(("https://", "http://")):
            raise SourceConfigError(
                "the Mastodon source needs the instance URL: set SOCIALCARE_MASTODON_API_URL "
                f"(or [mastodon] api_url), e.g. https://mastodon.social, not {api_url!r}"
            )
        self.api = Mastodon(
            access_token=access_token,
            api_base_url=api_url.rstrip("/"),
            ratelimit_method="throw",
            request_timeout=20,
            version_check_mode="none",
        )
        self.call = with_retries(self._once, attempts, backoff_s)

    @classmethod
    def from_settings(cls, net: NetworkSettings) -> MastodonClient:
        return cls(net.get("api_url"), net.get("access_token"))

    def _once(self, method: str, **kwargs: Any) -> Any:
        try:
            return getattr(self.api, method)(**kwargs)
        except MastodonRatelimitError:
            reset = self.api.ratelimit_reset
            raise RateLimited(
                datetime.fromtimestamp(reset, UTC) if reset else utcnow().replace(microsecond=0)
            ) from None
        except MastodonServerError as exc:
            raise Transient(
                f"Mastodon API {exc.args[1] if len(exc.args) > 1 else 'error'}"
            ) from None
        except MastodonNetworkError as exc:
            raise Transient(f"network: {str(exc)[:200]}") from None
        except MastodonAPIError as exc:
            raise BadPayload(f"Mastodon API: {str(exc)[:300]}") from None

    def mentions(self, since: str | None, token: str | None) -> list[dict]:
        return self.call(
            "notifications", types=["mention"], since_id=since, max_id=token, limit=PAGE_SIZE
        )

    def search(self, query: str, since: str | None, token: str | None) -> list[dict]:
        if query.startswith("#"):
            return self.call(
                "timeline_hashtag", hashtag=query[1:], since_id=since, max_id=token, limit=PAGE_SIZE
            )
        found = self.call(
            "search_v2", q=query, result_type="statuses", min_id=since, max_id=token, resolve=False
        )
        return list(found["statuses"])

    def reply(self, in_reply_to: str, text: str) -> str:
        posted = self.call("status_post", status=text, in_reply_to_id=in_reply_to)
        return str(posted["id"])


def normalize(status: dict, source: str, brand: str, brands: set[str]) -> Mention | None:
    """One status → a mention; None for a boost."""
    if status.get("reblog"):
        return None
    account = status["account"]
    handle = str(account.get("acct") or account["username"])
    created = status["created_at"]
    post_id = str(status["id"])
    parent = status.get("in_reply_to_id")
    return mention_from_dict(
        {
            "schema": 1,
            "network": "mastodon",
            "post_id": post_id,
            "conversation_id": str(parent) if parent else post_id,
            "author": {
                "id": str(account["id"]),
                "handle": handle,
                "display_name": account.get("display_name") or None,
                "followers": account.get("followers_count"),
            },
            "text": html_to_text(str(status.get("content") or "")),
            "language": status.get("language"),
            "created_at": created.isoformat() if isinstance(created, datetime) else created,
            "url": status.get("url") or status.get("uri"),
            "in_reply_to": str(parent) if parent else None,
            **provenance(
                source, brand, handle.lower() in brands or handle.split("@")[0].lower() in brands
            ),
        }
    )


class MastodonSource(NewestFirstSource):
    """`mastodon:mentions:ACCOUNT` or `mastodon:search:QUERY`."""

    network = "mastodon"

    def __init__(self, kind: str, arg: str, client: MastodonClient, brand: str = "") -> None:
        self._spec(kind, arg)
        self.client = client
        self.brand = self.arg if kind == "mentions" else brand
        self.brands = {b.lower() for b in (self.brand, self.brand.split("@")[0]) if b}

    def page(self, state: dict[str, Any], since: str | None, token: str | None) -> Page:
        if self.kind == "mentions":
            got = self.client.mentions(since, token)
            statuses = [n.get("status") for n in got if isinstance(n, dict)]
            # a notification whose status was deleted has no status: nothing to ingest
            items = [s for s in statuses if isinstance(s, dict)]
        else:
            got = self.client.search(self.arg, since, token)
            items = [s for s in got if isinstance(s, dict)]
        if not isinstance(got, list):
            raise BadPayload("Mastodon API answered with something that is not a list")
        ids = [str(x["id"]) for x in got if isinstance(x, dict) and "id" in x]
        return Page(
            items=items,
            newest=newest_of(ids),
            next_token=ids[-1] if len(got) >= PAGE_SIZE and ids else None,
        )

    def normalize(self, item: Any, context: Any) -> Mention | None:
        return normalize(item, self.name, self.brand, self.brands)
