"""A W&B user's sweep files, run as written: two of them started at the same moment on one new sqlite store both
finish, and the MLflow UI shows the sweep (the link it prints) in the model-training view, with the metric and the
swept parameters as columns and a stopped trial marked apart from a failed one."""

import os
import re
import subprocess
import sys
import time

import pytest
from browser import page_text, screenshot
from loopback_cluster import mlflow_server
from fault_injection import SWEEP_FILE_LINES, environment
from mlflow.tracking import MlflowClient
from subprocess_cli import REPO

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
# The other file of the pair: Optuna with ASHA, losses with their own conditional parameters, and a search report;
# picked and stopped by NDCG@10 at 16 of the tiny BERT's 32 dimensions in int8.
OPTUNA_ASHA_SWEEP = """
name: search
project: wandb-files
method: optuna
seed: 3
run_cap: 6
evaluations_per_trial: 3
early_terminate: {{type: asha, grace_period: 1, reduction_factor: 2}}
metric: {{name: ndcg@10, dim: 16, precision: int8}}
serving: {{dims: [32, 16], precisions: [float32, int8], calibration_texts: 64}}
data:
  source: {data}
  columns: {{anchor: query, positive: passage}}
  max_train_rows: 96
  eval_corpus_size: 80
  max_eval_queries: 30
parameters:
  base_model: {{value: {model}}}
  loss: {{values: [MultipleNegativesRankingLoss, BatchSemiHardTripletLoss, MatryoshkaLoss]}}
  margin: {{values: [1.0, 5.0]}}
  matryoshka_dims: {{value: [32, 16], when: {{loss: MatryoshkaLoss}}}}
  learning_rate: {{distribution: log_uniform_values, min: 1.0e-5, max: 1.0e-3}}
  per_device_train_batch_size: {{value: 16}}
storage_path: ray_results
"""
FAULTS = {"0.0001": "raise_at_start"}
PICKED = "ndcg_at_10-16d-int8"


@pytest.fixture(scope="module")
def two_sweeps(tmp_path_factory, tiny_model_dir):
    """Both files started at the same moment on one new sqlite store: (the folder, each sweep's stdout by name)."""
    tmp_path = tmp_path_factory.mktemp("wandb")
    data = REPO / "examples/data/pydocs.jsonl"
    (tmp_path / "shop.yaml").write_text(WANDB_SWEEP.format(data=data, model=tiny_model_dir) + SWEEP_FILE_LINES)
    (tmp_path / "search.yaml").write_text(OPTUNA_ASHA_SWEEP.format(data=data, model=tiny_model_dir))
    assert not (tmp_path / "mlflow.db").exists()
    env = environment(FAULTS, {key: value for key, value in os.environ.items() if key != "MLFLOW_TRACKING_URI"})
    env.update({"HF_HUB_OFFLINE": "1", "MLFLOW_DISABLE_TELEMETRY": "true", "RAY_USAGE_STATS_ENABLED": "0"})
    started = [subprocess.Popen([sys.executable, "-m", "sweeps.run", name], cwd=tmp_path, env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE) for name in ("shop.yaml", "search.yaml")]
    outputs = [process.communicate(timeout=900) for process in started]
    for process, (stdout, stderr) in zip(started, outputs):
        assert process.returncode == 0, stdout[-3000:] + stderr[-3000:]
    return tmp_path, {"shop": outputs[0][0], "search": outputs[1][0]}


def sweep_runs(tmp_path):
    client = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("wandb-files")  # W&B's project
    parents = {run.info.run_name: run for run in client.search_runs([experiment.experiment_id], "tags.`sweeps.role` = 'sweep'")}

    def trials_of(name):
        return client.search_runs([experiment.experiment_id], f"tags.`mlflow.parentRunId` = '{parents[name].info.run_id}'")

    return client, experiment, parents, trials_of


@pytest.mark.sweep
def test_two_wandb_files_at_once_on_a_new_store_both_finish_as_written(two_sweeps):
    tmp_path, _ = two_sweeps
    client, experiment, parents, trials_of = sweep_runs(tmp_path)
    assert set(parents) == {"shop", "search"} and all(run.info.status == "FINISHED" for run in parents.values())
    assert parents["shop"].data.tags["mlflow.note.content"] == "a W&B sweep file as written, without its program"
    assert experiment.tags["mlflow.experimentKind"] == "custom_model_development"
    shop = trials_of("shop")
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


@pytest.mark.sweep
def test_optuna_with_asha_records_stopped_trials_conditions_and_the_search_report(two_sweeps):
    tmp_path, stdout = two_sweeps
    assert "reshaped: BatchSemiHardTripletLoss train on (sentence, label) labelled sentences" in stdout["search"]
    client, _, parents, trials_of = sweep_runs(tmp_path)
    trials = [c for c in trials_of("search") if c.data.tags["sweeps.role"] == "trial"]
    assert parents["search"].info.status == "FINISHED" and len(trials) == 6
    stopped = [t for t in trials if t.data.tags.get("sweeps.outcome") == "stopped_early"]
    finished = [t for t in trials if t.info.status == "FINISHED"]
    # Six trials, not four: with four, each better than the last at evaluation 1 (it happened) stops none.
    assert stopped and finished and len(stopped) + len(finished) == 6
    for trial in stopped:  # stopped is not failed: no error, the scheduler named, status KILLED
        assert trial.info.status == "KILLED" and "sweeps.error" not in trial.data.tags
        assert trial.data.tags["sweeps.stopped_by"].startswith("asha after evaluation")
        assert "test_ndcg_at_10" not in trial.data.metrics
    for trial in finished:
        assert len(client.get_metric_history(trial.info.run_id, "curves/ndcg_at_10")) == 3 and "test_ndcg_at_10" in trial.data.metrics
        # every evaluation scored each variant; the picking one is what ASHA and the ranking read
        assert len(client.get_metric_history(trial.info.run_id, f"curves/{PICKED}")) == 3 and f"test_{PICKED}_ci_low" in trial.data.metrics
    assert parents["search"].data.tags["sweeps.metric"] == PICKED
    best = max(finished, key=lambda trial: trial.data.metrics[f"best_{PICKED}"])
    assert best.data.tags.get("sweeps.model_logged") == "true" and best.data.tags["sweeps.serving_dim"] == "16"
    for trial in trials:  # conditional parameters only where they apply
        loss = trial.data.params["loss"]
        assert ("margin" in trial.data.params) == (loss == "BatchSemiHardTripletLoss")
        assert ("matryoshka_dims" in trial.data.params) == (loss == "MatryoshkaLoss")
    artifacts = {a.path for a in client.list_artifacts(parents["search"].info.run_id, "search")}
    assert {"search/optimization_history.png", "search/parallel_coordinate.png", "search/search_report.html",
            "search/leaderboard.json", "search/leaderboard.csv", "search/serving.png"} <= artifacts
    assert "STOPPED" in stdout["search"]


@pytest.mark.browser
def test_the_printed_link_opens_the_sweeps_runs_in_the_model_training_view(two_sweeps, browser):
    tmp_path, stdout = two_sweeps
    client, experiment, _, trials_of = sweep_runs(tmp_path)
    shop = trials_of("shop")
    finished = [run for run in shop if run.info.status == "FINISHED"]
    browser.set_window_size(1900, 1000)
    link = re.search(r"then open (http://127\.0\.0\.1:5000/\S+viewStateShareKey=\S+)", stdout["shop"]).group(1)
    with mlflow_server(tmp_path, db=tmp_path / "mlflow.db") as base:
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
