"""Warm starts from an earlier sweep in a real sqlite MLflow store, written as the runner writes one."""

import pytest
from mlflow.tracking import MlflowClient

from sweeps.errors import SweepInputError
from sweeps.planning.trial_plan import plan_trials
from sweeps.search.warm_start import read_warm_start
from sweeps.sweep_file.loading import load_sweep_file

EARLIER_SPACE = {"base_model": {"value": "m"}, "learning_rate": {"values": [1e-5, 1e-4, 1e-3, 5e-2]},
                 "per_device_train_batch_size": {"value": 16}}


def earlier_sweep(tmp_path, name="first", metric="ndcg_at_10", task="retrieval", fingerprint="fp-1", trials=None):
    """A finished sweep's parent run (its metric, task and recorded sweep file) and its trial runs."""
    client = MlflowClient(f"sqlite:///{tmp_path}/mlflow.db")
    experiment = client.create_experiment(name)
    parent = client.create_run(experiment, run_name=name, tags={"sweeps.role": "sweep", "sweeps.metric": metric}).info.run_id
    client.log_param(parent, "task", task)
    client.log_dict(parent, {"data_fingerprint": fingerprint, "search": {"parameters": EARLIER_SPACE}}, "resume/world.json")
    for index, (rate, value, status) in enumerate(trials or [(1e-5, 0.50, "FINISHED"), (1e-4, 0.70, "FINISHED"),
                                                             (1e-3, 0.60, "FINISHED"), (5e-2, 0.65, "FINISHED"), (3e-5, 0.9, "FAILED")]):
        run = client.create_run(experiment, run_name=f"{name}-{index}", tags={"sweeps.role": "trial", "mlflow.parentRunId": parent}).info.run_id
        for key, text in (("base_model", "m"), ("learning_rate", str(rate)), ("per_device_train_batch_size", "16"), ("world_size", "1")):
            client.log_param(run, key, text)
        client.log_metric(run, "best_ndcg_at_10", value)
        client.set_terminated(run, status)
    client.set_terminated(parent, "FINISHED")
    return parent


def sweep(tmp_path, method_lines: str, warm: str = "{from: first, top_k: 2}"):
    path = tmp_path / "s.yaml"
    path.write_text(f"name: second\ndata: {{source: x.jsonl}}\n{method_lines}\nwarm_start: {warm}\n"
                    f"mlflow: {{tracking_uri: 'sqlite:///{tmp_path}/mlflow.db'}}\nparameters:\n  base_model: {{value: m}}\n"
                    "  per_device_train_batch_size: {value: 16}\n")
    return load_sweep_file(path)


def with_rates(tmp_path, method_lines: str, rates: str, warm: str = "{from: first, top_k: 2}"):
    sweep(tmp_path, method_lines, warm)
    path = tmp_path / "s.yaml"
    path.write_text(path.read_text() + f"  learning_rate: {rates}\n")
    return load_sweep_file(path)


def test_optuna_gets_the_earlier_trials_as_observations_and_tries_the_best_first(tmp_path, monkeypatch):
    import optuna

    from sweeps.search.methods import warm_study

    monkeypatch.chdir(tmp_path)
    parent = earlier_sweep(tmp_path)
    config = with_rates(tmp_path, "method: optuna\nrun_cap: 6", "{distribution: log_uniform_values, min: 1.0e-6, max: 1.0e-2}")
    plan = plan_trials(config, read_warm_start(config, "fp-2", "s.yaml"))
    warm = plan.warm_start
    assert warm.lines == [f"warm start: from sweep first (parent run {parent}), 4 finished trials on other data (another fingerprint)",
                          "warm start: trial first-3 is not given to the sampler: learning_rate=0.05 is outside this sweep's [1e-06, 0.01]",
                          "warm start: 3 trials given to the sampler, the best 2 tried first"]
    assert warm.enqueued == [{"base_model": "m", "learning_rate": 1e-4, "per_device_train_batch_size": 16},
                             {"base_model": "m", "learning_rate": 1e-3, "per_device_train_batch_size": 16}]
    study = optuna.load_study(study_name="second", storage=warm_study(config, plan))
    states = [trial.state.name for trial in study.trials]
    assert states.count("COMPLETE") == 3 and states.count("WAITING") == 2
    assert sorted(trial.value for trial in study.trials if trial.value is not None) == [0.5, 0.6, 0.7]

    from sweeps.planning.trial_plan import search_algorithm

    searcher = search_algorithm(config, plan, 1)
    assert searcher.suggest("t1")["learning_rate"] == 1e-4  # the earlier best, before anything the sampler draws
    searcher.on_trial_complete("t1", {"ndcg_at_10": 0.71, "final": True})
    assert searcher.suggest("t2")["learning_rate"] == 1e-3


def test_a_grid_skips_the_points_finished_on_the_same_data_and_runs_the_earlier_best_first(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    earlier_sweep(tmp_path, trials=[(1e-5, 0.5, "FINISHED"), (1e-4, 0.7, "FINISHED")])
    config = with_rates(tmp_path, "method: grid", "{values: [1.0e-5, 1.0e-4, 1.0e-3, 3.0e-3]}")
    same = plan_trials(config, read_warm_start(config, "fp-1", "s.yaml"))
    assert [point["learning_rate"] for point in same.configs] == [1e-3, 3e-3] and same.num_samples == 2
    assert same.warm_start.lines[-1] == "warm start: 2 of 4 grid points finished in first on the same data: skipped"
    other = plan_trials(config, read_warm_start(config, "fp-2", "s.yaml"))
    assert [point["learning_rate"] for point in other.configs] == [1e-4, 1e-5, 1e-3, 3e-3]  # the earlier best first


def test_a_warm_start_that_cant_be_used_is_refused_with_one_line_per_problem(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    earlier_sweep(tmp_path, metric="map_at_100", task="sts")
    config = with_rates(tmp_path, "method: grid", "{values: [1.0e-5]}")
    with pytest.raises(SweepInputError) as refused:
        read_warm_start(config, "fp-1", "s.yaml")
    assert refused.value.problems == [
        "s.yaml: `warm_start.from` must name a sweep judged by this sweep's metric ndcg_at_10, but got 'first (metric map_at_100)'",
        "s.yaml: `warm_start.from` must name a sweep of this sweep's task 'retrieval', but got \"first (task 'sts')\""]
    misspelt = with_rates(tmp_path, "method: grid", "{values: [1.0e-5]}", warm="{from: frist}")
    with pytest.raises(SweepInputError) as refused:
        read_warm_start(misspelt, "fp-1", "s.yaml")
    assert refused.value.problems == ["s.yaml: `warm_start.from` must name a finished sweep in this MLflow store (1 there: first) "
                                      "(did you mean `first`?), but got 'frist'"]
