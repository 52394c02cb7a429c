"""Watermark markers: how event time travels through the pipeline beside the mentions.

A source's watermark is the time up to which it has delivered everything (a replay: the last
post time read; a live network: the start of its last complete poll). After writing a batch, the
ingest worker puts a marker with the source's watermark on every partition of both raw topics,
behind that batch's mentions. The classify stage forwards each marker it reads, after the
mentions before it, to every partition of both classified topics, saying which lane and
partition it came from. The router records each marker it reads in the case store, in the same
transaction as the cases of its batch. So once the router has recorded a source's watermark T
from every stream (lane partition → router partition), every post of that source up to T has
been routed: that is the routed watermark SLA decisions wait for (route/event_time.py).

A marker is a message with the header `control: watermark` and a small JSON body; stages that
do not know it pass it on or ignore it, and it never reaches a case.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from socialcare.stream.bus import OutMessage, Record

CONTROL = "control"
WATERMARK = b"watermark"


@dataclass(frozen=True, slots=True)
class Watermark:
    source: str
    at: datetime
    networks: str = "*"  # comma-separated networks the source delivers, or "*" for any
    lane: str | None = None  # set by classify: the raw topic and partition it came through
    lane_partition: int | None = None
    fanout: int | None = None  # set by classify: how many streams the router must see

    def to_json(self) -> bytes:
        body = {"source": self.source, "at": self.at.isoformat(), "networks": self.networks}
        if self.lane is not None:
            body |= {
                "lane": self.lane,
                "lane_partition": self.lane_partition,
                "fanout": self.fanout,
            }
        return json.dumps({"watermark": body}).encode()

    def message(self, topic: str, partition: int) -> OutMessage:
        return OutMessage(topic, None, self.to_json(), [(CONTROL, WATERMARK)], partition)

    def forwarded(self, record: Record, fanout: int) -> Watermark:
        """This marker as the classify stage passes it on: with the lane it came through."""
        return Watermark(
            self.source, self.at, self.networks, record.topic, record.partition, fanout
        )


def is_marker(record: Record) -> bool:
    return any(k == CONTROL and v == WATERMARK for k, v in record.headers)


def read_marker(record: Record) -> Watermark:
    """The marker a record carries; ValueError if it is not a well-formed marker."""
    try:
        body = json.loads(record.value)["watermark"]
        return Watermark(
            source=str(body["source"]),
            at=datetime.fromisoformat(body["at"]),
            networks=str(body.get("networks") or "*"),
            lane=body.get("lane"),
            lane_partition=body.get("lane_partition"),
            fanout=body.get("fanout"),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"not a watermark marker: {exc}") from None


def broadcast(mark: Watermark, topics: dict[str, int]) -> list[OutMessage]:
    """The marker on every partition of every topic ({topic: partitions})."""
    return [mark.message(topic, p) for topic, count in topics.items() for p in range(count)]
