"""The versioned mention schema: what travels on `mentions.raw` and `mentions.classified`.

Every message carries `schema` (an integer version). Ingest fills the post fields, the classifier
adds `classification`, the router adds `routing`. All text fields are untrusted: they are
validated here for shape and size, and escaped wherever they are shown.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

import orjson
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from socialcare.errors import InputError

SCHEMA_VERSION = 1
MAX_TEXT_CHARS = 40_000  # a long Reddit post fits; anything larger is hostile or broken
#: the times a mention may carry: from before any network we read existed, to a day ahead of
#: this machine's clock (clock skew); outside that a timestamp is broken or hostile
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
FUTURE_SKEW = timedelta(days=1)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

Id = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[^\x00-\x1f\x7f]+$")]
Network = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{0,31}$")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class Author(_Model):
    id: Id
    handle: Annotated[str, StringConstraints(max_length=256)] = ""
    display_name: Annotated[str, StringConstraints(max_length=512)] | None = None
    followers: Annotated[int, Field(ge=0)] | None = None
    verified: bool = False


def sane_time(value: datetime, what: str = "time") -> datetime:
    """An aware datetime in UTC within [2000-01-01, now + 1 day]; else ValueError saying why.
    Out-of-range values (year 1, year 9999 with an offset) must never reach arithmetic."""
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


class IngestMeta(_Model):
    source: Annotated[str, StringConstraints(min_length=1, max_length=1024)]
    fetched_at: datetime
    line: int | None = None  # line in a replay file, for dead letters and audits

    @field_validator("fetched_at")
    @classmethod
    def _sane(cls, value: datetime) -> datetime:
        return sane_time(value, "ingest.fetched_at")


class Sentiment(_Model):
    label: Literal["negative", "neutral", "positive"]
    score: Annotated[float, Field(ge=-1.0, le=1.0)]


UrgencyLevel = Literal["critical", "high", "normal", "low"]


class Urgency(_Model):
    level: UrgencyLevel
    score: Annotated[float, Field(ge=0.0, le=1.0)]
    reasons: list[str] = Field(default_factory=list)


class Classification(_Model):
    sentiment: Sentiment
    urgency: Urgency
    topic: str = "other"
    spam: bool = False
    spam_reasons: list[str] = Field(default_factory=list)
    model_version: str


class Routing(_Model):
    case_id: str
    queue: str
    priority: int
    sla_due: datetime | None = None
    rule_id: str
    ruleset_version: str


def routing_json(
    case_id: str, queue: str, priority: int, rule_id: str, ruleset_version: str
) -> bytes:
    """The JSON of a `Routing` with no `sla_due`, as `model_dump_json(exclude_none=True)` writes
    it, by orjson: the router writes one per post, and building and dumping the model was 3 % of
    a router's time. Same bytes (tests/stream/test_schema.py); what orjson refuses (an integer
    past 64 bits) goes through the model, which also gives the error for what neither writes."""
    fields = {
        "case_id": case_id,
        "queue": queue,
        "priority": priority,
        "rule_id": rule_id,
        "ruleset_version": ruleset_version,
    }
    try:
        return orjson.dumps(fields)
    except TypeError:
        return Routing(**fields).model_dump_json(exclude_none=True).encode()


def with_field(encoded: bytes, name: str, value: bytes) -> bytes:
    """A mention's JSON with one more field: `encoded` is what `Mention.to_json()` gave while
    `name` and every field after it were None (left out), `value` that field's JSON. The same
    bytes `to_json` gives once the field is set, without encoding the mention again (the
    classifier adds `classification`, the router `routing`: the last two fields)."""
    return encoded[:-1] + b',"' + name.encode() + b'":' + value + b"}"


class Mention(_Model):
    schema_version: Literal[1] = Field(SCHEMA_VERSION, alias="schema")
    network: Network
    post_id: Id
    conversation_id: Id
    author: Author
    text: Annotated[str, StringConstraints(max_length=MAX_TEXT_CHARS)]
    language: Annotated[str, StringConstraints(max_length=16)] | None = None
    created_at: datetime
    url: Annotated[str, StringConstraints(max_length=2048)] | None = None
    in_reply_to: Id | None = None
    from_brand: bool = False  # posted by one of the brand's own accounts (a response)
    brand: Annotated[str, StringConstraints(max_length=256)] | None = None
    ingest: IngestMeta
    classification: Classification | None = None
    routing: Routing | None = None

    @field_validator("created_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return sane_time(value, "created_at")

    @field_validator("text")
    @classmethod
    def _no_control_chars(cls, value: str) -> str:
        # Control characters are stripped, not rejected: real posts contain them by accident.
        # (Looked for first: nearly no post has one, and then no new string is made.)
        return value if _CONTROL.search(value) is None else _CONTROL.sub("", value)

    @field_validator("url")
    @classmethod
    def _http_only(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.lower().startswith(("https://", "http://")):
            raise ValueError("url must be an http(s) URL")
        return value

    @property
    def key(self) -> str:
        """The effect key: one mention takes effect once per (network, post id)."""
        return f"{self.network}:{self.post_id}"

    def to_json(self) -> bytes:
        return self.model_dump_json(by_alias=True, exclude_none=True).encode()


class SchemaError(InputError):
    """A message that is not a valid mention; the text says which field and why."""


def describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors()[:5]:
        where = ".".join(str(p) for p in item["loc"]) or "message"
        parts.append(f"{where}: {item['msg']}")
    more = error.error_count() - 5
    if more > 0:
        parts.append(f"and {more} more")
    return "; ".join(parts)


def parse_mention(raw: bytes | str) -> Mention:
    """Parse one JSON mention, raising SchemaError with a readable reason."""
    try:
        return Mention.model_validate_json(raw)
    except ValidationError as exc:
        raise SchemaError(describe(exc)) from None


def mention_of(value: bytes, decoded: object = None) -> Mention:
    """The mention a record carries: the object its bytes were encoded from when the writing
    stage handed it over in this process (socialcare/stream/embedded.py, Handoff), else parsed."""
    if type(decoded) is Mention:
        return decoded
    return parse_mention(value)


def mention_from_dict(data: dict) -> Mention:
    try:
        return Mention.model_validate(data)
    except ValidationError as exc:
        raise SchemaError(describe(exc)) from None


def utcnow() -> datetime:
    return datetime.now(UTC)
