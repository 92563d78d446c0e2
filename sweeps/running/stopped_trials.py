"""Record trials a scheduler stopped early as such in MLflow: KILLED plus a tag, never FAILED."""

from __future__ import annotations

from ray.tune import Callback

from sweeps.running.live_callbacks import LiveCallback
from trainables.contract import report_keys
from trainables.contract.context import SweepTracking
from trainables.trial_run import record_stopped_early


class StoppedTrialRecorder(LiveCallback, Callback):
    live_name = "stopped_trials"

    def __init__(self, tracking: SweepTracking, scheduler_name: str):
        self.tracking = tracking
        self.scheduler_name = scheduler_name

    def on_trial_complete(self, iteration, trials, trial, **info):
        last = trial.last_result or {}
        if not last.get(report_keys.FINAL):
            record_stopped_early(self.tracking, trial.trial_id, f"{self.scheduler_name} after evaluation {last.get(report_keys.EVALUATION, '?')}")
