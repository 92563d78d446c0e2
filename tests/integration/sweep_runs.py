"""Reading a finished sweep back from its sqlite MLflow store, as the tests that run one do."""

from pathlib import Path

from mlflow.tracking import MlflowClient


def children_of(db: Path, experiment: str):
    """(the client, the sweep's one parent run, its child runs: trials and baselines)."""
    client = MlflowClient(f"sqlite:///{db}")
    experiment_id = client.get_experiment_by_name(experiment).experiment_id
    parents = client.search_runs([experiment_id], filter_string="tags.`sweeps.role` = 'sweep'")
    assert len(parents) == 1
    children = client.search_runs([experiment_id], filter_string=f"tags.`mlflow.parentRunId` = '{parents[0].info.run_id}'")
    return client, parents[0], children


def runs_by_role(client, experiment: str) -> tuple[list, list]:
    """(the experiment's sweep parent runs, its trial runs), read while a sweep may still be creating them: none yet
    where the experiment isn't there."""
    found = client.get_experiment_by_name(experiment)
    runs = client.search_runs([found.experiment_id], max_results=5000) if found else []
    return ([run for run in runs if run.data.tags.get("sweeps.role") == "sweep"],
            [run for run in runs if run.data.tags.get("sweeps.role") == "trial"])
