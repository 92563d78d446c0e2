"""The searcher side of `budget: {trial_hours: H}`: no new trial starts once the next would pass the budget; the
running ones finish. The accounting (sweeps.search.trial_hours) is saved with Tune's searcher state, so `--resume`
carries the hours used on."""

from __future__ import annotations

from ray.tune.search import Searcher

from sweeps.search.stateful_limiter import StatefulLimiter
from sweeps.search.trial_hours import TIME_TOTAL, TrialHours


class BudgetLimiter(StatefulLimiter):
    def __init__(self, searcher: Searcher, max_concurrent: int, hours: TrialHours):
        super().__init__(searcher, max_concurrent=max_concurrent)
        self.hours = hours

    def on_trial_result(self, trial_id: str, result: dict) -> None:
        self.hours.ran(trial_id, result.get(TIME_TOTAL))
        super().on_trial_result(trial_id, result)

    def on_trial_complete(self, trial_id: str, result: dict | None = None, error: bool = False) -> None:
        self.hours.ran(trial_id, (result or {}).get(TIME_TOTAL))
        self.hours.end(trial_id)
        super().on_trial_complete(trial_id, result=result, error=error)

    def suggest(self, trial_id: str):
        if not self.hours.room_for_one_more():
            return Searcher.FINISHED
        suggestion = super().suggest(trial_id)
        if isinstance(suggestion, dict):
            self.hours.started(trial_id)
        return suggestion

    def own_state(self) -> dict:
        return {"hours": self.hours}

    def set_own_state(self, state: dict) -> None:
        self.hours = state["hours"]
