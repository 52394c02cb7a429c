"""The versioned mention schema: what travels on `mentions.raw` and `mentions.classified`.

Every message carries `schema` (an integer version). Ingest fills the post fields, the classifier
adds `classification`, the router adds `routing`. All text fields are untrusted: they are
validated here for shape and size, and escaped wherever they are shown.

The types are msgspec Structs: a stage decodes and validates a message's JSON in one C pass,
reads its fields as plain slots and encodes it again in one more (pydantic, which this schema used
before, took 2-4 times as long at each step: README, "A schema of msgspec Structs"). Decoding is
lax where JSON writers differ: a number in a string, a time as a Unix timestamp. Every field is
written, null where there is no value (`schema` first), so a reader finds each one it looks for.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

import msgspec
from msgspec import Meta, Struct
from msgspec.structs import force_setattr

from socialcare.errors import InputError

SCHEMA_VERSION = 1
MAX_TEXT_CHARS = 40_000  # a long Reddit post fits; anything larger is hostile or broken
#: the times a mention may carry: from before any network we read existed, to a day ahead of
#: this machine's clock (clock skew); outside that a timestamp is broken or hostile
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
FUTURE_SKEW = timedelta(days=1)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# \Z, not $: Python's $ also matches before a final newline, and an id must not end in one
Id = Annotated[str, Meta(min_length=1, max_length=128, pattern=r"^[^\x00-\x1f\x7f]+\Z")]
Network = Annotated[str, Meta(pattern=r"^[a-z][a-z0-9_-]{0,31}\Z")]

_encode = msgspec.json.Encoder().encode


class _Model(Struct, frozen=True, kw_only=True, gc=False):
    """Immutable; unknown fields in the JSON are ignored. Not tracked by the garbage collector
    (`gc=False`): a message holds strings, numbers, times and other messages, never a cycle.
    Each subclass says `kw_only=True` again: msgspec does not pass it on, and without it a
    required field may not follow one with a default."""

    def replace(self, **changes):
        """A copy with `changes` (not validated again, like any object built in code)."""
        return msgspec.structs.replace(self, **changes)

    def to_json(self) -> bytes:
        return _encode(self)


class Author(_Model, kw_only=True):
    id: Id
    handle: Annotated[str, Meta(max_length=256)] = ""
    display_name: Annotated[str, Meta(max_length=512)] | None = None
    followers: Annotated[int, Meta(ge=0)] | None = None
    verified: bool = False


def sane_time(value: datetime, what: str = "time") -> datetime:
    """An aware datetime in UTC within [2000-01-01, now + 1 day]; else ValueError saying why.
    Out-of-range values (year 1, year 9999 with an offset) must never reach arithmetic."""
    if value.tzinfo is not UTC:  # (nearly every time is written in UTC: nothing to convert)
        if value.tzinfo is None:
            raise ValueError(f"{what} must carry a time zone (e.g. 2017-10-31T22:10:47Z)")
        try:
            value = value.astimezone(UTC)
        except OverflowError:
            raise ValueError(f"{what} {value.isoformat()[:40]} is out of range") from None
    if value < EARLIEST or value > datetime.now(UTC) + FUTURE_SKEW:
        raise ValueError(
            f"{what} {value.isoformat()} is out of range ({EARLIEST.year} to tomorrow)"
        )
    return value


class IngestMeta(_Model, kw_only=True):
    source: Annotated[str, Meta(min_length=1, max_length=1024)]
    fetched_at: datetime
    line: int | None = None  # line in a replay file, for dead letters and audits

    def __post_init__(self) -> None:
        if (at := sane_time(self.fetched_at, "ingest.fetched_at")) is not self.fetched_at:
            force_setattr(self, "fetched_at", at)


class Sentiment(_Model, kw_only=True):
    label: Literal["negative", "neutral", "positive"]
    score: Annotated[float, Meta(ge=-1.0, le=1.0)]


UrgencyLevel = Literal["critical", "high", "normal", "low"]


class Urgency(_Model, kw_only=True):
    level: UrgencyLevel
    score: Annotated[float, Meta(ge=0.0, le=1.0)]
    reasons: list[str] = []


class Classification(_Model, kw_only=True):
    sentiment: Sentiment
    urgency: Urgency
    topic: str = "other"
    spam: bool = False
    spam_reasons: list[str] = []
    model_version: str


class Routing(_Model, kw_only=True):
    case_id: str
    queue: str
    priority: int
    sla_due: datetime | None = None
    rule_id: str
    ruleset_version: str


def routing_json(
    case_id: str, queue: str, priority: int, rule_id: str, ruleset_version: str
) -> bytes:
    """The JSON of a `Routing` with no `sla_due`: the router writes one per post."""
    routing = Routing(
        case_id=case_id,
        queue=queue,
        priority=priority,
        rule_id=rule_id,
        ruleset_version=ruleset_version,
    )
    return routing.to_json()


def with_field(encoded: bytes, name: str, value: bytes) -> bytes:
    """A mention's JSON with its last field set: `encoded` is what `Mention.to_json()` gave while
    `name`, the last field, was None (written `"name":null`), `value` that field's JSON. The same
    bytes `to_json` gives once the field is set, without encoding the mention again (the router
    adds `routing` to each post it stores)."""
    key = b',"' + name.encode() + b'":'
    unset = key + b"null}"
    if not encoded.endswith(unset):
        raise ValueError(f"{name} is not the last field, unset, of {encoded[-60:]!r}")
    return encoded[: -len(unset)] + key + value + b"}"


class Mention(_Model, kw_only=True, tag_field="schema", tag=SCHEMA_VERSION):
    network: Network
    post_id: Id
    conversation_id: Id
    author: Author
    text: Annotated[str, Meta(max_length=MAX_TEXT_CHARS)]
    language: Annotated[str, Meta(max_length=16)] | None = None
    created_at: datetime
    url: Annotated[str, Meta(max_length=2048)] | None = None
    in_reply_to: Id | None = None
    from_brand: bool = False  # posted by one of the brand's own accounts (a response)
    brand: Annotated[str, Meta(max_length=256)] | None = None
    ingest: IngestMeta
    classification: Classification | None = None
    routing: Routing | None = None

    def __post_init__(self) -> None:
        if (at := sane_time(self.created_at, "created_at")) is not self.created_at:
            force_setattr(self, "created_at", at)
        # Control characters are stripped, not rejected: real posts contain them by accident.
        # (Looked for first: nearly no post has one, and then no new string is made.)
        if _CONTROL.search(self.text) is not None:
            force_setattr(self, "text", _CONTROL.sub("", self.text))
        url = self.url
        if url is not None:
            if url == "":
                force_setattr(self, "url", None)
            elif not url.lower().startswith(("https://", "http://")):
                raise ValueError("url must be an http(s) URL")

    @property
    def key(self) -> str:
        """The effect key: one mention takes effect once per (network, post id)."""
        return f"{self.network}:{self.post_id}"


class SchemaError(InputError):
    """A message that is not a valid mention; the text says which field and why."""


def describe(error: msgspec.DecodeError) -> str:
    """msgspec's "Expected `int` >= 0, got `-3` - at `$.author.followers`" as
    "author.followers: Expected `int` >= 0, got `-3`" (the field first, as in every error here)."""
    text = str(error)
    message, at, path = text.rpartition(" - at `$")
    if not at:  # malformed JSON, or a check of the whole message (`__post_init__`)
        return text
    return f"{path.rstrip('`').lstrip('.') or 'message'}: {message}"


_decode = msgspec.json.Decoder(Mention, strict=False).decode


def parse_mention(raw: bytes | str) -> Mention:
    """Parse one JSON mention, raising SchemaError with a readable reason."""
    try:
        return _decode(raw)
    except msgspec.DecodeError as exc:
        raise SchemaError(describe(exc)) from None


def mention_of(value: bytes, decoded: object = None) -> Mention:
    """The mention a record carries: the object its bytes were encoded from when the writing
    stage handed it over in this process (socialcare/stream/embedded.py, Handoff), else parsed."""
    if type(decoded) is Mention:
        return decoded
    return parse_mention(value)


def mention_from_dict(data: dict) -> Mention:
    try:
        return msgspec.convert(data, Mention, strict=False)
    except msgspec.ValidationError as exc:
        raise SchemaError(describe(exc)) from None


def utcnow() -> datetime:
    return datetime.now(UTC)
