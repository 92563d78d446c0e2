"""Record trials a scheduler stopped early as such in MLflow: KILLED plus a tag, never FAILED.

Tune ends a stopped function trainable's process while it waits in `tune.report`, so the trial can't
close its own MLflow run; the driver does it here.
"""

from __future__ import annotations

from mlflow.tracking import MlflowClient
from ray.tune import Callback

from trainables.trial_run import find_trial_run

OUTCOME_TAG = "sweeps.outcome"
STOPPED_EARLY = "stopped_early"


class StoppedTrialRecorder(Callback):
    def __init__(self, sweep: dict, scheduler_name: str):
        self.sweep = sweep
        self.scheduler_name = scheduler_name

    def on_trial_complete(self, iteration, trials, trial, **info):
        last = trial.last_result or {}
        if last.get("final"):
            return
        client = MlflowClient(self.sweep["tracking_uri"])
        run = find_trial_run(client, self.sweep, trial.trial_id)
        if run is None:
            return
        run_id = run.info.run_id
        client.set_tag(run_id, OUTCOME_TAG, STOPPED_EARLY)
        client.set_tag(run_id, "sweeps.stopped_by", f"{self.scheduler_name} after evaluation {last.get('evaluation', '?')}")
        client.set_terminated(run_id, "KILLED")
