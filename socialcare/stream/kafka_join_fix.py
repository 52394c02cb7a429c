"""A fix for kafka-python 3.0.12's group join, applied only where the bug is present.

The bug: `BaseCoordinator.join_group_async` keeps the JoinGroup → SyncGroup task across polls so
that a short `poll(timeout_ms=…)` does not send a second JoinGroup while the broker is still
holding the first one. But it starts a *new* task when the previous one has already finished
(`if self._join_task is None or self._join_task.is_done`), throwing the finished join's result
away. A broker holds JoinGroup for its rebalance delay (3 s on Apache Kafka and Tansu) or until
every member has rejoined, so a consumer whose polls wait less than that (every priority lane,
every consumer of the all-in-one pipeline) never sees its own join complete: it joins, drops the
result, joins again, forever. That was the Kafka hang of `run --until-idle` and of the two-worker
classify group in `make bench`.

The fix is the library's own method with one change: a finished task is awaited (which returns
its result, or raises its error into the same handlers), never replaced. `apply()` installs it
only when the installed kafka-python still has the faulty line, so an upstream fix wins.
"""

from __future__ import annotations

import inspect
import logging

from kafka import errors as Errors
from kafka.coordinator.base import BaseCoordinator, MemberState
from kafka.util import Timer

log = logging.getLogger(__name__)
_FAULTY_LINE = "if self._join_task is None or self._join_task.is_done:"


async def join_group_async(self, timeout_ms=None):  # pragma: no cover - exercised on Kafka
    """kafka-python 3.0.12's `join_group_async`, except that a join task that finished while no
    poll was waiting for it is collected instead of being replaced by a new JoinGroup."""
    if not self._use_group_apis:
        raise Errors.UnsupportedVersionError("Group Coordinator APIs require 0.9+ broker")
    timer = Timer(timeout_ms)
    while self.need_rejoin():
        if not await self.ensure_coordinator_ready_async(timeout_ms=timer.timeout_ms):
            return False
        if self._join_task is None:  # the fix: a finished task is awaited below, not replaced
            if not self.rejoining:
                await self._on_join_prepare_async(
                    self._generation.generation_id,
                    self._generation.member_id,
                    timeout_ms=timer.timeout_ms,
                )
                self.rejoining = True
                self._disable_heartbeat()
            self._join_task = self._manager.call_soon(self._do_join_and_sync_async)
        try:
            assignment_bytes = await self._manager.wait_for(self._join_task, timer.timeout_ms)
        except Errors.KafkaTimeoutError:
            return False  # still in flight: the next poll waits for the same task
        except (
            Errors.UnknownMemberIdError,
            Errors.RebalanceInProgressError,
            Errors.IllegalGenerationError,
            Errors.MemberIdRequiredError,
        ):
            self._join_task = None
            continue
        except Errors.RetriableError:
            self._join_task = None
            if timer.expired:
                return False
            backoff_ms = self.config["retry_backoff_ms"]
            if timer.timeout_ms is not None:
                backoff_ms = min(backoff_ms, timer.timeout_ms)
            if backoff_ms > 0:
                await self._manager._net.sleep(backoff_ms / 1000)
            continue
        except Errors.KafkaError:
            self._join_task = None
            raise
        self._join_task = None
        with self._lock:
            self.rejoining = False
            self.rejoin_needed = False
            self.state = MemberState.STABLE
            self._enable_heartbeat()
        await self._on_join_complete_async(
            self._generation.generation_id,
            self._generation.member_id,
            self._generation.protocol,
            assignment_bytes,
        )
        return True
    return True


def needed() -> bool:
    """Whether the installed kafka-python still replaces a finished join task."""
    try:
        source = inspect.getsource(BaseCoordinator.join_group_async)
    except (OSError, TypeError):
        return False
    return _FAULTY_LINE in source


def apply() -> bool:
    """Install the fixed method if the installed kafka-python needs it; True if installed."""
    if BaseCoordinator.join_group_async is join_group_async:
        return True
    if not needed():
        return False
    BaseCoordinator.join_group_async = join_group_async
    log.debug("kafka-python group join fix installed")
    return True
