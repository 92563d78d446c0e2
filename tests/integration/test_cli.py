"""The real CLI in a subprocess: a real local Ray cluster (2 CPUs), a real sqlite MLflow."""

import json
import os
import re
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient
from subprocess_cli import REPO, run_module

SHARED_DATA = REPO.parent / "shared" / "data"


def run_cli(*args, cwd):
    return run_module("sweeps.run", *args, cwd=cwd)


def children_of(db: Path, experiment: str):
    client = MlflowClient(f"sqlite:///{db}")
    experiment_id = client.get_experiment_by_name(experiment).experiment_id
    parents = client.search_runs([experiment_id], filter_string="tags.`sweeps.role` = 'sweep'")
    assert len(parents) == 1
    children = client.search_runs([experiment_id], filter_string=f"tags.`mlflow.parentRunId` = '{parents[0].info.run_id}'")
    return client, parents[0], children


SMALL_SWEEP = """
name: small
method: grid
seed: 42
data:
  source: {data}
  columns: {{anchor: query, positive: passage}}
  eval_fraction: 0.1
  test_fraction: 0.1
  max_train_rows: 96
  eval_corpus_size: 80
  max_eval_queries: 30
parameters:
  base_model: {{value: {model}}}
  learning_rate: {{values: [1e-5, 1e-3]}}
  per_device_train_batch_size: {{value: 16}}
  num_train_epochs: {{value: 1}}
mlflow: {{tracking_uri: "sqlite:///mlflow.db"}}
storage_path: ray_results
"""


OPTUNA_ASHA_SWEEP = """
name: search
method: optuna
seed: 3
run_cap: 6
evaluations_per_trial: 3
early_terminate: {{type: asha, grace_period: 1, reduction_factor: 2}}
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
mlflow: {{tracking_uri: "sqlite:///mlflow.db"}}
storage_path: ray_results
"""


