"""What every network source shares: polling newest-first pages into a durable cursor, retries,
rate limits, and turning unusable posts into dead letters.

Every network API here lists posts newest first and pages backwards (X, Mastodon, Bluesky,
Reddit). A poll therefore reads pages from the newest post down to the last poll's newest
(`since`), and the cursor records, while it pages, the next page token and the newest marker of
this poll. `since` moves forward only when the poll has reached it, and the ingest worker stores
the cursor only after the mentions are on the bus: a restart mid-poll resumes the same pages,
and a crash re-reads at most one batch, which the worker's dedup drops.
"""

from __future__ import annotations

import json
import logging
from abc import abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

from ingest.sources.base import BadInput, Fetched, Source, unusable
from socialcare.errors import ConfigError
from socialcare.stream.schema import Mention, utcnow

log = logging.getLogger(__name__)
T = TypeVar("T")


class SourceConfigError(ConfigError):
    """A source that cannot start: a bad spec, a missing credential, an unknown account."""


class Transient(Exception):
    """A 5xx or network failure: worth retrying."""


class RateLimited(Exception):
    def __init__(self, reset: datetime) -> None:
        super().__init__(f"rate limited until {reset.isoformat()}")
        self.reset = reset


class BadPayload(ValueError):
    """The API answered with something that is not what its documentation promises."""


def with_retries(
    call: Callable[..., T], attempts: int = 4, backoff_s: float = 1.0
) -> Callable[..., T]:
    """`call`, retried with exponential backoff while it raises `Transient`."""
    return retry(
        retry=retry_if_exception_type(Transient),
        stop=stop_after_attempt(attempts),
        wait=wait_exponential(multiplier=backoff_s, max=30 * backoff_s),
        reraise=True,
    )(call)


@dataclass
class Page:
    items: list[Any] = field(default_factory=list)  # raw posts, newest first
    next_token: str | None = None  # the next (older) page, if the poll has not reached `since`
    newest: str | None = None  # the marker of the newest post on the page (becomes `since`)
    context: Any = None  # what `normalize` needs besides the post (X's author expansions)


class NewestFirstSource(Source):
    """A network source polled newest-first; subclasses fetch one page and normalize a post."""

    finite = False
    network = ""  # "x", "mastodon", …: the first part of the source spec
    #: seconds between polls that find nothing new (SOCIALCARE_<NETWORK>_POLL_SECONDS)
    poll_interval_s = 60.0

    @property
    def networks(self) -> frozenset[str]:  # type: ignore[override]
        return frozenset({self.network})

    def _spec(self, kind: str, arg: str, account: str = "ACCOUNT") -> None:
        """Check and keep a `NETWORK:mentions:ACCOUNT` or `NETWORK:search:QUERY` spec."""
        if kind not in ("mentions", "search") or not arg:
            raise SourceConfigError(
                f"{self.network.title()} sources are {self.network}:mentions:{account} or "
                f"{self.network}:search:QUERY"
            )
        self.kind = kind
        self.arg = arg.lstrip("@") if kind == "mentions" else arg
        self.name = f"{self.network}:{kind}:{self.arg}"

    @abstractmethod
    def page(self, state: dict[str, Any], since: str | None, token: str | None) -> Page:
        """One page of posts newer than `since`, starting at `token` (None: the newest).
        `state` is the cursor's dict, for a source's own lookups (an account id)."""

    @abstractmethod
    def normalize(self, item: Any, context: Any) -> Mention | None:
        """One post → a mention, or None for what is not a new post (a repost, a like).
        Raises SchemaError, KeyError, TypeError, ValueError or AttributeError if unusable."""

    def fetch(self, cursor: str | None, limit: int) -> Fetched:
        state = load_cursor(cursor)
        blocked = state.get("rate_limited_until")
        if blocked and datetime.fromisoformat(blocked) > utcnow():
            return Fetched(
                cursor=cursor,
                exhausted=True,
                rate_limited_until=datetime.fromisoformat(blocked),
                watermark=datetime.fromisoformat(state["wm"]) if state.get("wm") else None,
            )
        state.pop("rate_limited_until", None)
        out = Fetched(exhausted=True)
        # a poll that starts now will have delivered everything posted before now once it
        # reaches `since`: that start time becomes the watermark then (kept across restarts)
        state.setdefault("poll_started", utcnow().isoformat())
        try:
            while len(out.mentions) + len(out.bad) < limit:
                page = self.page(state, state.get("since"), state.get("token"))
                self._take(page, out)
                log.debug(
                    "%s: page of %d posts (since %s, page %s)",
                    self.name,
                    len(page.items),
                    state.get("since"),
                    state.get("token") or "newest",
                )
                if page.newest and "poll_newest" not in state:
                    state["poll_newest"] = page.newest
                if page.next_token:
                    state["token"] = page.next_token
                    out.exhausted = False
                    continue
                # the poll reached `since`: only now does it move forward
                if state.get("poll_newest"):
                    state["since"] = state["poll_newest"]
                state.pop("poll_newest", None)
                state.pop("token", None)
                state["wm"] = state.pop("poll_started")
                # the poll is complete: the next one waits its interval, whatever this one
                # found (a network without a strict `since` filter, Bluesky notifications or
                # Reddit's whole seconds, returns the last poll's newest posts again: the
                # ingest dedup drops them, and they must not make the poll look unfinished)
                out.exhausted = True
                break
        except RateLimited as exc:
            state["rate_limited_until"] = exc.reset.isoformat()
            out.rate_limited_until = exc.reset
            out.exhausted = True
            log.warning("%s: %s", self.name, exc)
        except (Transient, BadPayload) as exc:
            out.error = str(exc)
            out.exhausted = True
            log.warning("%s: %s; will try again next poll", self.name, exc)
        out.cursor = json.dumps(state, sort_keys=True)
        out.watermark = datetime.fromisoformat(state["wm"]) if state.get("wm") else None
        return out

    def _take(self, page: Page, out: Fetched) -> None:
        for item in page.items:
            try:
                mention = self.normalize(item, page.context)
            except Exception as exc:  # one unusable post is a dead letter, never a halt
                try:
                    raw = json.dumps(item, default=str)[:65536].encode()
                except (TypeError, ValueError, RecursionError):
                    raw = repr(item)[:65536].encode("utf-8", "replace")
                out.bad.append(BadInput(raw, f"{self.name}: post not usable: {unusable(exc)}"))
                continue
            if mention is not None:
                out.mentions.append(mention)


