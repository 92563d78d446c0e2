"""Four trials logging at once to one sqlite MLflow store: every metric Tune heard is in MLflow, unchanged;
and the secrets planted in their environment are nowhere in what the sweep wrote or printed."""

import json
import os

import pytest
from leak_check import PLANTED, assert_nothing_leaked, ray_temp_dir
from mlflow.tracking import MlflowClient
from subprocess_cli import REPO, run_module

SWEEP = """
name: together
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
  learning_rate: {{values: [1.0e-3, 5.0e-4, 2.0e-4, 1.0e-4]}}
  per_device_train_batch_size: {{value: 16}}
resources: {{cpus_per_trial: 0.5}}
max_concurrent: 4
baselines: false
keep_models: 1
mlflow: {{tracking_uri: "sqlite:///mlflow.db"}}
storage_path: ray_results
"""
BOOKKEEPING = {"step", "evaluation", "final", "best_step", "checkpoint_dir", "outcome"}


@pytest.mark.sweep
def test_four_concurrent_trials_lose_no_metric_and_leak_no_secret(tmp_path, tiny_model_dir):
    (tmp_path / "sweep.yaml").write_text(SWEEP.format(data=REPO / "examples/data/pydocs.jsonl", model=tiny_model_dir))
    ray_temp = ray_temp_dir()
    result = run_module("sweeps.run", "sweep.yaml", cwd=tmp_path, env={**os.environ, **PLANTED, "RAY_TMPDIR": str(ray_temp)})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "0.5 CPU per trial, up to 4 at once" in result.stdout

    client = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    experiment_id = client.get_experiment_by_name("together").experiment_id
    runs = {run.data.tags["sweeps.trial_id"]: run for run in client.search_runs([experiment_id], "tags.`sweeps.role` = 'trial'")}
    assert len(runs) == 4 and all(run.info.status == "FINISHED" for run in runs.values())
    # They really overlapped: each started before another ended.
    spans = sorted((run.info.start_time, run.info.end_time) for run in runs.values())
    assert all(later_start < earlier_end for (_, earlier_end), (later_start, _) in zip(spans, spans[1:]))

    compared = 0
    for result_file in (tmp_path / "ray_results").rglob("result.json"):
        reports = [json.loads(line) for line in result_file.read_text().splitlines() if line.strip()]
        run = runs[reports[0]["trial_id"]]
        for report in reports:
            # each evaluation's figures are MLflow's learning curves (curves/<key>); the final best_/test_ ones are bare
            mlflow_key = {key: f"curves/{key}" if f"curves/{key}" in run.data.metrics else key for key in report}
            metrics = {key: value for key, value in report.items() if key not in BOOKKEEPING and mlflow_key[key] in run.data.metrics}
            if report.get("final"):  # the kept checkpoint's figures, logged as best_* and test_*
                for key in [key for key in metrics if key.startswith(("best_", "test_"))]:
                    assert run.data.metrics[key] == metrics[key], key
                    compared += 1
                continue
            for key, value in metrics.items():
                logged = {point.step: point.value for point in client.get_metric_history(run.info.run_id, mlflow_key[key])}
                assert logged[report["step"]] == value, (key, report["step"])
                compared += 1
    assert compared >= 4 * (2 * 6 + 10), compared  # 2 evaluations x 6 metrics before the final one, 10 best/test figures

    assert_nothing_leaked(tmp_path, result, list(PLANTED.values()), ray_temp)
