"""A sweep that picks at the size and precision it will serve: MNRL against MatryoshkaLoss(MNRL) on MiniLM, picked and
promoted by NDCG@10 at 128 dimensions in int8, and a champion that encodes to 128 dimensions. (Early stopping by a
variant: the W&B-file search in test_wandb_sweeps.py; the cut figures against the library's `truncate_dim`:
tests/component/test_serving_variants.py.)"""

import pytest
from mlflow.tracking import MlflowClient
from subprocess_cli import REPO, run_module

PICKED = "ndcg_at_10-128d-int8"
# The default sweep's data and settings, its two learning rates traded for the two losses at the better one.
SWEEP = f"""
name: served
method: grid
max_concurrent: 1
seed: 42
evaluations_per_trial: 1
metric: {{name: ndcg@10, dim: 128, precision: int8}}
serving: {{dims: [384, 128, 64], precisions: [float32, int8, binary]}}
data:
  source: {REPO}/examples/data/pydocs.jsonl
  columns: {{anchor: query, positive: passage}}
  eval_fraction: 0.15
  test_fraction: 0.15
  eval_corpus_size: 200
parameters:
  base_model: {{value: all-MiniLM-L6-v2}}
  loss: {{values: [MultipleNegativesRankingLoss, MatryoshkaLoss]}}
  matryoshka_dims: {{value: [384, 128, 64]}}
  max_seq_length: {{value: 64}}
  learning_rate: {{value: 2.0e-4}}
  per_device_train_batch_size: {{value: 64}}
  num_train_epochs: {{value: 1}}
mlflow: {{tracking_uri: "sqlite:///mlflow.db"}}
promote: {{registered_model: pydocs-128-int8}}
"""


@pytest.mark.real_model
def test_a_sweep_picks_and_promotes_at_its_serving_size_and_precision(tmp_path):
    (tmp_path / "served.yaml").write_text(SWEEP)
    result = run_module("sweeps.run", "served.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    client = MlflowClient(f"sqlite:///{tmp_path}/mlflow.db")
    experiment = client.get_experiment_by_name("served").experiment_id
    parent = client.search_runs([experiment], "tags.`sweeps.role` = 'sweep'")[0]
    children = client.search_runs([experiment], f"tags.`mlflow.parentRunId` = '{parent.info.run_id}'")
    trials = {run.data.params["loss"]: run for run in children if run.data.tags["sweeps.role"] == "trial"}
    baseline = next(run for run in children if run.data.tags["sweeps.role"] == "baseline")
    assert set(trials) == {"MultipleNegativesRankingLoss", "MatryoshkaLoss"} and parent.data.tags["sweeps.metric"] == PICKED
    for run in [*trials.values(), baseline]:  # every size and precision, on eval (kept checkpoint) and test, with intervals
        metrics = run.data.metrics
        for dim in (384, 128, 64):
            for precision in ("float32", "int8", "binary"):
                assert 0 < metrics[f"best_ndcg_at_10-{dim}d-{precision}"] <= 1
                assert metrics[f"test_ndcg_at_10-{dim}d-{precision}_ci_low"] <= metrics[f"test_ndcg_at_10-{dim}d-{precision}"]
        assert metrics["best_ndcg_at_10-384d-float32"] == pytest.approx(metrics["best_ndcg_at_10"], abs=1e-9)  # the full size, cut to itself
    # What each smaller vector costs the untrained MiniLM (not trained for cuts): cut, and cut again; 8 bytes against 64
    untrained = baseline.data.metrics
    print("untrained MiniLM eval NDCG@10: " + ", ".join(f"{dim}-d {precision} {untrained[f'best_ndcg_at_10-{dim}d-{precision}']:.4f}"
                                                      for dim in (384, 128, 64) for precision in ("float32", "int8", "binary")))
    assert untrained["best_ndcg_at_10-64d-float32"] < untrained["best_ndcg_at_10-128d-float32"] < untrained["best_ndcg_at_10"]
    assert untrained["best_ndcg_at_10-64d-binary"] < untrained["best_ndcg_at_10-64d-int8"]
    assert untrained["best_ndcg_at_10-384d-int8"] > 0.9 * untrained["best_ndcg_at_10"]  # 4x smaller, nearly all kept
    print("eval NDCG@10 at 128-d int8 / full size: " + "; ".join(
        f"{loss}: {run.data.metrics['best_' + PICKED]:.4f} / {run.data.metrics['best_ndcg_at_10']:.4f}" for loss, run in trials.items()))
    picked = max(trials.values(), key=lambda run: run.data.metrics["best_" + PICKED])
    assert "picked by ndcg_at_10 at 128-d int8" in result.stdout and "serving variants" in result.stdout
    assert "search/serving.png" in [item.path for item in client.list_artifacts(parent.info.run_id, "search")]
    assert picked.data.tags["sweeps.model_logged"] == "true" and picked.data.tags["sweeps.serving_dim"] == "128"
    assert picked.data.metrics["time_serving_variants_s"] > 0

    promoted = run_module("sweeps.promote", "served", cwd=tmp_path)
    assert promoted.returncode == 0 and promoted.stdout.startswith(f"promoted: {picked.info.run_name} (best_{PICKED}="), promoted.stdout + promoted.stderr
    champion = client.get_model_version_by_alias("pydocs-128-int8", "champion")
    assert champion.run_id == picked.info.run_id
    assert (champion.tags["sweeps.serving_dim"], champion.tags["sweeps.serving_precision"]) == ("128", "int8")
    assert float(champion.tags[f"metric.test_{PICKED}"]) == pytest.approx(picked.data.metrics[f"test_{PICKED}"])

    import mlflow
    import mlflow.sentence_transformers

    mlflow.set_tracking_uri(f"sqlite:///{tmp_path}/mlflow.db")
    model = mlflow.sentence_transformers.load_model("models:/pydocs-128-int8@champion")
    assert model.encode(["open a file for reading", "sort a list in place"]).shape == (2, 128)
