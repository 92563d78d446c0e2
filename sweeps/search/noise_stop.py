"""The searcher side of `stop_when: noise` (sweeps.search.noise_rule): after each finished trial, no new trial starts
once a further one could gain less on the best than the best's own error; the running ones finish. The line saying
so, with both numbers, goes to the parent run when it is decided (this searcher may be one Tune restored from its
storage), and the driver prints it after the sweep."""

from __future__ import annotations

import math

from ray.tune.search import Searcher

from search_spaces.space import optuna_distributions
from sweeps.search.noise_rule import Finished, noise_verdict
from sweeps.search.stateful_limiter import StatefulLimiter
from trainables.contract import mlflow_names as names
from trainables.contract.context import SweepTracking
from trainables.contract.report_keys import EVAL_ERROR, FINAL, OUTCOME


class NoiseStop(StatefulLimiter):
    def __init__(self, searcher: Searcher, max_concurrent: int, parameters: dict[str, dict], tracking: SweepTracking, seed: int):
        super().__init__(searcher, max_concurrent=max_concurrent)
        self.parameters = parameters
        self.tracking = tracking
        self.seed = seed
        self.finished: list[Finished] = []
        self.configs: dict[str, dict] = {}  # each started trial's suggested config
        self.stopped: str | None = None

    def on_trial_complete(self, trial_id: str, result: dict | None = None, error: bool = False) -> None:
        value = (result or {}).get(self.metric)
        # Ended by its own guard, stopped early by the scheduler or failed: no finished figure to learn from.
        if result and not error and result.get(FINAL) and not result.get(OUTCOME) and isinstance(value, int | float) and math.isfinite(value):
            config = self.configs.get(trial_id, {})
            searched = {name: config[name] for name in self.parameters if name in config}
            self.finished.append(Finished(searched, float(value), result.get(EVAL_ERROR)))
            self._judge()
        super().on_trial_complete(trial_id, result=result, error=error)

    def suggest(self, trial_id: str):
        if self.stopped is not None:
            return Searcher.FINISHED
        suggestion = super().suggest(trial_id)
        if isinstance(suggestion, dict):
            self.configs[trial_id] = suggestion
        return suggestion

    def _judge(self) -> None:
        verdict = noise_verdict(self.finished, optuna_distributions(self.parameters), self.mode == "max", self.seed)
        if verdict is None or not verdict.stop:
            return
        self.stopped = (f"stop_when noise: after {len(self.finished)} finished trials a further one could gain at most "
                        f"{verdict.possible_gain:.4f} eval {self.metric} on the best ({verdict.best.value:.4f}; Optuna's regret "
                        f"bound), less than the best's own error {verdict.error:.4f} (bootstrap over its eval items): no new "
                        "trial starts")
        from mlflow.tracking import MlflowClient

        MlflowClient(self.tracking.tracking_uri).set_tag(self.tracking.parent_run_id, names.NOISE_STOP, self.stopped)

    def own_state(self) -> dict:
        return {"finished": self.finished, "configs": self.configs, "stopped": self.stopped}

    def set_own_state(self, state: dict) -> None:
        self.finished, self.configs, self.stopped = state["finished"], state["configs"], state["stopped"]
