"""The sweep's parent MLflow run and the bookkeeping around its children."""

from __future__ import annotations

from mlflow.entities import RunTag
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from sweeps.errors import SweepInputError, problem
from sweeps.tracking.store import absolute_tracking_uri
from sweeps.tracking.store_init import initialise_store
from trainables.contract import mlflow_names as names
from trainables.contract.context import SweepTracking
from trainables.run_writer import RunWriter


class SweepRun(RunWriter):
    def __init__(self, tracking_uri: str, experiment: str, name: str, resume_run_id: str | None = None):
        self.tracking_uri = absolute_tracking_uri(tracking_uri)
        initialise_store(self.tracking_uri)
        client = MlflowClient(self.tracking_uri)
        self.client = client
        found = self.client.get_experiment_by_name(experiment)
        self.experiment_id = found.experiment_id if found else self.client.create_experiment(experiment)
        if resume_run_id:  # the same parent run carries on
            client.update_run(resume_run_id, status="RUNNING")
            run_id = resume_run_id
        else:
            run_id = client.create_run(self.experiment_id, run_name=name, tags={names.ROLE: names.SWEEP_ROLE}).info.run_id
        super().__init__(client, run_id)
        self.name = name

    def tracking(self) -> SweepTracking:
        """What each trial needs to log under this sweep."""
        return SweepTracking(self.tracking_uri, self.experiment_id, self.run_id, self.name)

    def log_artifact(self, path: str, folder: str) -> None:
        self.client.log_artifact(self.run_id, path, folder)

    def log_table(self, table, artifact_file: str) -> None:
        self.client.log_table(self.run_id, data=table, artifact_file=artifact_file)

    def children(self) -> list:
        return self.client.search_runs([self.experiment_id], filter_string=f"tags.`{names.PARENT_RUN_ID}` = '{self.run_id}'", max_results=5000)

    def close(self, status: str) -> None:
        """End the sweep; a child still RUNNING lost its worker, so it ends FAILED (KILLED on Ctrl-C)."""
        leftover = "KILLED" if status == "KILLED" else "FAILED"
        ended = f"{names.INTERRUPTED}: carry on with --resume" if status == "KILLED" else "failed: the trial's worker ended without closing its run"
        for child in self.children():
            if child.info.status == "RUNNING":
                self.client.log_batch(child.info.run_id, tags=[RunTag(names.ERROR, "the trial's worker ended without closing its run"),
                                                               RunTag(names.ENDED, ended)])
                self.client.set_terminated(child.info.run_id, leftover)
        self.client.set_terminated(self.run_id, status)


def resumable_sweep(tracking_uri: str, experiment: str, name: str, source: str) -> str:
    """The parent run id of the latest sweep named `name` that did not finish; one clear line when there is none."""
    client = MlflowClient(absolute_tracking_uri(tracking_uri))
    found = client.get_experiment_by_name(experiment)
    runs = [] if found is None else client.search_runs(
        [found.experiment_id], filter_string=f"tags.`{names.ROLE}` = '{names.SWEEP_ROLE}' and attributes.run_name = '{name}'",
        order_by=["attributes.start_time DESC"], max_results=1)
    if not runs:
        raise SweepInputError([problem(source, "name", f"--resume needs an earlier sweep of this name in experiment {experiment!r}", name)])
    latest = runs[0]
    if latest.info.status == "FINISHED":
        raise SweepInputError([problem(source, "name", f"--resume needs an unfinished sweep, but the latest one (parent run {latest.info.run_id}) FINISHED; "
                                       "run without --resume to start a new one", name)])
    return latest.info.run_id


def recorded_world(tracking_uri: str, run_id: str) -> dict | None:
    """What the sweep of `run_id` started from (sweeps.tracking.sweep_world); None for a sweep from before it was recorded."""
    import mlflow

    from sweeps.tracking.sweep_world import WORLD_ARTIFACT

    try:
        return mlflow.artifacts.load_dict(f"{MlflowClient(absolute_tracking_uri(tracking_uri)).get_run(run_id).info.artifact_uri}/{WORLD_ARTIFACT}")
    except (OSError, MlflowException):
        return None
