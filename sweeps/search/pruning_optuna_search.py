"""Ray Tune's OptunaSearch, told which trials the scheduler stopped early.

Tune reports a scheduler-stopped trial as complete with its last intermediate result; Optuna's
samplers should see it as PRUNED, not as a finished trial scored on a half-trained model.
"""

from __future__ import annotations

from ray.tune.search.optuna import OptunaSearch

from trainables.contract.report_keys import FINAL


class PruningOptunaSearch(OptunaSearch):
    def on_trial_complete(self, trial_id: str, result: dict | None = None, error: bool = False) -> None:
        if result is not None and not error and not result.get(FINAL):
            result = None  # no value and no error: OptunaSearch tells the study PRUNED
        super().on_trial_complete(trial_id, result=result, error=error)
