"""Table definitions. `cases` is the current state of each case, a projection of its append-only
`case_events` log, updated in the same transaction as the events that change it."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in and out, whatever the database keeps (SQLite keeps none)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return _to_utc(value)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    # On SQLite one function per value instead of three layers (decorator, SQLAlchemy's own
    # string formatting and regex parsing): the router binds ~15 datetimes per case, and this
    # was a tenth of the all-in-one pipeline's time. Same text as SQLAlchemy's SQLite DATETIME
    # stores ("2026-11-23 12:00:00.000000"), so old and new rows read alike.
    def bind_processor(self, dialect):
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)

        memo = _FORMATTED

        def process(value):
            if value is None:
                return None
            try:
                return memo[value]
            except (KeyError, TypeError):  # not seen yet, or not even hashable
                pass
            # "+00:00" cut off the end: cheaper than replace(tzinfo=None); years are 4 digits
            text = _to_utc(value).isoformat(" ", "microseconds")[:26]
            if len(memo) >= _FORMATTED_LIMIT:
                memo.clear()
            memo[value] = text
            return text

        return process

    def result_processor(self, dialect, coltype):
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)

        return partial(self.process_result_value, dialect=dialect)


# A batch binds the same instants many times: its `now`, and a post's time in several columns of
# several tables (the post, its case's opened, last-customer and decided times, its events).
# Every column's processor shares this memo, so each instant is formatted once (one memo per
# column missed five times in six: a router's batch formatted 6 instants per post, now 3).
_FORMATTED: dict[datetime, str] = {}
_FORMATTED_LIMIT = 16_384


def _to_utc(value: datetime) -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f"the case store keeps datetimes, not {type(value).__name__}")
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the case store; use UTC-aware datetimes")
    return value.astimezone(UTC)


metadata = MetaData()

cases = Table(
    "cases",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("network", String(32), nullable=False),
    Column("conversation_id", String(128), nullable=False),
    # open | resolved (a claimed case is an open one with an unexpired `claim_expires`)
    Column("status", String(16), nullable=False),
    Column("queue", String(64), nullable=False),
    Column("priority", Integer, nullable=False),
    Column("priority_parts", JSON, nullable=False),
    Column("sla_policy", String(64), nullable=False),
    Column("sla_due", UTCDateTime),
    Column("first_response_due", UTCDateTime),  # the first-response target, for attainment
    Column("rule_id", String(128), nullable=False),
    Column("ruleset_version", String(64), nullable=False),
    Column("account", String(256)),
    Column("customer_id", String(128), nullable=False),
    Column("customer_handle", String(256), nullable=False),
    Column("summary", String(300), nullable=False),  # the opening post, shortened
    Column("sentiment", String(16)),
    Column("sentiment_score", Float),
    Column("urgency", String(16)),
    Column("urgency_score", Float),
    Column("urgency_reasons", JSON),
    Column("topic", String(64)),
    Column("spam", Boolean, nullable=False, default=False),
    Column("opened_at", UTCDateTime, nullable=False),  # the customer's first post
    Column("first_response_at", UTCDateTime),  # the brand's first reply after it
    Column("last_customer_at", UTCDateTime, nullable=False),
    Column("resolved_at", UTCDateTime),
    Column("claimed_by", String(128)),
    Column("claim_expires", UTCDateTime),
    Column("post_count", Integer, nullable=False),
    Column("tags", JSON, nullable=False, default=list),
    # SLA clock: paused while waiting on the customer (the brand answered last)
    Column("waiting_since", UTCDateTime),
    Column("sla_paused_s", Integer, nullable=False, default=0),
    # the watchdog: the due time it last warned about / escalated, so each happens once per due
    Column("sla_warned_due", UTCDateTime),
    Column("sla_escalated_due", UTCDateTime),
    Column("sla_escalated_target", String(16)),  # first_response | resolution
    Column("escalated_from_queue", String(64)),  # where a retraction puts the case back
    Column("decided_at", UTCDateTime, nullable=False),  # time of the post that decided routing
    Column("snoozed_until", UTCDateTime),  # hidden from the queue view until then
    Column("incident_id", String(40)),  # the incident the case is part of (one at a time)
    Column("assignee", String(128)),  # the agent it was given to (ownership; see route/assigner)
    Column("assigned_at", UTCDateTime),
    Column("language", String(16)),  # of the opening post
    Column("created_at", UTCDateTime, nullable=False),  # when socialcare opened it
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("network", "conversation_id", name="uq_cases_conversation"),
)
# a queue's cases of one status in the queue's order (store/cases.QUEUE_ORDER): a page of it, or
# the assigner's next case, reads its own rows whatever the queue holds (migration 11 put the due
# time, opening time and id after the priority; the index kept every priority change before too)
Index(
    "ix_cases_queue_order",
    cases.c.queue,
    cases.c.status,
    cases.c.priority.desc(),
    cases.c.sla_due,
    cases.c.opened_at,
    cases.c.id,
)
Index("ix_cases_customer", cases.c.network, cases.c.customer_id)
Index("ix_cases_sla_due", cases.c.sla_due)
# the watchdog's looks: a network's open cases, by due time (without it a look read every case
# the network ever had, resolved or not: 3.5 s a look with 13,000 open of 537,000)
Index("ix_cases_network_status_due", cases.c.network, cases.c.status, cases.c.sla_due)
# the desk's queue counts, incident lines and unresolved lists: the open cases, not every case
Index("ix_cases_status_queue", cases.c.status, cases.c.queue)
Index("ix_cases_assignee", cases.c.assignee, cases.c.status)
# every queue's resolved cases in the queue's order: the API's lists of resolved or of all cases
# sorted every case ever stored for each page (301 and 121 ms for 50 of 537,000). Partial, so the
# router's changes to open cases (priority, due times) never touch it.
Index(
    "ix_cases_resolved_order",
    cases.c.status,  # the status first: the planner takes it over ix_cases_status_queue's
    cases.c.priority.desc(),
    cases.c.sla_due,
    cases.c.opened_at,
    cases.c.id,
    sqlite_where=cases.c.status == "resolved",
    postgresql_where=cases.c.status == "resolved",
)

posts = Table(
    "posts",
    metadata,
    Column("network", String(32), nullable=False),
    Column("post_id", String(128), nullable=False),
    Column("conversation_id", String(128), nullable=False),
    Column("case_id", String(40)),  # null: brand post before any customer post, or ignored
    Column("from_brand", Boolean, nullable=False),
    Column("author_id", String(128), nullable=False),
    Column("author_handle", String(256), nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("url", String(2048)),
    Column("sentiment", String(16)),
    Column("urgency", String(16)),
    Column("topic", String(64)),
    Column("spam", Boolean),
    Column("ignored_reason", String(512)),
    Column("mention", Text, nullable=False),  # the whole message as routed (schema JSON)
    Column("stored_at", UTCDateTime, nullable=False),
    Column("brand", String(256)),  # the brand the post is to (or from)
    Column("incident_id", String(40)),  # the incident the post was grouped into
    Column("sentiment_score", Float),  # the classifier's score, -1..1 (listening reports)
    # a customer post's words and phrases, space-separated (socialcare/stream/terms.py)
    Column("terms", Text),
    PrimaryKeyConstraint("network", "post_id", name="pk_posts"),
)
Index("ix_posts_conversation", posts.c.network, posts.c.conversation_id)
Index("ix_posts_case", posts.c.case_id)
Index("ix_posts_brand_time", posts.c.brand, posts.c.created_at)
Index("ix_posts_incident", posts.c.incident_id)
# listening reports read a period of posts: everything they group by is in the index, so a
# report reads the index and never the rows (which hold the whole message)
Index(
    "ix_posts_listening",
    posts.c.created_at,
    posts.c.from_brand,
    posts.c.case_id,
    posts.c.network,
    posts.c.sentiment,
    posts.c.sentiment_score,
    posts.c.topic,
)

# Customer posts per key (a brand, or brand|topic, brand|network) per minute of posting time:
# what spike detection judges (route/spikes.py). Counted in the router's transaction.
traffic = Table(
    "traffic",
    metadata,
    Column("key", String(400), nullable=False),
    Column("bucket", Integer, nullable=False),  # minutes since the epoch
    Column("posts", Integer, nullable=False),
    Column("negative", Integer, nullable=False),
    PrimaryKeyConstraint("key", "bucket", name="pk_traffic"),
)
spike_state = Table(
    "spike_state",
    metadata,
    Column("key", String(400), primary_key=True),
    Column("judged_until", Integer, nullable=False),  # the last minute judged
)
alerts = Table(
    "alerts",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("key", String(400), nullable=False),
    Column("brand", String(256), nullable=False),
    Column("kind", String(16), nullable=False),  # volume | negative
    Column("signal", String(32), nullable=False),  # what fired: volume, negative share, similar
    Column("started_at", UTCDateTime, nullable=False),
    Column("detected_at", UTCDateTime, nullable=False),  # the event time it fired
    Column("severity", String(16), nullable=False),
    Column("observed", Integer, nullable=False),
    Column("expected", Float, nullable=False),
    Column("score", Float, nullable=False),
    Column("negative_share", Float, nullable=False),
    Column("expected_negative_share", Float, nullable=False),
    Column("terms", JSON, nullable=False),
    Column("samples", JSON, nullable=False),  # a few posts: post id, author, text
    Column("incident_id", String(40)),
    Column("status", String(16), nullable=False),  # active | acknowledged | closed
    Column("status_by", String(128)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)
Index("ix_alerts_status", alerts.c.status)
Index("ix_alerts_key_detected", alerts.c.key, alerts.c.detected_at)
incidents = Table(
    "incidents",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("brand", String(256), nullable=False),
    Column("alert_id", String(40)),
    Column("title", String(300), nullable=False),
    Column("terms", JSON, nullable=False),
    Column("signature", JSON, nullable=False),  # term → weight (classify/similarity.py rising)
    Column("idf", JSON, nullable=False),  # {"docs": N, "df": {term: n}} for the signature's terms
    Column("status", String(16), nullable=False),  # open | closed | merged
    Column("merged_into", String(40)),
    Column("first_seen", UTCDateTime, nullable=False),
    Column("last_seen", UTCDateTime, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("closed_at", UTCDateTime),
    Column("closed_by", String(128)),
)
Index("ix_incidents_status_brand", incidents.c.status, incidents.c.brand)
# cases an agent took out of an incident: a later post of theirs does not put them back
incident_exclusions = Table(
    "incident_exclusions",
    metadata,
    Column("incident_id", String(40), nullable=False),
    Column("case_id", String(40), nullable=False),
    PrimaryKeyConstraint("incident_id", "case_id", name="pk_incident_exclusions"),
)

case_events = Table(
    "case_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", String(40), nullable=False, index=True),
    Column("type", String(32), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(256), nullable=False),
    Column("data", JSON, nullable=False),
)

# escalations the router made (a post showed their due time had passed), waiting for the watchdog
# to tell the webhook: written in the router's transaction, taken (deleted) by the watchdog's
escalation_notices = Table(
    "escalation_notices",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", String(40), nullable=False),
    Column("body", JSON, nullable=False),  # what the webhook is sent, as the watchdog's own
    Column("created_at", UTCDateTime, nullable=False),
)

source_cursors = Table(
    "source_cursors",
    metadata,
    Column("source", String(1024), primary_key=True),
    Column("cursor", Text),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("mentions", Integer, nullable=False, default=0),
    Column("dead_letters", Integer, nullable=False, default=0),
    Column("last_success_at", UTCDateTime),
    Column("error_count", Integer, nullable=False, default=0),
    Column("last_error", String(500)),
    Column("last_error_at", UTCDateTime),
    Column("rate_limited_until", UTCDateTime),
    # event time: everything this source posted up to `watermark` has been delivered to the bus
    Column("watermark", UTCDateTime),
    Column("networks", String(200)),  # the networks it can deliver posts of; "*": any
    Column("finite", Boolean),  # a replay or demo:N ends; a network source is polled forever
    Column("finished", Boolean),  # a finite source that has delivered everything
    Column("retired", Boolean),  # `ingest --retire`: no longer run; holds nothing back
)

# Event time the router has reached, per source: one row per stream a watermark travels through
# (lane topic and partition → router topic and partition); a source's routed watermark is the
# least of its rows once all `fanout` of them exist (see route/event_time.py)
routed_watermarks = Table(
    "routed_watermarks",
    metadata,
    Column("source", String(1024), nullable=False),
    Column("stream", String(200), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("fanout", Integer, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("source", "stream", name="pk_routed_watermarks"),
)

ingest_seen = Table(
    "ingest_seen",
    metadata,
    Column("network", String(32), nullable=False),
    Column("post_id", String(128), nullable=False),
    PrimaryKeyConstraint("network", "post_id", name="pk_ingest_seen"),
)

# Published rule sets, newest last. The newest row is in force; a rollback appends a copy of
# an older version, so the history reads in order and nothing is ever rewritten.
rulesets = Table(
    "rulesets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("version", String(64), nullable=False, index=True),
    Column("text", Text, nullable=False),
    Column("action", String(16), nullable=False),  # publish | rollback
    Column("author", String(128), nullable=False),
    Column("message", String(1000), nullable=False),
    Column("published_at", UTCDateTime, nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("name", String(128), primary_key=True),
    Column("role", String(16), nullable=False),  # agent | admin | analyst
    Column("password_hash", String(256), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("presence", String(16)),  # online | away | offline (none: offline)
    Column("presence_at", UTCDateTime),
    Column("last_seen_at", UTCDateTime),  # the desk's last request from the user
    Column("capacity", Integer),  # most open cases assigned at once (none: 5)
    Column("skills", JSON),  # languages, queues, networks the agent covers
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),  # sha256 of the token; never the token
    Column("user", String(128), nullable=False, index=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime),  # none: until revoked
)

# Desk sign-ins, server side: the session cookie carries a random id whose hash is kept here, so
# signing out, disabling the user or a password change ends it at once
desk_sessions = Table(
    "desk_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("user", String(128), nullable=False, index=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)

# Wrong passwords, per account ("user:NAME") and per address ("addr:IP"), for throttling
login_failures = Table(
    "login_failures",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("first_at", UTCDateTime, nullable=False),
    Column("locked_until", UTCDateTime),
)

app_secrets = Table(
    "app_secrets",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", String(256), nullable=False),
)

# Saved replies and macros (one YAML text per version, like rule sets): newest in force
saved_replies = Table(
    "saved_replies",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("version", String(64), nullable=False),
    Column("text", Text, nullable=False),
    Column("action", String(16), nullable=False),  # publish | rollback
    Column("author", String(128), nullable=False),
    Column("message", String(1000), nullable=False),
    Column("published_at", UTCDateTime, nullable=False),
)
# who has a case open on the desk now (refreshed while the page is open)
case_viewers = Table(
    "case_viewers",
    metadata,
    Column("case_id", String(40), nullable=False),
    Column("user", String(128), nullable=False),
    Column("seen_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("case_id", "user", name="pk_case_viewers"),
)
# round robin: the agent each queue gave a case to last
assignment_state = Table(
    "assignment_state",
    metadata,
    Column("queue", String(64), primary_key=True),
    Column("last_agent", String(128), nullable=False),
)
customer_notes = Table(
    "customer_notes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("network", String(32), nullable=False),
    Column("author_id", String(128), nullable=False),
    Column("text", Text, nullable=False),
    Column("agent", String(128), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Index("ix_customer_notes_who", "network", "author_id"),
)
# identities an agent said are one person (never guessed): both directions stored
customer_links = Table(
    "customer_links",
    metadata,
    Column("network", String(32), nullable=False),
    Column("author_id", String(128), nullable=False),
    Column("other_network", String(32), nullable=False),
    Column("other_author_id", String(128), nullable=False),
    Column("agent", String(128), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint(
        "network", "author_id", "other_network", "other_author_id", name="pk_customer_links"
    ),
)

corrections = Table(
    "corrections",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", String(40), nullable=False, index=True),
    Column("text", Text, nullable=False),  # the opening post, as a training example
    Column("field", String(16), nullable=False),  # sentiment | urgency | topic
    Column("old", String(64)),
    Column("new", String(64), nullable=False),
    Column("agent", String(128), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("source", String(256)),  # desk, or import:FILE
)

# classifier models, versioned like rule sets: the newest row of a task is in force (an empty
# row, version "default", puts the untrained default back); blobs as classify/learned.py
# writes them (JSON and npz: never pickle)
models = Table(
    "models",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("task", String(16), nullable=False),
    Column("version", String(64), nullable=False),
    Column("action", String(16), nullable=False),  # retrain | publish | rollback
    Column("author", String(128), nullable=False),
    Column("message", String(1000), nullable=False),
    Column("published_at", UTCDateTime, nullable=False),
    Column("meta", Text, nullable=False),  # JSON: figures, confusion matrix, training rows
    Column("vocabulary", LargeBinary),
    Column("weights", LargeBinary),
    Index("ix_models_task", "task", "id"),
)

# every retrain's decision, promoted or not (a promoted one is also a `models` row): the
# newest correction it saw, so a schedule does not try the same corrections again after the
# gate turned them down, and why, for the admins' page
retrain_attempts = Table(
    "retrain_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("task", String(16), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("author", String(128), nullable=False),
    Column("promoted", Boolean, nullable=False),
    Column("version", String(64)),
    Column("seen_correction_id", Integer, nullable=False),
    Column("reason", Text, nullable=False),
    Index("ix_retrain_attempts_task", "task", "id"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", String(40), primary_key=True),  # the desk post id the reply was recorded as
    Column("case_id", String(40), nullable=False, index=True),
    Column("network", String(32), nullable=False),
    Column("in_reply_to", String(128)),  # the customer's post it answers
    Column("text", Text, nullable=False),
    Column("agent", String(128), nullable=False),
    Column("status", String(16), nullable=False),  # queued | sent | dry_run | failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("network_post_id", String(128)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    Index("ix_outbox_due", "status", "next_attempt_at"),
)
