"""A W&B user's sweep files, run as written: two of them started at the same moment on one new sqlite store both
finish, and the MLflow UI shows the sweep (the link it prints) in the model-training view, with the metric and the
swept parameters as columns and a stopped trial marked apart from a failed one."""

import os
import re
import subprocess
import sys
import time

import pytest
from browser import chromium_browser, mlflow_server, page_text, screenshot
from fault_injection import SWEEP_FILE_LINES, environment
from mlflow.tracking import MlflowClient
from subprocess_cli import REPO, run_module

# bayes, hyperband by W&B's min_iter and eta, W&B's distributions, no name (the file's), a project, a description.
# TPE's seeded first suggestions (--dry-run) take 1e-4 once: that trial fails on purpose.
WANDB_SWEEP = """
project: wandb-files
description: a W&B sweep file as written, without its program
method: bayes
metric: {{name: ndcg@10, goal: maximize}}
run_cap: 6
evaluations_per_trial: 3
early_terminate: {{type: hyperband, min_iter: 1, eta: 2}}
data:
  source: {data}
  columns: {{anchor: query, positive: passage}}
  max_train_rows: 96
  eval_corpus_size: 80
  max_eval_queries: 30
parameters:
  base_model: {{distribution: constant, value: {model}}}
  learning_rate: {{distribution: categorical, values: [0.001, 0.0005, 0.0001, 0.003]}}
  per_device_train_batch_size: {{distribution: q_log_uniform_values, min: 8, max: 32, q: 8}}
  warmup_ratio: {{min: 0.0, max: 0.2}}
baselines: false
max_failures: 0
storage_path: ray_results
"""
OTHER_SWEEP = """
project: wandb-files
method: random
run_cap: 2
evaluations_per_trial: 2
data:
  source: {data}
  columns: {{anchor: query, positive: passage}}
  max_train_rows: 64
  eval_corpus_size: 60
  max_eval_queries: 20
parameters:
  base_model: {{value: {model}}}
  learning_rate: {{distribution: log_uniform_values, min: 0.0002, max: 0.002}}
  per_device_train_batch_size: {{value: 16}}
baselines: false
storage_path: ray_results
"""
FAULTS = {"0.0001": "raise_at_start"}


@pytest.mark.slow
def test_two_wandb_sweeps_at_once_on_a_new_store_finish_and_the_ui_shows_them(tmp_path, tiny_model_dir):
    data = REPO / "examples/data/pydocs.jsonl"
    (tmp_path / "shop.yaml").write_text(WANDB_SWEEP.format(data=data, model=tiny_model_dir) + SWEEP_FILE_LINES)
    (tmp_path / "other.yaml").write_text(OTHER_SWEEP.format(data=data, model=tiny_model_dir))
    assert not (tmp_path / "mlflow.db").exists()
    env = environment(FAULTS, {key: value for key, value in os.environ.items() if key != "MLFLOW_TRACKING_URI"})
    env.update({"HF_HUB_OFFLINE": "1", "MLFLOW_DISABLE_TELEMETRY": "true", "RAY_USAGE_STATS_ENABLED": "0"})
    started = [subprocess.Popen([sys.executable, "-m", "sweeps.run", name], cwd=tmp_path, env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE) for name in ("shop.yaml", "other.yaml")]
    outputs = [process.communicate(timeout=900) for process in started]
    for process, (stdout, stderr) in zip(started, outputs):
        assert process.returncode == 0, stdout[-3000:] + stderr[-3000:]
    shop_out = outputs[0][0]

    client = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("wandb-files")  # W&B's project
    parents = {run.info.run_name: run for run in client.search_runs([experiment.experiment_id], "tags.`sweeps.role` = 'sweep'")}
    assert set(parents) == {"shop", "other"} and all(run.info.status == "FINISHED" for run in parents.values())
    assert parents["shop"].data.tags["mlflow.note.content"] == "a W&B sweep file as written, without its program"
    assert experiment.tags["mlflow.experimentKind"] == "custom_model_development"

    def trials_of(parent):
        return client.search_runs([experiment.experiment_id], f"tags.`mlflow.parentRunId` = '{parent.info.run_id}'")

    assert len(trials_of(parents["other"])) == 2 and all(run.info.status == "FINISHED" for run in trials_of(parents["other"]))
    shop = trials_of(parents["shop"])
    assert len(shop) == 6
    ended = {run.info.run_name: run.data.tags["sweeps.ended"] for run in shop}
    failed = [run for run in shop if run.info.status == "FAILED"]
    stopped = [run for run in shop if run.data.tags.get("sweeps.outcome") == "stopped_early"]
    finished = [run for run in shop if run.info.status == "FINISHED"]
    assert failed and stopped and finished and len(failed) + len(stopped) + len(finished) == 6, {
        run.info.run_name: (run.data.params.get("learning_rate"), ended[run.info.run_name]) for run in shop}
    for run in shop:  # W&B's distributions drew on their grids
        assert int(run.data.params["per_device_train_batch_size"]) in (8, 16, 24, 32)
        assert 0.0 <= float(run.data.params["warmup_ratio"]) <= 0.2
    assert all(ended[run.info.run_name].startswith("failed: InjectedFault") for run in failed)
    assert all(ended[run.info.run_name].startswith("stopped early by hyperband after evaluation") for run in stopped)
    assert all(ended[run.info.run_name] == "finished" for run in finished)

    link = re.search(r"then open (http://127\.0\.0\.1:5000/\S+viewStateShareKey=\S+)", shop_out).group(1)
    with mlflow_server(tmp_path / "mlflow.db", tmp_path) as base, chromium_browser("1900,1000") as browser:
        browser.get(link.replace("http://127.0.0.1:5000", base))
        wanted = ["ndcg_at_10", "best_ndcg_at_10", "learning_rate", "per_device_train_batch_size", "sweeps.ended",
                  "finished", "stopped early by hyperband", "failed: InjectedFault", *(run.info.run_name for run in shop)]
        deadline = time.monotonic() + 60
        while not all(word in page_text(browser) for word in wanted):
            assert time.monotonic() < deadline, [word for word in wanted if word not in page_text(browser)]
            time.sleep(1)
        text = page_text(browser)
        # The model-training view: its sidebar, not the GenAI one's
        assert "Model registry" in text and "Observability" not in text
        screenshot(browser, tmp_path, "sweep_runs.png")
        best = max(finished, key=lambda run: run.data.metrics["best_ndcg_at_10"])
        browser.get(f"{base}/#/experiments/{experiment.experiment_id}/runs/{best.info.run_id}/model-metrics?workflowType=machine_learning")
        deadline = time.monotonic() + 60
        while "(curves/ndcg_at_10)" not in page_text(browser):
            assert time.monotonic() < deadline, page_text(browser)[:2000]
            time.sleep(1)
        # The learning curves' section comes first; the single best_/test_/time_ figures are further down
        charts = page_text(browser).split("Auto-refresh", 1)[1]
        assert charts.split()[0] == "curves" and "best_ndcg_at_10" not in charts.split("(curves/ndcg_at_10)")[0]
        screenshot(browser, tmp_path, "trial_charts.png")
