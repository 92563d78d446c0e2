"""The MLflow child run of one trial: created (or found again on restart), fed, and always closed."""

from __future__ import annotations

import traceback

from mlflow.entities import Metric, Param, RunTag
from mlflow.tracking import MlflowClient
from mlflow.utils.time import get_current_time_millis

TRIAL_ID_TAG = "sweeps.trial_id"
ROLE_TAG = "sweeps.role"
MAX_PARAM_LENGTH = 6000


class TrialRun:
    def __init__(self, sweep: dict, trial_id: str, run_name: str, role: str = "trial"):
        self.client = MlflowClient(sweep["tracking_uri"])
        self.trial_id = trial_id
        self.run_id = self._find_or_create(sweep, trial_id, run_name, role)
        self.finished = False

    def _find_or_create(self, sweep: dict, trial_id: str, run_name: str, role: str) -> str:
        existing = find_trial_run(self.client, sweep, trial_id)
        if existing is not None:
            return existing.info.run_id
        tags = {
            "mlflow.parentRunId": sweep["parent_run_id"],
            "mlflow.runName": run_name,
            TRIAL_ID_TAG: trial_id,
            ROLE_TAG: role,
            "sweeps.sweep": sweep["name"],
        }
        return self.client.create_run(sweep["experiment_id"], tags=tags, run_name=run_name).info.run_id

    def log_params(self, params: dict) -> None:
        self.client.log_batch(self.run_id, params=[Param(k, str(v)[:MAX_PARAM_LENGTH]) for k, v in sorted(params.items())])

    def set_tags(self, tags: dict) -> None:
        self.client.log_batch(self.run_id, tags=[RunTag(k, str(v)) for k, v in tags.items()])

    def log_metrics(self, metrics: dict[str, float], step: int) -> None:
        now = get_current_time_millis()
        self.client.log_batch(self.run_id, metrics=[Metric(k, float(v), now, step) for k, v in metrics.items()])

    def finish(self) -> None:
        self.client.set_terminated(self.run_id, "FINISHED")
        self.finished = True

    def closed(self) -> bool:
        """Asked of the store: in a distributed trial, rank 0 closes the run from another process."""
        return self.finished or self.client.get_run(self.run_id).info.status != "RUNNING"

    def fail(self, error: BaseException) -> None:
        lines = traceback.format_exception(error)
        self.client.log_text(self.run_id, "".join(lines), "error.txt")
        self.client.set_tag(self.run_id, "sweeps.error", f"{type(error).__name__}: {error}"[:500])
        self.client.set_terminated(self.run_id, "FAILED")


def find_trial_run(client: MlflowClient, sweep: dict, trial_id: str):
    """The child run of `trial_id` under the sweep's parent run, or None."""
    found = client.search_runs(
        [sweep["experiment_id"]],
        filter_string=f"tags.`mlflow.parentRunId` = '{sweep['parent_run_id']}' and tags.`{TRIAL_ID_TAG}` = '{trial_id}'",
        max_results=1,
    )
    return found[0] if found else None