def load_cursor(cursor: str | None) -> dict[str, Any]:
    if not cursor:
        return {}
    try:
        state = json.loads(cursor)
    except ValueError:
        return {}
    if not isinstance(state, dict):
        return {}
    if "since_id" in state and "since" not in state:  # cursors written before the shared poller
        state["since"] = state.pop("since_id")
    return state


def newer(a: str | None, b: str | None) -> bool:
    """Whether post id `a` is newer than `b`: numeric ids (X, Mastodon) by value, else by text
    (ISO timestamps compare as text)."""
    if a is None:
        return False
    if b is None:
        return True
    if a.isdigit() and b.isdigit():
        return int(a) > int(b)
    return a > b


def newest_of(markers: list[str]) -> str | None:
    best = None
    for marker in markers:
        if newer(marker, best):
            best = marker
    return best


def newest_first_page(
    entries: list[Any],
    marker_of: Callable[[Any], str],
    since: str | None,
    next_token: Any,
    keep: Callable[[Any], bool] = lambda _entry: True,
) -> Page:
    """One page of a newest-first listing, down to the last poll's marker `since`. An entry
    whose marker cannot be read is kept for `normalize` to dead-letter with the reason; the walk
    stops at the first entry older than `since` (the poll is then complete: no next page);
    `keep` drops entries that count for the cursor but are not mentions (likes, follows)."""
    items, markers, reached = [], [], False
    for entry in entries:
        try:
            marker = marker_of(entry)
        except (KeyError, TypeError, ValueError, OverflowError):
            items.append(entry)
            continue
        if since and newer(since, marker):
            reached = True
            break
        markers.append(marker)
        if keep(entry):
            items.append(entry)
    return Page(
        items=items,
        newest=newest_of(markers),
        next_token=str(next_token) if next_token and entries and not reached else None,
    )


def provenance(source: str, brand: str | None, from_brand: bool) -> dict[str, Any]:
    """The mention fields every network fills alike: who the post is to, and where it came from."""
    return {
        "from_brand": from_brand,
        "brand": brand,
        "ingest": {"source": source, "fetched_at": utcnow().isoformat()},
    }
