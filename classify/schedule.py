"""Retraining on a schedule inside `run` (or `socialcare models schedule`): every
`CHECK_EVERY_S` count each task's corrections newer than the last retrain, promoted or not (the
store keeps each decision, so this holds across restarts and between processes); once there are
`every` of them, retrain that task in a background thread, behind the same gate as
`socialcare models retrain` (classify/learning.py). Classify stages pick a promoted model up by
themselves (classify/registry.py). Training libraries are imported only when a retrain runs."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from sqlalchemy import Engine

from classify.learned import TASKS
from socialcare.store import corrections
from socialcare.store import models as stored

CHECK_EVERY_S = 60.0
# the corrections field each task learns from
TASK_FIELD = {"sentiment": "sentiment", "complaint": "urgency", "topic": "topic"}

log = logging.getLogger(__name__)


def pending(engine: Engine, after: dict[str, int] | None = None) -> dict[str, tuple[int, int]]:
    """Per task: the last correction id its version in force was trained on (or `after[task]`,
    a later attempt, when given) and how many corrections came in since."""
    out = {}
    for task in TASKS:
        row = stored.in_force(engine, task)
        last = int((row.meta if row else {}).get("last_correction_id", 0))
        last = max(last, (after or {}).get(task, 0))
        out[task] = (last, corrections.count_since(engine, TASK_FIELD[task], last))
    return out


class RetrainSchedule:
    """Call `tick()` from the pipeline's housekeeping; `results` keeps what each retrain
    decided."""

    def __init__(self, engine: Engine, every: int, check_every_s: float = CHECK_EVERY_S) -> None:
        self.engine = engine
        self.every = every
        self.check_every_s = check_every_s
        self._next = 0.0
        # task -> newest correction id at the last attempt here: a retrain that failed before
        # it could record its decision is not tried again at every check
        self._tried: dict[str, int] = {}
        self._thread: threading.Thread | None = None
        self.results: list[dict[str, Any]] = []

    def due(self) -> list[str]:
        """The tasks with at least `every` corrections since the last attempt or version."""
        seen = stored.seen_by_attempts(self.engine)
        for task, newest in self._tried.items():
            seen[task] = max(seen.get(task, 0), newest)
        waiting = pending(self.engine, seen)
        return [task for task, (_after, count) in waiting.items() if count >= self.every]

    def tick(self, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        if self.every <= 0 or now < self._next or self.busy():
            return
        self._next = now + self.check_every_s
        try:
            tasks = self.due()
        except Exception as exc:  # the store is away: try again next time
            log.warning("could not count corrections: %s", exc)
            return
        if tasks:
            self._thread = threading.Thread(
                target=self._retrain, args=(tasks,), name="retrain", daemon=True
            )
            self._thread.start()

    def busy(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _retrain(self, tasks: list[str]) -> None:
        for task in tasks:
            newest = corrections.newest_id(self.engine, TASK_FIELD[task])
            try:
                from classify.learning import retrain

                result = retrain(self.engine, task, author="schedule")
            except Exception as exc:
                log.error("scheduled retrain of %s failed: %s", task, exc)
                result = {"task": task, "promoted": False, "reason": f"failed: {exc}"}
            self._tried[task] = newest
            self.results.append(result)
            log.info(
                "retrain %s: %s (%s)",
                task,
                f"promoted {result.get('version')}" if result.get("promoted") else "kept",
                result.get("reason"),
            )
