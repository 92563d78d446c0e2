"""Bounded disk per sweep: keep the best checkpoints of the top `keep_models` trials, log those to
MLflow with the sentence_transformers flavour at the end, and delete every other checkpoint.

Runs on the driver as a Tune callback; checkpoints of trials that are still running are left alone.
"""

from __future__ import annotations

import math
import os
import shutil

from ray.tune import Callback

from search_spaces import report_keys
from sweeps.ranking import ranked
from sweeps.running.disk_use import folder_size
from sweeps.running.live_callbacks import LiveCallback
from sweeps.tracking.models import log_trial_model
from sweeps.tracking.parent_run import SweepRun
from trainables import mlflow_names as names


class ModelKeeper(LiveCallback, Callback):
    live_name = "model_keeper"

    def __init__(self, keep: int, metric_key: str, mode: str, checkpoint_root: str | None = None, trust_remote_code: bool = False):
        self.keep = keep
        self.trust_remote_code = trust_remote_code
        self.checkpoint_root = checkpoint_root
        self.peak_bytes = 0  # the most the checkpoints held on disk, sampled at every report
        self.metric_key = metric_key
        self.mode = mode
        self.folders: dict[str, str] = {}  # trial id -> its checkpoint folder
        self.finished: dict[str, float] = {}  # trial id -> its kept checkpoint's metric
        self.running: set[str] = set()
        self.over_a_guard: set[str] = set()  # finished trials that dropped more than a guard's max_drop

    def on_trial_start(self, iteration, trials, trial, **info):
        self.running.add(trial.trial_id)

    def on_trial_result(self, iteration, trials, trial, result, **info):
        if result.get(report_keys.CHECKPOINT_DIR):
            self.folders[trial.trial_id] = result[report_keys.CHECKPOINT_DIR]
        self._measure()  # at each evaluation: when a trial's resume checkpoint and best model both exist

    def on_trial_complete(self, iteration, trials, trial, **info):
        self.running.discard(trial.trial_id)
        last = trial.last_result or {}
        value = last.get(self.metric_key)
        if last.get(report_keys.FINAL) and not last.get(report_keys.OUTCOME) and value is not None and math.isfinite(value):
            self.finished[trial.trial_id] = float(value)
            if last.get(report_keys.GUARD_EXCEEDED):
                self.over_a_guard.add(trial.trial_id)
        self._measure()
        self._prune()

    def remember(self, children: list, checkpoint_root: str) -> None:
        """On a resumed sweep: the trials that finished before the interruption, from MLflow."""
        for run in children:
            trial_id = run.data.tags.get(names.TRIAL_ID)
            value = run.data.metrics.get(self.metric_key)
            if trial_id and run.info.status == "FINISHED" and value is not None:
                self.finished[trial_id] = value
                if run.data.tags.get(names.GUARD_EXCEEDED):
                    self.over_a_guard.add(trial_id)
                if os.path.isdir(os.path.join(checkpoint_root, trial_id)):
                    self.folders[trial_id] = os.path.join(checkpoint_root, trial_id)

    def on_trial_error(self, iteration, trials, trial, **info):
        self.running.discard(trial.trial_id)
        self._prune()

    def _measure(self) -> None:
        if self.checkpoint_root:
            self.peak_bytes = max(self.peak_bytes, folder_size(self.checkpoint_root))

    def kept(self) -> list[str]:
        """Trial ids whose models are kept, best first; trials over a guard's max_drop after every trial within the
        limits, since promotion passes over them."""
        in_order = ranked(self.finished, self.finished.get, str, self.mode)
        return sorted(in_order, key=lambda trial_id: trial_id in self.over_a_guard)[: self.keep]

    def _prune(self) -> None:
        kept = set(self.kept())
        for trial_id, folder in list(self.folders.items()):
            if trial_id not in kept and trial_id not in self.running:
                shutil.rmtree(folder, ignore_errors=True)
                del self.folders[trial_id]

    def log_kept_models(self, sweep_run: SweepRun, input_example: list[str], say) -> None:
        """Log each kept checkpoint to its trial's MLflow run, then delete every checkpoint folder."""
        runs = {run.data.tags.get(names.TRIAL_ID): run for run in sweep_run.children()}
        for trial_id in self.kept():
            folder, run = self.folders.get(trial_id), runs.get(trial_id)
            if folder is None or run is None or not os.path.isdir(folder):
                continue
            uri = log_trial_model(sweep_run, run.info.run_id, folder, input_example, self.trust_remote_code)
            say(f"model: logged {run.info.run_name} ({self.metric_key}={self.finished[trial_id]:.4f}) as {uri}")
        self._measure()
        # Best models and resume states alike: the sweep finished, nothing is left to resume.
        for folder in self.folders.values():
            shutil.rmtree(folder, ignore_errors=True)
        self.folders.clear()
        if self.checkpoint_root:
            shutil.rmtree(self.checkpoint_root, ignore_errors=True)
