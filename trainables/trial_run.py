"""The MLflow child run of one trial: created (or found again on restart), fed, and always closed."""

from __future__ import annotations

import traceback

from mlflow.entities import RunTag
from mlflow.tracking import MlflowClient

from trainables.contract import report_keys
from trainables.contract import mlflow_names as names
from trainables.contract.context import SweepTracking
from trainables.contract.metrics import without_curve_prefix
from trainables.run_writer import RunWriter
from trainables.trial_clock import LOGGING, TrialClock


class TrialRun(RunWriter):
    def __init__(self, client: MlflowClient, trial_id: str, run_id: str, previous_error: str | None = None,
                 logged_params: dict | None = None):
        super().__init__(client, run_id)
        self.trial_id = trial_id
        self.previous_error = previous_error  # why the last attempt ended, on a retry
        # A retry's params are the first attempt's (MLflow keeps a param's first value); what a retry changed, it tags.
        self.logged_params = dict(logged_params or {})
        self.finished = False
        # The trial's time accounting starts with its run; every write to the store counts as logging.
        self.clock = TrialClock()

    @classmethod
    def open(cls, tracking: SweepTracking, trial_id: str, run_name: str, role: str = names.TRIAL_ROLE) -> TrialRun:
        """The trial's child run: created on its first attempt, reopened (never duplicated) on a retry or a resumed sweep."""
        client = MlflowClient(tracking.tracking_uri)
        existing = find_trial_run(client, tracking, trial_id)
        if existing is None:
            sequence = len(client.search_runs([tracking.experiment_id], filter_string=f"tags.`{names.PARENT_RUN_ID}` = "
                                              f"'{tracking.parent_run_id}' and tags.`{names.ROLE}` = '{role}'", max_results=10_000))
            tags = {names.PARENT_RUN_ID: tracking.parent_run_id, names.RUN_NAME: run_name, names.TRIAL_ID: trial_id,
                    names.ROLE: role, names.SWEEP: tracking.sweep_name, names.SEQUENCE: str(sequence)}
            return cls(client, trial_id, client.create_run(tracking.experiment_id, tags=tags, run_name=run_name).info.run_id)
        run_id = existing.info.run_id
        if existing.info.status != "RUNNING":
            client.update_run(run_id, status="RUNNING")
        previous_error = existing.data.tags.get(names.ERROR)
        if previous_error is not None:  # kept as history; the tag is for a trial that ends FAILED
            client.set_tag(run_id, names.PREVIOUS_ERROR, previous_error)
            client.delete_tag(run_id, names.ERROR)
        client.set_tag(run_id, names.ATTEMPTS, str(int(existing.data.tags.get(names.ATTEMPTS, "1")) + 1))
        return cls(client, trial_id, run_id, previous_error, existing.data.params)

    @classmethod
    def attach(cls, tracking: SweepTracking, trial_id: str, run_id: str) -> TrialRun:
        """The run another process of this attempt already opened (rank 0 of a distributed trial): not reopened, not counted again."""
        return cls(MlflowClient(tracking.tracking_uri), trial_id, run_id)

    def writing(self):
        return self.clock.section(LOGGING)

    def log_params(self, params: dict) -> None:
        new = {key: value for key, value in params.items() if key not in self.logged_params}
        self.logged_params.update(new)
        super().log_params(new)

    def finish(self) -> None:
        # Rank 0 of a distributed trial may get here just after the driver recorded a scheduler's stop: the stop stands.
        if self.client.get_run(self.run_id).info.status == "RUNNING":
            self.client.set_tag(self.run_id, names.ENDED, "finished")
            self.client.set_terminated(self.run_id, "FINISHED")
        self.finished = True

    def closed(self) -> bool:
        """Asked of the store: in a distributed trial, rank 0 closes the run from another process."""
        return self.finished or self.client.get_run(self.run_id).info.status != "RUNNING"

    def fail(self, error: BaseException) -> None:
        lines = traceback.format_exception(error)
        self.client.log_text(self.run_id, "".join(lines), names.ERROR_ARTIFACT)
        reason = f"{type(error).__name__}: {error}"
        self.client.log_batch(self.run_id, tags=[RunTag(names.ERROR, reason[:500]), RunTag(names.ENDED, f"failed: {reason}"[:200])])
        self.client.set_terminated(self.run_id, "FAILED")

    def fail_with_reason(self, reason: str, outcome: str) -> None:
        """FAILED for a cause that is not an exception (a NaN loss): the reason is the artifact and the tag."""
        self.client.log_text(self.run_id, reason + "\n", names.ERROR_ARTIFACT)
        self.client.log_batch(self.run_id, tags=[RunTag(names.ERROR, reason[:500]), RunTag(names.OUTCOME, outcome),
                                                 RunTag(names.ENDED, f"failed: {reason}"[:200])])
        self.client.set_terminated(self.run_id, "FAILED")
        self.finished = True


def find_trial_run(client: MlflowClient, tracking: SweepTracking, trial_id: str):
    """The child run of `trial_id` under the sweep's parent run, or None."""
    found = client.search_runs(
        [tracking.experiment_id],
        filter_string=f"tags.`{names.PARENT_RUN_ID}` = '{tracking.parent_run_id}' and tags.`{names.TRIAL_ID}` = '{trial_id}'",
        max_results=1,
    )
    return found[0] if found else None


def record_stopped_early(tracking: SweepTracking, trial_id: str, stopped_by: str) -> None:
    """A scheduler stopped the trial: its run ends KILLED (never FAILED) with the outcome and who stopped it.
    Tune ends a stopped trial's process while it waits in `tune.report`, so the driver records this."""
    client = MlflowClient(tracking.tracking_uri)
    run = find_trial_run(client, tracking, trial_id)
    if run is None:
        return
    client.log_batch(run.info.run_id, tags=[RunTag(names.OUTCOME, names.STOPPED_EARLY), RunTag(names.STOPPED_BY, stopped_by),
                                            RunTag(names.ENDED, f"stopped early by {stopped_by}")])
    client.set_terminated(run.info.run_id, "KILLED")


def record_worker_death(tracking: SweepTracking, trial_id: str, reason: str, retried: bool) -> None:
    """The trial's process died before it could record its end: the driver records why, on the run while it is RUNNING.
    A retry moves the error to sweeps.previous_error when it reopens the run; out of retries, the run ends FAILED."""
    client = MlflowClient(tracking.tracking_uri)
    run = find_trial_run(client, tracking, trial_id)
    if run is None or run.info.status != "RUNNING":
        return  # the trial recorded its own end (an exception it raised), or never opened its run
    tags = [RunTag(names.ERROR, reason[:500])] + ([] if retried else [RunTag(names.ENDED, f"failed: {reason}"[:200])])
    client.log_batch(run.info.run_id, tags=tags)
    if not retried:
        client.set_terminated(run.info.run_id, "FAILED")


def finished_result(tracking: SweepTracking, trial_id: str, evaluations: int) -> dict | None:
    """The final report of a trial that already FINISHED in MLflow, or None.

    A driver killed just after a trial finished may restore that trial as unfinished (Tune saves its
    state every few seconds); it must be reported again, not trained again.
    """
    run = find_trial_run(MlflowClient(tracking.tracking_uri), tracking, trial_id)
    if run is None or run.info.status != "FINISHED":
        return None
    return {**without_curve_prefix(run.data.metrics), report_keys.FINAL: True, report_keys.STEP: int(run.data.tags.get(names.LAST_STEP, 0)),
            report_keys.EVALUATION: evaluations}
