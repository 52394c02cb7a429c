"""The classifier's results while it works: plain slotted records, cheap to build in bulk.
They become the validated `stream.schema.Classification` only where a mention carries them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SentimentTag:
    label: str  # negative | neutral | positive
    score: float  # in [-1, 1]


@dataclass(frozen=True, slots=True)
class UrgencyTag:
    level: str  # critical | high | normal | low
    score: float  # in [0, 1]
    reasons: list[str]