@pytest.mark.slow
def test_optuna_with_asha_records_stopped_trials_conditions_and_the_search_report(tmp_path, tiny_model_dir):
    (tmp_path / "sweep.yaml").write_text(OPTUNA_ASHA_SWEEP.format(data=REPO / "examples/data/pydocs.jsonl", model=tiny_model_dir))
    result = run_cli("sweep.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "reshaped: BatchSemiHardTripletLoss train on (sentence, label) labelled sentences" in result.stdout

    client, parent, children = children_of(tmp_path / "mlflow.db", "search")
    trials = [c for c in children if c.data.tags["sweeps.role"] == "trial"]
    assert parent.info.status == "FINISHED" and len(trials) == 6
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
    for trial in trials:  # conditional parameters only where they apply
        loss = trial.data.params["loss"]
        assert ("margin" in trial.data.params) == (loss == "BatchSemiHardTripletLoss")
        assert ("matryoshka_dims" in trial.data.params) == (loss == "MatryoshkaLoss")
    artifacts = {a.path for a in client.list_artifacts(parent.info.run_id, "search")}
    assert {"search/optimization_history.png", "search/parallel_coordinate.png", "search/search_report.html",
            "search/leaderboard.json", "search/leaderboard.csv"} <= artifacts
    assert "STOPPED" in result.stdout


@pytest.mark.slow
def test_bad_input_exits_2_before_anything_is_written(tmp_path, tiny_model_dir):
    text = SMALL_SWEEP.format(data=REPO / "examples/data/pydocs.jsonl", model=tiny_model_dir).replace("learning_rate", "learnig_rate")
    (tmp_path / "sweep.yaml").write_text(text)
    result = run_cli("sweep.yaml", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: sweep.yaml: `parameters.learnig_rate` must be base_model, loss, max_seq_length, a loss parameter or a "
        "SentenceTransformerTrainingArguments field (did you mean `learning_rate`?), but got 'learnig_rate'"
    ]
    assert not (tmp_path / "mlflow.db").exists() and not (tmp_path / "ray_results").exists()


def test_dry_run_prints_the_plan_and_trains_nothing(tmp_path):
    result = run_cli(REPO / "grid.yaml", "--dry-run", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "grid points: 4" in result.stdout and "{'learning_rate': 0.0002, 'per_device_train_batch_size': 64}" in result.stdout
    assert "dry run: nothing mined, trained or logged" in result.stdout
    assert "prompts of all-MiniLM-L6-v2 (its own): none" in result.stdout
    assert "422 training rows (anchor, positive) from 422 source rows" in result.stdout
    # Planned on this machine's shape, counted without starting Ray: what a worker asks for and how many fit.
    cpus = os.cpu_count()
    assert f"resources on this machine, as a fresh local Ray would see it: {cpus:g} CPU per trial, up to 1 at once" in result.stdout
    assert f"  1 node(s) of {cpus:g} CPU" in result.stdout and ": room for 1 worker(s) each" in result.stdout
    assert not (tmp_path / "mlflow.db").exists() and not (tmp_path / "ray_results").exists()


def test_dry_run_refuses_a_trial_that_fits_no_node(tmp_path):
    cpus = os.cpu_count()
    grid = (REPO / "grid.yaml").read_text().replace("examples/data/", f"{REPO}/examples/data/")
    (tmp_path / "sweep.yaml").write_text(grid + f"resources: {{workers_per_trial: 2, cpus_per_worker: {cpus + 1}}}\n")
    result = run_cli("sweep.yaml", "--dry-run", cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        f"error: sweep.yaml: `resources.cpus_per_worker` must fit the cluster's nodes: a trial needs 2 worker(s) of ({cpus + 1} CPU), "
        f"each on one node, and the nodes have room for 0 (nodes: 1 x ({cpus} CPU, "), lines
    assert lines[0].endswith(f" GiB)), but got {float(cpus + 1)}"), lines


def test_help():
    result = run_cli("--help", cwd=REPO)
    assert result.returncode == 0 and "--dry-run" in result.stdout and "--address" in result.stdout


@pytest.mark.slow
@pytest.mark.skipif(not (SHARED_DATA / "tatoeba_nob_eng").exists(), reason="needs ../shared/data/tatoeba_nob_eng")
def test_an_evaluation_only_benchmark_reproduces_its_reference_figure():
    """A BEIR folder with test qrels only (nothing to train on) evaluates; ../shared/README.md gives 0.161."""
    result = run_module("sweeps.evaluate", "all-MiniLM-L6-v2", SHARED_DATA / "tatoeba_nob_eng" / "nob-eng", "--split", "test", cwd=REPO)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    assert report["queries"] == report["corpus"] == 1000 and report["max_seq_length"] == 256
    assert abs(report["metrics"]["ndcg_at_10"] - 0.161) < 0.005


@pytest.mark.slow
def test_default_sweep_from_the_readme(demo_sweep):
    """README's second command, on the shipped model and data: ≥4 finished trials, curves, test metrics."""
    workdir, result = demo_sweep
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "leaderboard" in result.stdout and "mlflow ui --backend-store-uri sqlite:///" in result.stdout
    client, parent, children = children_of(workdir / "mlflow.db", "demo")
    trials = [c for c in children if c.data.tags["sweeps.role"] == "trial"]
    baselines = [c for c in children if c.data.tags["sweeps.role"] == "baseline"]
    assert parent.info.status == "FINISHED" and len(trials) == 4 and len(baselines) == 1
    assert sorted((t.data.params["learning_rate"], t.data.params["per_device_train_batch_size"]) for t in trials) == [
        ("0.0002", "16"), ("0.0002", "64"), ("2e-05", "16"), ("2e-05", "64")]
    # Same data and seed, different hyperparameters: the models really differ.
    assert len({t.data.metrics["curves/ndcg_at_10"] for t in trials}) >= 2
    assert "test_ndcg_at_10" in baselines[0].data.metrics
    for trial in trials:
        assert trial.info.status == "FINISHED"
        assert len(client.get_metric_history(trial.info.run_id, "curves/ndcg_at_10")) >= 2
        assert {"curves/triplet_accuracy", "curves/train_loss", "test_ndcg_at_10", "test_triplet_accuracy", "best_ndcg_at_10"} <= set(trial.data.metrics)
    # keep_models: 1 -> exactly the best trial's model is logged, and no checkpoint is left on disk
    logged = [t for t in trials if t.data.tags.get("sweeps.model_logged") == "true"]
    assert len(logged) == 1
    assert logged[0].data.metrics["best_ndcg_at_10"] == max(t.data.metrics["best_ndcg_at_10"] for t in trials)
    assert not list((workdir / "ray_results").rglob("checkpoint_*")) and not list((workdir / "ray_results").rglob("*.safetensors"))
    # Where the trials' time went: on every child run, summed on the parent run, and said in one line.
    phases = ("setup", "train", "eval", "checkpoint", "test", "logging")
    for phase in phases:
        assert parent.data.metrics[f"time_{phase}_s"] == pytest.approx(sum(t.data.metrics[f"time_{phase}_s"] for t in trials), abs=0.01)
    assert parent.data.metrics["peak_rss_mb"] == max(t.data.metrics["peak_rss_mb"] for t in trials)
    summary = re.search(r"^trial time: (.*) \(([\d,]+) s over 4 trials; peak memory [\d,]+ MB\)$", result.stdout, re.MULTILINE)
    assert summary, result.stdout[-3000:]
    shares = dict((word, int(share)) for share, word in re.findall(r"(\d+)% (\w+)", summary.group(1)))
    assert set(shares) == {"training", "evaluations", "checkpoints", "setup", "test", "logging"} and 97 <= sum(shares.values()) <= 103
    print(result.stdout[-2500:])
