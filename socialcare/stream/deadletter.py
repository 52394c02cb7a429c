"""Dead letters: a message that cannot be parsed or processed goes to `<topic>.dlq`.

The value is the original bytes, untouched; the reason travels in headers (as Kafka Connect does),
so a dead letter can be inspected, fixed and replayed.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field

from socialcare.stream.bus import OutMessage, Record, dlq_topic
from socialcare.stream.schema import utcnow


@dataclass(slots=True)
class DeadLetter:
    topic: str  # the topic the message was meant for, or came from
    original: bytes
    error: str
    error_type: str = "invalid"
    key: str | None = None
    context: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_record(cls, record: Record, error: BaseException | str, stage: str) -> DeadLetter:
        if isinstance(error, BaseException):
            message, kind = str(error) or type(error).__name__, type(error).__name__
        else:
            message, kind = error, "invalid"
        return cls(
            topic=record.topic,
            original=record.value,
            error=message,
            error_type=kind,
            key=record.key.decode("utf-8", "replace") if record.key is not None else None,
            context={
                "stage": stage,
                "source_partition": str(record.partition),
                "source_offset": str(record.offset),
            },
        )

    def to_message(self) -> OutMessage:
        headers = [
            ("error", self.error[:2000].encode()),
            ("error_type", self.error_type.encode()),
            ("source_topic", self.topic.encode()),
            ("failed_at", utcnow().isoformat().encode()),
        ]
        headers += [(k, v.encode()) for k, v in self.context.items()]
        return OutMessage(dlq_topic(self.topic), self.key, self.original, headers)


def describe_dead_letter(record: Record) -> dict:
    """A dead letter as a JSON-able dict for tools: headers, and the original as text or base64."""
    out: dict = {"topic": record.topic, "offset": record.offset}
    for key, value in record.headers:
        out[key] = value.decode("utf-8", "replace")
    try:
        out["original"] = record.value.decode("utf-8")
    except UnicodeDecodeError:
        out["original_base64"] = base64.b64encode(record.value).decode()
    return out


def dead_letter_json(record: Record) -> str:
    return json.dumps(describe_dead_letter(record), ensure_ascii=False)
