"""Mined hard negatives and a forgetting guard through the real CLI: NorQuAD trained, SciFact guarded."""

import json
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient
from subprocess_cli import REPO, run_module

SHARED_DATA = REPO.parent / "shared" / "data"
SWEEP = """
name: guarded
method: grid
seed: 42
evaluations_per_trial: 1   # the guard judges the kept checkpoint: one evaluation, at the end, is enough to keep
data:
  source: {shared}/norquad
  eval_fraction: 0.05
  max_train_rows: 160
  eval_corpus_size: 150
  max_eval_queries: 60
  max_test_queries: 60
  # Mined at 32 tokens: encoding the whole NorQuAD corpus to mine from is most of this test's time.
  hard_negatives: {{num_negatives: 3, model: all-MiniLM-L6-v2, range_min: 5, relative_margin: 0.05, max_seq_length: 32}}
parameters:
  base_model: {{value: all-MiniLM-L6-v2}}
  max_seq_length: {{value: 64}}
  learning_rate: {{values: [1.0e-6, 2.0e-4]}}
  per_device_train_batch_size: {{value: 16}}
  num_train_epochs: {{value: 1}}
guard:
  # max_drop 0: any forgetting at all is over the limit, so the test knows which way promotion must go.
  - {{name: scifact, source: {shared}/scifact_beir, split: test, metric: ndcg@10, max_drop: 0.0, max_queries: 60, corpus_size: 300}}
mlflow: {{tracking_uri: "sqlite:///mlflow.db"}}
storage_path: ray_results
"""


@pytest.mark.real_model
@pytest.mark.shared("norquad", "scifact_beir")
def test_mined_negatives_train_and_the_guard_keeps_a_forgetful_trial_from_promotion(tmp_path):
    (tmp_path / "guarded.yaml").write_text(SWEEP.format(shared=SHARED_DATA))
    dry = run_module("sweeps.run", "guarded.yaml", "--dry-run", cwd=tmp_path)
    assert dry.returncode == 0 and "mined with all-MiniLM-L6-v2" in dry.stdout and "dry run: nothing mined" in dry.stdout, dry.stderr[-2000:]
    assert not (tmp_path / "ray_results" / "hard_negatives").exists()
    # The guard set is compared with every split too (SciFact shares nothing with NorQuAD), before anything is mined.
    assert "data check: train, eval, test, guard scifact " in dry.stdout and "guard scifact shares" not in dry.stdout
    result = run_module("sweeps.run", "guarded.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "it/s]" not in result.stdout + result.stderr  # mining's encode bars stay off the sweep's lines

    client = MlflowClient(f"sqlite:///{tmp_path}/mlflow.db")
    experiment = client.get_experiment_by_name("guarded").experiment_id
    parent = client.search_runs([experiment], "tags.`sweeps.role` = 'sweep'")[0]
    children = client.search_runs([experiment], f"tags.`mlflow.parentRunId` = '{parent.info.run_id}'")
    # The miner's statistics on the parent run.
    assert 0 < parent.data.metrics["hard_negatives_training_rows"] <= 160  # rows left with too few negatives are dropped
    assert 0 < parent.data.metrics["hard_negatives_negative_score_p50"] < parent.data.metrics["hard_negatives_positive_score_p50"]
    stats = json.loads(Path(client.download_artifacts(parent.info.run_id, "hard_negatives/stats.json", str(tmp_path))).read_text())
    assert stats["pairs_with_negatives"] + stats["pairs_with_too_few"] == stats["pairs"]
    assert len(list((tmp_path / "ray_results" / "hard_negatives").glob("*.json"))) == 1  # cached for --resume and the next sweep
    # Every trial and baseline is judged on the guard; the drop is the baseline's value minus the trial's.
    baseline = next(run for run in children if run.data.tags["sweeps.role"] == "baseline")
    trials = sorted((run for run in children if run.data.tags["sweeps.role"] == "trial"), key=lambda run: -run.data.metrics["best_ndcg_at_10"])
    assert len(trials) == 2 and baseline.data.metrics["guard_scifact_drop"] == 0
    for run in trials:
        metrics = run.data.metrics
        assert metrics["guard_scifact_drop"] == pytest.approx(baseline.data.metrics["guard_scifact_ndcg_at_10"] - metrics["guard_scifact_ndcg_at_10"])
    best = trials[0]
    print(f"NorQuAD test NDCG@10: untrained {baseline.data.metrics['test_ndcg_at_10']:.4f}, best trial "
          f"(lr {best.data.params['learning_rate']}) {best.data.metrics['test_ndcg_at_10']:.4f}; SciFact NDCG@10 drop "
          + ", ".join(f"lr {run.data.params['learning_rate']}: {run.data.metrics['guard_scifact_drop']:+.4f}" for run in trials))
    assert best.data.params["learning_rate"] == "0.0002"
    assert best.data.metrics["test_ndcg_at_10"] > baseline.data.metrics["test_ndcg_at_10"]  # mined negatives trained something real
    assert "guard_scifact_drop" in result.stdout  # the leaderboard shows it, and the search report draws the trade-off
    assert "search/forgetting.png" in [item.path for item in client.list_artifacts(parent.info.run_id, "search")]
    assert best.data.metrics["guard_scifact_drop"] > 0, "the strongly trained trial forgot nothing on SciFact: the test can't check the guard"
    assert "over its max_drop 0" in best.data.tags["sweeps.guard_exceeded"]

    promoted = run_module("sweeps.promote", "guarded", cwd=tmp_path)
    passed_over = f"passed over {best.info.run_name}: guard scifact ndcg_at_10 dropped"
    assert passed_over in promoted.stdout + promoted.stderr, promoted.stdout + promoted.stderr
    if promoted.returncode == 0:  # the guard picked the other trial
        assert trials[1].info.run_name in promoted.stdout and "promoted" in promoted.stdout
    else:  # or refused: the other trial was over too, or doesn't beat its baseline
        assert promoted.returncode == 1 and "refused:" in promoted.stderr
