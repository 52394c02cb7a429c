"""Event time for SLA decisions: up to when the pipeline has a complete view, per network.

The rule (README, "SLA decisions wait for a complete view"): a case's due time counts as passed
only when every source that could answer it has delivered past it and the router has routed
what they delivered. A source's routed watermark comes from the markers the router recorded
(socialcare/stream/watermarks.py). For a network N:

- the sources that could answer N are those not retired whose networks include N (a replay or
  the demo: any network);
- while any of them is still delivering (a live source, or a finite one not yet routed to its
  end), the clock is the least of their routed watermarks, and no clock at all (nothing is
  decided) while one of them has none yet;
- once all of them are finite and routed to their end, the clock is the latest of those ends:
  history is known up to there, and not beyond;
- with no source for N (posts written by other means), it is the wall clock;
- never later than the wall clock.

So a replay of history escalates exactly the cases that were late in history, a lagging source
delays decisions instead of making false ones, and a post that arrives late anyway retracts the
escalation it contradicts (route/casebook.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from socialcare.store.watermarks import source_times


@dataclass(frozen=True)
class SourceTime:
    name: str
    networks: frozenset[str] | None  # None: any network
    delivered: datetime | None  # the watermark put on the bus
    routed: datetime | None  # the watermark the router has passed on every stream
    finite: bool = False
    finished: bool = False
    retired: bool = False
    last_error: str | None = None
    last_error_at: datetime | None = None
    last_success_at: datetime | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> SourceTime:
        nets = (row.get("networks") or "*").strip()
        return cls(
            name=row["source"],
            networks=None if nets == "*" else frozenset(n for n in nets.split(",") if n),
            delivered=row.get("watermark"),
            routed=row.get("routed_watermark"),
            finite=bool(row.get("finite")),
            finished=bool(row.get("finished")),
            retired=bool(row.get("retired")),
            last_error=row.get("last_error"),
            last_error_at=row.get("last_error_at"),
            last_success_at=row.get("last_success_at"),
        )

    def covers(self, network: str | None) -> bool:
        """Whether it could deliver posts of `network` (None: of any network)."""
        return not self.retired and (
            network is None or self.networks is None or network in self.networks
        )

    @property
    def drained(self) -> bool:
        """A finite source that delivered everything, all of it routed."""
        if not self.finished:
            return False
        return self.delivered is None or (self.routed is not None and self.routed >= self.delivered)

    @property
    def failing(self) -> bool:
        """Its last fetch failed (and nothing succeeded since)."""
        return self.last_error_at is not None and (
            self.last_success_at is None or self.last_error_at >= self.last_success_at
        )


@dataclass(frozen=True)
class EventClock:
    now: datetime
    sources: tuple[SourceTime, ...]

    @classmethod
    def load(cls, conn: Connection, now: datetime) -> EventClock:
        return cls(now, tuple(SourceTime.from_row(r) for r in source_times(conn)))

    def clock(self, network: str | None) -> datetime | None:
        """Up to when decisions on `network` (None: on every network, as spike detection
        needs) can be taken; None: not yet at all."""
        relevant = [s for s in self.sources if s.covers(network)]
        if not relevant:
            return self.now
        active = [s for s in relevant if not s.drained]
        if active:
            if any(s.routed is None for s in active):
                return None
            reached = min(s.routed for s in active if s.routed is not None)
        else:
            ends = [s.routed for s in relevant if s.routed is not None]
            if not ends:
                return self.now
            reached = max(ends)
        return min(reached, self.now)

    def holding_back(self, lag: timedelta) -> list[dict[str, Any]]:
        """The sources that hold SLA decisions back: still delivering, and routed to a time
        more than `lag` behind the wall clock (or not at all yet)."""
        out = []
        for s in self.sources:
            if s.retired or s.drained:
                continue
            if s.routed is not None and s.routed >= self.now - lag:
                continue
            out.append(
                {
                    "source": s.name,
                    "routed_watermark": s.routed.isoformat() if s.routed else None,
                    "delivered_watermark": s.delivered.isoformat() if s.delivered else None,
                    "behind_s": round((self.now - s.routed).total_seconds()) if s.routed else None,
                    "replaying": s.finite,
                    "failing": s.failing,
                    "networks": sorted(s.networks) if s.networks else ["*"],
                }
            )
        return out


def status(conn: Connection, now: datetime, lag: timedelta) -> list[dict[str, Any]]:
    """`ingest --status`: each source's cursor, health and watermarks, whether it holds SLA
    decisions back, then, per network, up to when SLA decisions are taken."""
    rows = source_times(conn)
    clock = EventClock(now, tuple(SourceTime.from_row(r) for r in rows))
    holding = {h["source"] for h in clock.holding_back(lag)}
    out = []
    for row, src in zip(rows, clock.sources, strict=True):
        out.append(
            {
                **row,
                "delivered_watermark": row.pop("watermark"),
                "holds_sla_checks": src.name in holding,
                "failing": src.failing,
            }
        )
    networks = sorted({n for s in clock.sources if s.networks for n in s.networks})
    if any(s.networks is None for s in clock.sources):
        networks = sorted(set(networks) | _case_networks(conn))
    for network in networks:
        at = clock.clock(network)
        out.append({"network": network, "sla_decided_up_to": at.isoformat() if at else None})
    return out


def _case_networks(conn: Connection) -> set[str]:
    from sqlalchemy import select

    from socialcare.store.tables import cases

    return set(conn.execute(select(cases.c.network).distinct()).scalars())
