"""Bounded storage per sweep: keep the latest checkpoint of the top `keep_models` trials, log their best models
to MLflow with the sentence_transformers flavour at the end, and delete every other checkpoint.

Runs on the driver as a Tune callback; checkpoints of trials that are still running are left alone. A trial's
latest checkpoint (trainables/scratch.py) holds its best model: Tune keeps one per trial (num_to_keep=1), and so
does Ray Train for a distributed trial, whose checkpoint Tune never sees but whose path the trial reports.
"""

from __future__ import annotations

import math
import os
import tempfile

from ray.tune import Callback, Checkpoint

from sweeps.ranking import creation_order, ranked
from sweeps.running.live_callbacks import LiveCallback
from sweeps.tracking.models import log_trial_model
from sweeps.tracking.parent_run import SweepRun
from trainables.contract import report_keys
from trainables.contract.serving import split_variant_key
from trainables.contract import mlflow_names as names
from trainables.scratch import best_folder
from trainables.storage import Storage


class ModelKeeper(LiveCallback, Callback):
    live_name = "model_keeper"

    def __init__(self, keep: int, metric_key: str, mode: str, storage: Storage | None = None, trust_remote_code: bool = False):
        self.keep = keep
        self.trust_remote_code = trust_remote_code
        self.storage = storage  # the sweep's state: what is measured, and where Ray Train's checkpoint paths are
        self.peak_bytes = 0  # the most the sweep's storage held, sampled at every report
        self.metric_key = metric_key
        self.mode = mode
        self.checkpoints: dict[str, Checkpoint] = {}  # trial id -> its latest checkpoint
        self.finished: dict[str, float] = {}  # trial id -> its kept checkpoint's metric
        self.running: set[str] = set()
        self.over_a_guard: set[str] = set()  # finished trials that dropped more than a guard's max_drop
        self.created: dict[str, int] = {}  # trial id -> its place in the order of creation, for ties

    def on_trial_start(self, iteration, trials, trial, **info):
        self.running.add(trial.trial_id)
        self.created.setdefault(trial.trial_id, len(self.created))  # Tune starts trials in the order it made them

    def on_checkpoint(self, iteration, trials, trial, checkpoint, **info):
        self.checkpoints[trial.trial_id] = checkpoint

    def on_trial_result(self, iteration, trials, trial, result, **info):
        if self.storage is not None and result.get(report_keys.TRAIN_CHECKPOINT_PATH):
            self.checkpoints[trial.trial_id] = Checkpoint(result[report_keys.TRAIN_CHECKPOINT_PATH], filesystem=self.storage.filesystem)
        self._measure()  # at each evaluation: when a trial's resume state and best model are both stored

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

    def remember(self, children: list) -> None:
        """On a resumed sweep: the trials that finished before the interruption, from MLflow. Their checkpoints
        come from Tune's results at the end."""
        for run in children:
            if run.data.tags.get(names.ROLE) != names.TRIAL_ROLE:
                continue  # the soup's run: not a trial, and its model is logged by the soup step
            trial_id = run.data.tags.get(names.TRIAL_ID)
            value = run.data.metrics.get(self.metric_key)
            if trial_id and run.data.tags.get(names.SEQUENCE, "").isdigit():
                self.created[trial_id] = int(run.data.tags[names.SEQUENCE])
            if trial_id and run.info.status == "FINISHED" and value is not None:
                self.finished[trial_id] = value
                if run.data.tags.get(names.GUARD_EXCEEDED):
                    self.over_a_guard.add(trial_id)

    def on_trial_error(self, iteration, trials, trial, **info):
        self.running.discard(trial.trial_id)
        self._prune()

    def _measure(self) -> None:
        if self.storage is not None:
            self.peak_bytes = max(self.peak_bytes, self.storage.size())

    def kept(self) -> list[str]:
        """Trial ids whose models are kept, best first; trials over a guard's max_drop after every trial within the
        limits, since promotion passes over them."""
        return sorted(self._by_eval(), key=lambda trial_id: trial_id in self.over_a_guard)[: self.keep]

    def kept_by_eval(self) -> list[str]:
        """The kept trials ranked by the eval metric alone, best first: a soup's ingredients, whatever their guards."""
        kept = set(self.kept())
        return [trial_id for trial_id in self._by_eval() if trial_id in kept]

    def _by_eval(self) -> list[str]:
        """The finished trials, best first by their kept checkpoint's eval metric."""
        return ranked(self.finished, self.finished.get, lambda trial_id: creation_order(self.created.get(trial_id), trial_id), self.mode)

    def _prune(self) -> None:
        kept = set(self.kept())
        for trial_id, checkpoint in list(self.checkpoints.items()):
            if trial_id not in kept and trial_id not in self.running:
                _delete(checkpoint)
                del self.checkpoints[trial_id]

    def log_kept_models(self, sweep_run: SweepRun, results, input_example: list[str], say) -> None:
        """Log each kept trial's best model to its MLflow run, then delete every checkpoint. `results` is Tune's
        ResultGrid: it knows the checkpoints of trials that finished before a resume, too."""
        self.collect(results)
        runs = {run.data.tags.get(names.TRIAL_ID): run for run in sweep_run.children() if run.data.tags.get(names.ROLE) == names.TRIAL_ROLE}
        for trial_id in self.kept():
            checkpoint, run = self.checkpoints.get(trial_id), runs.get(trial_id)
            if checkpoint is None or run is None:
                continue
            with tempfile.TemporaryDirectory(prefix="sweeps-kept-") as local:
                checkpoint.to_directory(local)
                if not os.path.isdir(best_folder(local)):
                    continue
                uri = log_trial_model(sweep_run, run.info.run_id, best_folder(local), input_example, self.trust_remote_code,
                                      split_variant_key(self.metric_key)[1])
            say(f"model: logged {run.info.run_name} ({self.metric_key}={self.finished[trial_id]:.4f}) as {uri}")
        self._measure()
        # Best models and resume states alike: the sweep finished, nothing is left to resume.
        for checkpoint in self.checkpoints.values():
            _delete(checkpoint)
        self.checkpoints.clear()

    def collect(self, results) -> None:
        """The checkpoints Tune's ResultGrid knows, beside those seen as the trials ran (all of them, on a resumed sweep)."""
        for result in results:
            trial_id = (result.metrics or {}).get("trial_id")
            checkpoint = self._latest(result)
            if trial_id and checkpoint is not None:
                self.checkpoints.setdefault(trial_id, checkpoint)

    def _latest(self, result) -> Checkpoint | None:
        path = (result.metrics or {}).get(report_keys.TRAIN_CHECKPOINT_PATH)
        if path and self.storage is not None:
            return Checkpoint(path, filesystem=self.storage.filesystem)
        return result.checkpoint


def _delete(checkpoint: Checkpoint) -> None:
    try:
        Storage(checkpoint.filesystem, checkpoint.path).remove()
    except OSError:  # already gone: a retry's Train run replaced it
        pass
