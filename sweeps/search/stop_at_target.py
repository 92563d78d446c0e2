"""W&B's `metric.target`: once a trial's eval metric reaches it, no new trial starts; the running ones finish."""

from __future__ import annotations

import math

from ray.tune.search import Searcher

from sweeps.search.stateful_limiter import StatefulLimiter
from trainables.contract.goal import Goal


class StopAtTarget(StatefulLimiter):
    """A ConcurrencyLimiter that hands out no more trials after the target is reached, and remembers that on resume."""

    def __init__(self, searcher: Searcher, max_concurrent: int, target: float):
        super().__init__(searcher, max_concurrent=max_concurrent)
        self.target = target
        self.reached_by: str | None = None

    def reached(self, value) -> bool:
        if not isinstance(value, int | float) or not math.isfinite(value):
            return False
        return Goal(self.mode).reached(value, self.target)

    def on_trial_result(self, trial_id: str, result: dict) -> None:
        if self.reached_by is None and self.reached(result.get(self.metric)):
            self.reached_by = trial_id
        super().on_trial_result(trial_id, result)

    def on_trial_complete(self, trial_id: str, result: dict | None = None, error: bool = False) -> None:
        if self.reached_by is None and result is not None and not error and self.reached(result.get(self.metric)):
            self.reached_by = trial_id
        super().on_trial_complete(trial_id, result=result, error=error)

    def suggest(self, trial_id: str):
        if self.reached_by is not None:
            return Searcher.FINISHED
        return super().suggest(trial_id)

    def own_state(self) -> dict:
        return {"reached_by": self.reached_by}

    def set_own_state(self, state: dict) -> None:
        self.reached_by = state["reached_by"]
