"""The view the sweep's printed link opens in MLflow's UI."""

import json

from sweeps.tracking.ui_view import runs_view, show_sweep_in_ui, view_key
from trainables.contract import mlflow_names as names


def test_the_link_shows_one_sweep_even_when_its_file_ran_twice(tmp_path):
    """Two sweeps of one file share a name; the view filters by the parent run, so each link shows its own trials."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    experiment = client.create_experiment("demo")
    parents = [client.create_run(experiment, run_name="demo", tags={names.ROLE: names.SWEEP_ROLE}) for _ in range(2)]
    for parent in parents:
        for index in range(2):
            client.create_run(experiment, run_name=f"demo-{index}", tags={names.PARENT_RUN_ID: parent.info.run_id, names.SWEEP: "demo",
                                                                            names.ROLE: names.TRIAL_ROLE})
    first = parents[0].info.run_id
    show_sweep_in_ui(client, experiment, view_key("demo", first), runs_view(first, "ndcg_at_10", True, ["learning_rate"]))
    view = json.loads(client.get_experiment(experiment).tags[names.SHARED_VIEW_PREFIX + view_key("demo", first)])
    shown = client.search_runs([experiment], view["searchFilter"])
    assert len(shown) == 2 and {run.data.tags[names.PARENT_RUN_ID] for run in shown} == {first}
    assert view["orderByKey"] == "metrics.`best_ndcg_at_10`" and view["orderByAsc"] is False
