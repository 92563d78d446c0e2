"""The real CLI in a subprocess: a real local Ray cluster (2 CPUs), a real sqlite MLflow."""

import json
import os
import re
from pathlib import Path

import pytest
from subprocess_cli import REPO, run_module
from sweep_files import small_sweep, write_sweep
from sweep_runs import children_of
from trial_metrics import finished_trial_metric_keys

SHARED_DATA = REPO.parent / "shared" / "data"


def run_cli(*args, cwd):
    return run_module("sweeps.run", *args, cwd=cwd)


@pytest.mark.unit  # refused before Ray or a model loads
def test_bad_input_exits_2_before_anything_is_written(tmp_path, tiny_model_dir):
    sweep = small_sweep("small", tiny_model_dir, [1e-5, 1e-3])
    sweep["parameters"]["learnig_rate"] = sweep["parameters"].pop("learning_rate")
    write_sweep(tmp_path / "sweep.yaml", sweep)
    result = run_cli("sweep.yaml", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: sweep.yaml: `parameters.learnig_rate` must be base_model, loss, max_seq_length, a loss parameter or a "
        "SentenceTransformerTrainingArguments field (did you mean `learning_rate`?), but got 'learnig_rate'"
    ]
    assert not (tmp_path / "mlflow.db").exists() and not (tmp_path / "ray_results").exists()


@pytest.mark.unit
def test_dry_run_prints_the_plan_and_trains_nothing(tmp_path):
    result = run_cli(REPO / "grid.yaml", "--dry-run", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "grid points: 2" in result.stdout and "{'learning_rate': 0.0002}" in result.stdout
    assert "dry run: nothing mined, trained or logged" in result.stdout
    assert "prompts of all-MiniLM-L6-v2 (its own): none" in result.stdout
    # The data check, before the counts: pydocs' sibling functions (b16decode, b32hexdecode) document themselves
    # nearly alike, and a random split puts siblings on both sides; the rows train shares with eval or test go.
    lines = result.stdout.splitlines()
    assert lines[1].startswith("data check: train, eval, test compared (queries and passages apart"), lines[:3]
    assert "data check: test shares 16 queries with train (16 near)" in lines
    assert "data check: dropped 71 training rows that share a text with a held-out split (data.leaks: drop): 351 left" in lines
    assert any(line.startswith("data check: passages longer than max_seq_length in all-MiniLM-L6-v2's tokens: 61% at 64") for line in lines)
    assert "351 training rows (anchor, positive) from 422 source rows" in result.stdout
    # Planned on this machine's shape, counted without starting Ray: what a worker asks for and how many fit.
    cpus = os.cpu_count()
    assert f"resources on this machine, as a fresh local Ray would see it: {cpus:g} CPU per trial, up to 1 at once" in result.stdout
    assert f"  1 node(s) of {cpus:g} CPU" in result.stdout and ": room for 1 worker(s) each" in result.stdout
    assert not (tmp_path / "mlflow.db").exists() and not (tmp_path / "ray_results").exists()


@pytest.mark.unit
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


@pytest.mark.unit
def test_help():
    result = run_cli("--help", cwd=REPO)
    assert result.returncode == 0 and "--dry-run" in result.stdout and "--address" in result.stdout


@pytest.mark.real_model
@pytest.mark.shared("tatoeba_nob_eng")
def test_an_evaluation_only_benchmark_reproduces_its_reference_figure():
    """A BEIR folder with test qrels only (nothing to train on) evaluates; ../shared/README.md gives 0.161."""
    result = run_module("sweeps.evaluate", "all-MiniLM-L6-v2", SHARED_DATA / "tatoeba_nob_eng" / "nob-eng", "--split", "test", cwd=REPO)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    assert report["queries"] == report["corpus"] == 1000 and report["max_seq_length"] == 256
    assert abs(report["metrics"]["ndcg_at_10"] - 0.161) < 0.005


@pytest.mark.real_model
def test_default_sweep_from_the_readme(demo_sweep):
    """README's second command, on the shipped model and data: its two trials finished, curves, test metrics."""
    workdir, result = demo_sweep
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "leaderboard" in result.stdout and "mlflow ui --backend-store-uri sqlite:///" in result.stdout
    assert "promote: sweeps promote " in result.stdout  # grid.yaml has a promote: section, so the end says how
    assert "it/s]" not in result.stdout + result.stderr  # no library's progress bar between the sweep's lines
    client, parent, children = children_of(workdir / "mlflow.db", "demo")
    trials = [c for c in children if c.data.tags["sweeps.role"] == "trial"]
    baselines = [c for c in children if c.data.tags["sweeps.role"] == "baseline"]
    assert parent.info.status == "FINISHED" and len(trials) == 2 and len(baselines) == 1
    assert sorted((t.data.params["learning_rate"], t.data.params["per_device_train_batch_size"]) for t in trials) == [
        ("0.0002", "64"), ("2e-05", "64")]
    # Same data and seed, different hyperparameters: the models really differ.
    assert len({t.data.metrics["curves/ndcg_at_10"] for t in trials}) >= 2
    assert "test_ndcg_at_10" in baselines[0].data.metrics
    for trial in trials:
        assert trial.info.status == "FINISHED"
        assert len(client.get_metric_history(trial.info.run_id, "curves/ndcg_at_10")) >= 2
        assert {"curves/triplet_accuracy", "curves/train_loss", "test_ndcg_at_10", "test_triplet_accuracy", "best_ndcg_at_10"} <= set(trial.data.metrics)
        assert set(trial.data.metrics) == finished_trial_metric_keys("retrieval")  # what DDP trials are held to, too
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
    # The data card on the parent run names the data the trials got: its fingerprint, and what the check dropped.
    card = json.loads(Path(client.download_artifacts(parent.info.run_id, "data/data_card.json", str(workdir))).read_text())
    assert card["fingerprint"] == parent.data.params["data_fingerprint"] and card["dropped_training_rows"] == 71
    assert card["training_rows"] == int(parent.data.params["train_rows"]) == 351
    page = Path(client.download_artifacts(parent.info.run_id, "data/data_card.md", str(workdir))).read_text()
    assert page.startswith("# Data card: ") and "| test | train | queries | 0 | 16 |" in page
    summary = re.search(r"^trial time: (.*) \(([\d,]+) s over 2 trials; peak memory [\d,]+ MB\)$", result.stdout, re.MULTILINE)
    assert summary, result.stdout[-3000:]
    shares = dict((word, int(share)) for share, word in re.findall(r"(\d+)% (\w+)", summary.group(1)))
    assert set(shares) == {"training", "evaluations", "checkpoints", "setup", "test", "logging"} and 97 <= sum(shares.values()) <= 103
    print(result.stdout[-2500:])
