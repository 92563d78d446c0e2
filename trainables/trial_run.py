"""The MLflow child run of one trial: created (or found again on restart), fed, and always closed."""

from __future__ import annotations

import traceback

from mlflow.entities import Metric, Param, RunTag
from mlflow.tracking import MlflowClient
from mlflow.utils.time import get_current_time_millis

TRIAL_ID_TAG = "sweeps.trial_id"
ROLE_TAG = "sweeps.role"
ATTEMPTS_TAG = "sweeps.attempts"
ERROR_TAG = "sweeps.error"
OUTCOME_TAG = "sweeps.outcome"
MAX_PARAM_LENGTH = 6000


class TrialRun:
    def __init__(self, sweep: dict, trial_id: str, run_name: str, role: str = "trial"):
        self.client = MlflowClient(sweep["tracking_uri"])
        self.trial_id = trial_id
        self.run_id = self._find_or_create(sweep, trial_id, run_name, role)
        self.finished = False

    @classmethod
    def attach(cls, sweep: dict, trial_id: str, run_id: str) -> TrialRun:
        """The run another process of this attempt already opened (rank 0 of a distributed trial): not reopened, not counted again."""
        run = cls.__new__(cls)
        run.client, run.trial_id, run.run_id, run.finished = MlflowClient(sweep["tracking_uri"]), trial_id, run_id, False
        return run

    def _find_or_create(self, sweep: dict, trial_id: str, run_name: str, role: str) -> str:
        existing = find_trial_run(self.client, sweep, trial_id)
        if existing is not None:
            # A retry, or a resumed sweep: the same child run carries on, never a second one.
            if existing.info.status != "RUNNING":
                self.client.update_run(existing.info.run_id, status="RUNNING")
            if ERROR_TAG in existing.data.tags:  # kept as history; the tag is for a trial that ends FAILED
                self.client.set_tag(existing.info.run_id, "sweeps.previous_error", existing.data.tags[ERROR_TAG])
                self.client.delete_tag(existing.info.run_id, ERROR_TAG)
            attempts = int(existing.data.tags.get(ATTEMPTS_TAG, "1")) + 1
            self.client.set_tag(existing.info.run_id, ATTEMPTS_TAG, str(attempts))
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
        # Rank 0 of a distributed trial may get here just after the driver recorded a scheduler's stop: the stop stands.
        if self.client.get_run(self.run_id).info.status == "RUNNING":
            self.client.set_terminated(self.run_id, "FINISHED")
        self.finished = True

    def closed(self) -> bool:
        """Asked of the store: in a distributed trial, rank 0 closes the run from another process."""
        return self.finished or self.client.get_run(self.run_id).info.status != "RUNNING"

    def fail(self, error: BaseException) -> None:
        lines = traceback.format_exception(error)
        self.client.log_text(self.run_id, "".join(lines), "error.txt")
        self.client.set_tag(self.run_id, ERROR_TAG, f"{type(error).__name__}: {error}"[:500])
        self.client.set_terminated(self.run_id, "FAILED")

    def fail_with_reason(self, reason: str, outcome: str) -> None:
        """FAILED for a cause that is not an exception (a NaN loss): the reason is the artifact and the tag."""
        self.client.log_text(self.run_id, reason + "\n", "error.txt")
        self.client.log_batch(self.run_id, tags=[RunTag(ERROR_TAG, reason[:500]), RunTag(OUTCOME_TAG, outcome)])
        self.client.set_terminated(self.run_id, "FAILED")
        self.finished = True


def find_trial_run(client: MlflowClient, sweep: dict, trial_id: str):
    """The child run of `trial_id` under the sweep's parent run, or None."""
    found = client.search_runs(
        [sweep["experiment_id"]],
        filter_string=f"tags.`mlflow.parentRunId` = '{sweep['parent_run_id']}' and tags.`{TRIAL_ID_TAG}` = '{trial_id}'",
        max_results=1,
    )
    return found[0] if found else None


def finished_result(sweep: dict, trial_id: str) -> dict | None:
    """The final report of a trial that already FINISHED in MLflow, or None.

    A driver killed just after a trial finished may restore that trial as unfinished (Tune saves its
    state every few seconds); it must be reported again, not trained again.
    """
    run = find_trial_run(MlflowClient(sweep["tracking_uri"]), sweep, trial_id)
    if run is None or run.info.status != "FINISHED":
        return None
    return {**run.data.metrics, "final": True, "step": int(run.data.tags.get("sweeps.last_step", 0)),
            "evaluation": int(sweep.get("evaluations_per_trial", 1)), "checkpoint_dir": run.data.tags.get("sweeps.checkpoint_dir")}
