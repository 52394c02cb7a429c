"""The router stage: `mentions.classified` → cases in the store, then `care.events`."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import ClassVar

import orjson
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from route.casebook import CaseBook
from route.rules import RuleSet
from socialcare.errors import TransientError, as_storage_error
from socialcare.store.watermarks import RoutedMark, record_routed
from socialcare.stream.bus import TOPIC_CLASSIFIED, TOPIC_EVENTS, TOPIC_URGENT, OutMessage, Record
from socialcare.stream.deadletter import DeadLetter
from socialcare.stream.schema import SchemaError, mention_of, utcnow
from socialcare.stream.watermarks import is_marker, read_marker
from socialcare.stream.worker import Stage, StageOutput

# orjson with the stdlib's reading of what JSON lacks (a datetime in event data is str(value))
_EVENT_JSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS


class RouteStage(Stage):
    name = "route"
    input_topics: ClassVar[list[str]] = [TOPIC_URGENT, TOPIC_CLASSIFIED]  # urgent first

    def __init__(self, engine: Engine, rules: Callable[[], RuleSet]) -> None:
        self.engine = engine
        self.rules = rules  # called per batch, so a new rule set takes effect without restart

    def process(self, records: list[Record]) -> StageOutput:
        out = StageOutput()
        mentions = []
        canonical: dict[tuple[str, str], bytes] = {}
        marks: list[RoutedMark] = []
        for record in records:
            try:
                if is_marker(record):
                    marks.append(_routed(record))
                    continue
                mention = mention_of(record.value, record.decoded)
            except (SchemaError, ValueError) as exc:
                out.dead.append(DeadLetter.from_record(record, exc, self.name))
                continue
            if mention.classification is None:
                out.dead.append(
                    DeadLetter.from_record(
                        record,
                        "mention has no classification; the router reads classified mentions",
                        self.name,
                    )
                )
                continue
            mentions.append(mention)
            if record.decoded is mention and mention.routing is None:
                canonical[(mention.network, mention.post_id)] = record.value
        if not mentions and not marks:
            return out
        rules = self.rules()
        now = utcnow()
        try:
            with self.engine.begin() as conn:
                events = CaseBook(conn, rules, now, canonical).apply(mentions) if mentions else []
                record_routed(conn, marks, now)  # with the cases of the posts before them
        except OperationalError as exc:  # database down, locked past its timeout, …
            if storage := as_storage_error(exc, "case store"):
                raise storage from exc
            raise TransientError(f"case store unavailable: {exc.orig}") from exc
        except IntegrityError as exc:  # another router won a race; the retry sees its rows
            raise TransientError(f"concurrent write, retrying: {exc.orig}") from exc
        at_text: dict[datetime, str] = {}  # a batch's events mostly share one time: its now
        for ev in events:
            if (at := at_text.get(ev.at)) is None:
                at = at_text[ev.at] = ev.at.isoformat()
            payload = {
                "schema": 1,
                "case_id": ev.case_id,
                "type": ev.type,
                "at": at,
                "actor": ev.actor,
                "data": ev.data,
            }
            out.messages.append(OutMessage(TOPIC_EVENTS, ev.case_id, _event_json(payload)))
        return out


def _event_json(payload: dict) -> bytes:
    try:
        return orjson.dumps(payload, default=str, option=_EVENT_JSON_OPTIONS)
    except TypeError:  # what orjson will not write (integers past 64 bits, lone surrogates)
        return json.dumps(payload, default=str).encode()


def _routed(record: Record) -> RoutedMark:
    """A marker the router read, as the stream it came through."""
    mark = read_marker(record)
    if mark.lane is None or mark.fanout is None:
        raise ValueError("a watermark marker reached the router without its lane")
    stream = f"{mark.lane}/{mark.lane_partition}>{record.topic}/{record.partition}"
    return RoutedMark(mark.source, stream, mark.at, int(mark.fanout))
