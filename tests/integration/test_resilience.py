"""Nothing lost: trials that raise, die or diverge; a driver killed mid-sweep and resumed."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from mlflow.tracking import MlflowClient
from subprocess_cli import REPO, run_module

SWEEP = """
name: {name}
method: grid
seed: 42
evaluations_per_trial: 3
data:
  source: {data}
  columns: {{anchor: query, positive: passage}}
  max_train_rows: 96
  eval_corpus_size: 80
  max_eval_queries: 30
parameters:
  base_model: {{value: {model}}}
  learning_rate: {{values: {rates}}}
  per_device_train_batch_size: {{value: 16}}
max_failures: 1
baselines: false
mlflow: {{tracking_uri: "sqlite:///mlflow.db"}}
storage_path: ray_results
"""


def write_sweep(tmp_path, model, name, rates):
    path = tmp_path / f"{name}.yaml"
    path.write_text(SWEEP.format(name=name, data=REPO / "examples/data/pydocs.jsonl", model=model, rates=rates))
    return path


def runs_of(tmp_path, experiment):
    client = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    experiment_id = client.get_experiment_by_name(experiment).experiment_id
    runs = client.search_runs([experiment_id])
    parents = [run for run in runs if run.data.tags.get("sweeps.role") == "sweep"]
    trials = {run.data.params["learning_rate"]: run for run in runs if run.data.tags.get("sweeps.role") == "trial"}
    assert len(trials) == len([run for run in runs if run.data.tags.get("sweeps.role") == "trial"]), "a trial logged twice"
    return client, parents, trials


@pytest.mark.slow
def test_faults_end_with_the_right_states_and_a_promotable_best_run(tmp_path, tiny_model_dir):
    faults = {"0.002": "raise_once", "0.003": "raise_always", "0.004": "nan_loss", "0.005": "kill_once"}
    sweep = write_sweep(tmp_path, tiny_model_dir, "faults", "[0.001, 0.002, 0.003, 0.004, 0.005]")
    result = run_module("sweeps.run", sweep, cwd=tmp_path, env={**os.environ, "SWEEPS_INJECT_FAULTS": json.dumps(faults)})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    client, parents, trials = runs_of(tmp_path, "faults")
    assert len(parents) == 1 and parents[0].info.status == "FINISHED"
    status = {rate: run.info.status for rate, run in trials.items()}
    assert status == {"0.001": "FINISHED", "0.002": "FINISHED", "0.003": "FAILED", "0.004": "FAILED", "0.005": "FINISHED"}

    # Raised once, or its process killed once: retried in the same child run, from its checkpoint.
    for rate in ("0.002", "0.005"):
        tags = trials[rate].data.tags
        assert tags["sweeps.attempts"] == "2" and tags["sweeps.resumed_from"] == "checkpoint-2", tags
        assert "sweeps.error" not in tags
        steps = [point.step for point in client.get_metric_history(trials[rate].info.run_id, "ndcg_at_10")]
        assert steps[-1] == 6 and "test_ndcg_at_10" in trials[rate].data.metrics
    assert "injected fault at step 2" in trials["0.002"].data.tags["sweeps.previous_error"]

    # Raised every time: FAILED after max_failures retries, with the error as a tag and an artifact.
    failed = trials["0.003"]
    assert failed.data.tags["sweeps.attempts"] == "2" and "InjectedFault" in failed.data.tags["sweeps.error"]
    error_text = open(client.download_artifacts(failed.info.run_id, "error.txt", str(tmp_path))).read()
    assert "InjectedFault: injected fault" in error_text

    # A NaN loss: stopped at once, FAILED with its reason, not retried.
    nan = trials["0.004"]
    assert nan.data.tags["sweeps.outcome"] == "nonfinite_loss" and "sweeps.attempts" not in nan.data.tags
    assert nan.data.tags["sweeps.error"].startswith("training loss became nan at step 2 (learning_rate=0.004)")

    promoted = run_module("sweeps.promote", "faults", cwd=tmp_path)
    assert promoted.returncode == 0, promoted.stdout + promoted.stderr
    version = client.get_model_version_by_alias("faults-model", "champion")
    assert version.run_id in {trials[rate].info.run_id for rate in ("0.001", "0.002", "0.005")}


def wait_for(check, timeout=300):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise TimeoutError("the sweep never reached the point to interrupt")


@pytest.mark.slow
def test_a_driver_killed_mid_sweep_resumes_into_the_same_runs(tmp_path, tiny_model_dir):
    sweep = write_sweep(tmp_path, tiny_model_dir, "resume", "[0.001, 0.002, 0.003]")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "MLFLOW_DISABLE_TELEMETRY": "true", "RAY_USAGE_STATS_ENABLED": "0",
           "SWEEPS_INJECT_FAULTS": json.dumps({"0.002": "sleep:120"})}  # the second trial pauses after each checkpoint
    driver = subprocess.Popen([sys.executable, "-m", "sweeps.run", str(sweep)], cwd=tmp_path, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def second_trial_is_mid_way():
        if not (tmp_path / "mlflow.db").exists():
            return False
        try:
            _, _, trials = runs_of(tmp_path, "resume")
        except Exception:  # the store is still being created
            return False
        return trials.get("0.001") is not None and trials["0.001"].info.status == "FINISHED" and \
            trials.get("0.002") is not None and "ndcg_at_10" in trials["0.002"].data.metrics

    wait_for(second_trial_is_mid_way)
    driver.send_signal(signal.SIGKILL)
    driver.wait(timeout=60)
    client, parents, before = runs_of(tmp_path, "resume")
    finished_before = {key: [(m.step, m.value) for m in client.get_metric_history(before["0.001"].info.run_id, key)]
                       for key in before["0.001"].data.metrics}

    resumed = run_module("sweeps.run", sweep, "--resume", cwd=tmp_path, env={**env, "SWEEPS_INJECT_FAULTS": "{}"})
    assert resumed.returncode == 0, resumed.stdout[-3000:] + resumed.stderr[-3000:]
    assert f"resuming 'resume'" in resumed.stdout

    client, parents_after, after = runs_of(tmp_path, "resume")
    assert [p.info.run_id for p in parents_after] == [parents[0].info.run_id], "the same parent run, not a second one"
    assert parents_after[0].info.status == "FINISHED"
    assert sorted(after) == ["0.001", "0.002", "0.003"] and all(run.info.status == "FINISHED" for run in after.values())
    assert {rate: run.info.run_id for rate, run in after.items() if rate != "0.003"} == \
        {rate: run.info.run_id for rate, run in before.items() if rate != "0.003"}
    # The finished trial was not run again: every metric point is as it was.
    assert {key: [(m.step, m.value) for m in client.get_metric_history(after["0.001"].info.run_id, key)]
            for key in after["0.001"].data.metrics} == finished_before
    # The interrupted one carried on from its checkpoint, in its own child run.
    assert after["0.002"].data.tags["sweeps.resumed_from"].startswith("checkpoint-")
    assert [m.step for m in client.get_metric_history(after["0.002"].info.run_id, "ndcg_at_10")][-1] == 6
    assert "disk: checkpoints peaked at" in resumed.stdout
    assert not any((tmp_path / "ray_results").rglob("checkpoint-*")), "resume checkpoints are deleted at the end"

    again = run_module("sweeps.run", sweep, "--resume", cwd=tmp_path)
    assert again.returncode == 2 and "FINISHED; run without --resume to start a new one" in again.stderr
