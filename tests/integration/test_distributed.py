"""Several processes per trial, and several Ray nodes per sweep: real DDP (gloo), a real 2-node cluster."""

import pytest
from leak_check import PLANTED, assert_nothing_leaked, ray_temp_dir
from loopback_cluster import loopback_cluster
from mlflow.tracking import MlflowClient
from subprocess_cli import REPO, run_module

PASSWORD = "PLANTEDpassword7890"
SWEEP = """
name: {name}
method: grid
seed: 42
data:
  source: {data}
  columns: {{anchor: query, positive: passage}}
  max_train_rows: 96
  eval_corpus_size: 80
  max_eval_queries: 30
parameters:
  base_model: {{value: {model}}}
  learning_rate: {{values: {learning_rates}}}
  per_device_train_batch_size: {{value: 16}}
  gather_across_devices: {{value: true}}
resources: {resources}
max_concurrent: {max_concurrent}
baselines: false
keep_models: 1
mlflow: {{tracking_uri: "{tracking_uri}"}}
storage_path: ray_results
"""


def sweep_file(tmp_path, model, name="ddp", learning_rates="[1.0e-3]", resources="{workers_per_trial: 2, cpus_per_worker: 1}",
               max_concurrent=1, tracking_uri="sqlite:///mlflow.db"):
    path = tmp_path / f"{name}.yaml"
    path.write_text(SWEEP.format(name=name, data=REPO / "examples/data/pydocs.jsonl", model=model, learning_rates=learning_rates,
                                 resources=resources, max_concurrent=max_concurrent, tracking_uri=tracking_uri))
    return path


def trial_runs(client, experiment):
    experiment_id = client.get_experiment_by_name(experiment).experiment_id
    runs = client.search_runs([experiment_id])
    parents = [run for run in runs if run.data.tags.get("sweeps.role") == "sweep"]
    assert len(parents) == 1
    return parents[0], [run for run in runs if run.data.tags.get("sweeps.role") == "trial"]


@pytest.mark.slow
def test_a_two_worker_trial_is_one_ddp_run_logged_once(tmp_path, tiny_model_dir, demo_sweep):
    result = run_module("sweeps.run", sweep_file(tmp_path, tiny_model_dir), cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "2 workers x (1 CPU) per trial, up to 1 at once" in result.stdout

    parent, trials = trial_runs(MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}"), "ddp")
    assert parent.info.status == "FINISHED" and parent.data.params["workers_per_trial"] == "2"
    assert len(trials) == 1, "only rank 0 logs: one trial, one child run"
    trial = trials[0]
    assert trial.info.status == "FINISHED"
    assert trial.data.params["world_size"] == "2" and trial.data.params["effective_batch_size"] == "32"
    assert trial.data.params["precision"] == "fp32" and trial.data.params["gather_across_devices"] == "True"
    processes = trial.data.tags["sweeps.worker_processes"].split(", ")
    assert len(processes) == 2 and len(set(processes)) == 2, processes  # two ranks, two processes
    assert trial.data.tags["sweeps.model_logged"] == "true"
    assert "sweeps.attempts" not in trial.data.tags, "rank 0 attaches to the run the trial opened; it is not a second attempt"

    # The same metric keys as a one-worker trial (the default sweep's), plus nothing missing.
    demo_dir, demo_result = demo_sweep
    assert demo_result.returncode == 0
    _, demo_trials = trial_runs(MlflowClient(f"sqlite:///{demo_dir / 'mlflow.db'}"), "demo")
    assert set(trial.data.metrics) == set(demo_trials[0].data.metrics)
    history = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}").get_metric_history(trial.info.run_id, "ndcg_at_10")
    assert [point.step for point in history] == [2, 3]  # 96 rows / (16 x 2 ranks) = 3 steps, evaluated twice


@pytest.mark.slow
def test_a_sweep_on_a_two_node_cluster_logs_each_trial_once_to_an_mlflow_server(tmp_path, tiny_model_dir):
    ray_temp = ray_temp_dir()
    with loopback_cluster(tmp_path, ray_temp) as (address, mlflow_url, env):
        # A sqlite file can't be reached from other machines: refused before anything is logged.
        local = sweep_file(tmp_path, tiny_model_dir, name="local", learning_rates="[1.0e-3, 1.0e-4]",
                           resources="{cpus_per_trial: 1}", max_concurrent=2)
        refused = run_module("sweeps.run", local, "--address", address, cwd=tmp_path, env=env)
        assert refused.returncode == 2, refused.stdout[-2000:] + refused.stderr[-2000:]
        assert "`mlflow.tracking_uri` must be an MLflow tracking server (http://HOST:PORT, see `mlflow server`) when the Ray cluster has 2 nodes" in refused.stderr
        assert not (tmp_path / "mlflow.db").exists()

        # With a password in the URI (the server ignores it): it goes to MLflow's env variables, nowhere else.
        served = sweep_file(tmp_path, tiny_model_dir, name="twonode", learning_rates="[1.0e-3, 1.0e-4]",
                            resources="{cpus_per_trial: 1}", max_concurrent=2,
                            tracking_uri=mlflow_url.replace("http://", f"http://alice:{PASSWORD}@"))
        result = run_module("sweeps.run", served, "--address", address, cwd=tmp_path, env={**env, **PLANTED})
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        assert f"MLflow: {mlflow_url}/#/experiments/" in result.stdout

        parent, trials = trial_runs(MlflowClient(mlflow_url), "twonode")
        assert parent.info.status == "FINISHED"
        assert sorted(t.data.params["learning_rate"] for t in trials) == ["0.0001", "0.001"]  # each trial exactly once
        assert len({t.data.tags["sweeps.trial_id"] for t in trials}) == 2
        assert all(t.info.status == "FINISHED" and "test_ndcg_at_10" in t.data.metrics for t in trials)
        # One CPU per node and two trials at once: one trial on each node.
        assert len({t.data.tags["sweeps.node_id"] for t in trials}) == 2
    assert_nothing_leaked(tmp_path, result, [PASSWORD, *PLANTED.values()], ray_temp)
    assert "alice" not in result.stdout
