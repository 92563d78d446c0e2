"""Writing to one MLflow run, for the sweep's parent run and each trial's child run alike."""

from __future__ import annotations

import contextlib

from mlflow.entities import Metric, Param, RunTag
from mlflow.tracking import MlflowClient
from mlflow.utils.time import get_current_time_millis

MAX_PARAM_LENGTH = 6000  # MLflow's limit on a param's value


class RunWriter:
    """Batched writes to the run `run_id`. A subclass's `writing()` wraps each write (a trial counts it as logging time)."""

    def __init__(self, client: MlflowClient, run_id: str):
        self.client = client
        self.run_id = run_id

    def writing(self) -> contextlib.AbstractContextManager:
        return contextlib.nullcontext()

    def log_params(self, params: dict) -> None:
        with self.writing():
            self.client.log_batch(self.run_id, params=[Param(k, str(v)[:MAX_PARAM_LENGTH]) for k, v in sorted(params.items())])

    def set_tags(self, tags: dict) -> None:
        with self.writing():
            self.client.log_batch(self.run_id, tags=[RunTag(k, str(v)) for k, v in tags.items()])

    def log_metrics(self, metrics: dict[str, float], step: int = 0) -> None:
        now = get_current_time_millis()
        with self.writing():
            self.client.log_batch(self.run_id, metrics=[Metric(k, float(v), now, step) for k, v in sorted(metrics.items())])

    def log_dict(self, dictionary: dict, artifact_file: str) -> None:
        with self.writing():
            self.client.log_dict(self.run_id, dictionary, artifact_file)

    def log_text(self, text: str, artifact_file: str) -> None:
        with self.writing():
            self.client.log_text(self.run_id, text, artifact_file)
