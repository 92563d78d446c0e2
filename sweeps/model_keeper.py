"""Bounded disk per sweep: keep the best checkpoints of the top `keep_models` trials, log those to
MLflow with the sentence_transformers flavour at the end, and delete every other checkpoint.

Runs on the driver as a Tune callback; checkpoints of trials that are still running are left alone.
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile

from ray.tune import Callback

from sweeps.disk_use import folder_size
from trainables.trial_run import TRIAL_ID_TAG

MODEL_ARTIFACT = "model"
MODEL_LOGGED_TAG = "sweeps.model_logged"


class ModelKeeper(Callback):
    def __init__(self, keep: int, metric_key: str, mode: str, checkpoint_root: str | None = None):
        self.keep = keep
        self.checkpoint_root = checkpoint_root
        self.peak_bytes = 0  # the most the checkpoints held on disk, sampled at every report
        self.metric_key = metric_key
        self.mode = mode
        self.folders: dict[str, str] = {}  # trial id -> its checkpoint folder
        self.finished: dict[str, float] = {}  # trial id -> its kept checkpoint's metric
        self.running: set[str] = set()

    def on_trial_start(self, iteration, trials, trial, **info):
        self.running.add(trial.trial_id)

    def on_trial_result(self, iteration, trials, trial, result, **info):
        if result.get("checkpoint_dir"):
            self.folders[trial.trial_id] = result["checkpoint_dir"]
        self._measure()  # at each evaluation: when a trial's resume checkpoint and best model both exist

    def on_trial_complete(self, iteration, trials, trial, **info):
        self.running.discard(trial.trial_id)
        last = trial.last_result or {}
        value = last.get(self.metric_key)
        if last.get("final") and not last.get("outcome") and value is not None and math.isfinite(value):
            self.finished[trial.trial_id] = float(value)
        self._measure()
        self._prune()

    def remember(self, children: list, checkpoint_root: str) -> None:
        """On a resumed sweep: the trials that finished before the interruption, from MLflow."""
        for run in children:
            trial_id = run.data.tags.get(TRIAL_ID_TAG)
            value = run.data.metrics.get(self.metric_key)
            if trial_id and run.info.status == "FINISHED" and value is not None:
                self.finished[trial_id] = value
                if os.path.isdir(os.path.join(checkpoint_root, trial_id)):
                    self.folders[trial_id] = os.path.join(checkpoint_root, trial_id)

    def on_trial_error(self, iteration, trials, trial, **info):
        self.running.discard(trial.trial_id)
        self._prune()

    def _measure(self) -> None:
        if self.checkpoint_root:
            self.peak_bytes = max(self.peak_bytes, folder_size(self.checkpoint_root))

    def kept(self) -> list[str]:
        """Trial ids whose models are kept, best first."""
        ranked = sorted(self.finished, key=self.finished.get, reverse=self.mode == "max")
        return ranked[: self.keep]

    def _prune(self) -> None:
        kept = set(self.kept())
        for trial_id, folder in list(self.folders.items()):
            if trial_id not in kept and trial_id not in self.running:
                shutil.rmtree(folder, ignore_errors=True)
                del self.folders[trial_id]

    def log_kept_models(self, sweep_run, input_example: list[str], say) -> None:
        """Log each kept checkpoint to its trial's MLflow run, then delete every checkpoint folder."""
        import mlflow.sentence_transformers
        from sentence_transformers import SentenceTransformer

        runs = {run.data.tags.get(TRIAL_ID_TAG): run for run in sweep_run.children()}
        for trial_id in self.kept():
            folder, run = self.folders.get(trial_id), runs.get(trial_id)
            if folder is None or run is None or not os.path.isdir(folder):
                continue
            with tempfile.TemporaryDirectory() as scratch:
                target = os.path.join(scratch, MODEL_ARTIFACT)
                mlflow.sentence_transformers.save_model(
                    SentenceTransformer(folder, device="cpu"), target, input_example=input_example,
                    pip_requirements=mlflow.sentence_transformers.get_default_pip_requirements(),
                )
                # The training run's model card (loss, data, hyperparameters) outlives the reload.
                card = os.path.join(folder, "README.md")
                if os.path.exists(card):
                    shutil.copy(card, os.path.join(target, "model.sentence_transformer", "README.md"))
                sweep_run.client.log_artifacts(run.info.run_id, target, MODEL_ARTIFACT)
            sweep_run.client.set_tag(run.info.run_id, MODEL_LOGGED_TAG, "true")
            say(f"model: logged {run.info.run_name} ({self.metric_key}={self.finished[trial_id]:.4f}) as runs:/{run.info.run_id}/{MODEL_ARTIFACT}")
        self._measure()
        # Best models and resume states alike: the sweep finished, nothing is left to resume.
        for folder in self.folders.values():
            shutil.rmtree(folder, ignore_errors=True)
        self.folders.clear()
        if self.checkpoint_root:
            shutil.rmtree(self.checkpoint_root, ignore_errors=True)
