"""W&B's `metric.target`: once a trial's eval metric reaches it, no new trial starts; the running ones finish."""

from __future__ import annotations

import math
import pickle
import tempfile
from pathlib import Path

from ray.tune.search import ConcurrencyLimiter, Searcher
from trainables.contract.goal import Goal


class StopAtTarget(ConcurrencyLimiter):
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

    # Tune restores a searcher from the object it pickled when the sweep began, then from this file: the inner
    # searcher's own state, and who reached the target.
    def save(self, checkpoint_path: str) -> None:
        super().save(checkpoint_path)
        inner = Path(checkpoint_path).read_bytes()
        Path(checkpoint_path).write_bytes(pickle.dumps({"inner": inner, "reached_by": self.reached_by}))

    def restore(self, checkpoint_path: str) -> None:
        state = pickle.loads(Path(checkpoint_path).read_bytes())
        self.reached_by = state["reached_by"]
        with tempfile.TemporaryDirectory() as folder:
            inner = Path(folder) / "searcher.pkl"
            inner.write_bytes(state["inner"])
            super().restore(str(inner))
