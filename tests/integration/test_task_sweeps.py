"""STS and classification sweeps through the real CLI, on a real model: a real local Ray cluster, a real sqlite MLflow."""


import pytest
from subprocess_cli import REPO, run_module
from sweep_runs import children_of

STSB = REPO.parent / "shared" / "data" / "stsb_multi_mt"

# The sweep file, as written (only the source is filled in), with a soup of its two trials.
STS_CHECK = """
name: sts-check
task: sts
metric: {name: spearman_cosine, goal: maximize}
data:
  source: <folder>
  columns: {sentence1: sentence1, sentence2: sentence2, score: score}
  max_train_rows: 208            # 13 steps of 16: CosineSimilarityLoss is well past the untrained model by then
  max_eval_queries: 200         # pairs: the dev split's 1,500 cost more to encode than the training
  max_test_queries: 200         # of 1,379
parameters:
  base_model: {value: all-MiniLM-L6-v2}
  loss: {values: [CoSENTLoss, CosineSimilarityLoss]}
  max_seq_length: {value: 64}
  learning_rate: {value: 1e-4}
  per_device_train_batch_size: {value: 16}
  num_train_epochs: {value: 1}
evaluations_per_trial: 1       # one checkpoint per trial: the kept model is the last
keep_models: 2
soup: {method: greedy, top_k: 2}   # both trials: greedy tastes the second
mlflow: {tracking_uri: sqlite:///sts.db}
"""


def best_and_baseline(children, metric: str):
    trials = sorted((c for c in children if c.data.tags["sweeps.role"] == "trial"), key=lambda c: -c.data.metrics[f"best_{metric}"])
    baseline = next(c for c in children if c.data.tags["sweeps.role"] == "baseline")
    return trials, baseline


@pytest.mark.real_model
@pytest.mark.shared("stsb_multi_mt")
def test_a_german_sts_sweep_ranks_by_spearman_and_beats_the_untrained_model(tmp_path):
    """German STS-B: 208 training pairs less those the data check drops, 200 dev pairs pick, 200 test pairs judge (of 1,500 and 1,379)."""
    # STS-B's own three files, read from ../shared where they are (never copied), picked by a pattern.
    (tmp_path / "sts.yaml").write_text(STS_CHECK.replace("<folder>", str(STSB / "stsb-de-*.csv")))
    result = run_module("sweeps.run", "sts.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    # STS-B repeats sentences across its splits ("Ein Mann spielt Gitarre."): the pairs that share one with dev or test go.
    assert "data check: eval shares 16 sentences with train (4 exact, 12 near)" in result.stdout
    assert "data check: dropped 22 training rows that share a text with a held-out split (data.leaks: drop): 186 left" in result.stdout
    assert "task: sts" in result.stdout and "186 training pairs" in result.stdout
    assert "(train <- stsb-de-train.csv, eval <- stsb-de-dev.csv, test <- stsb-de-test.csv)" in result.stdout
    _, parent, children = children_of(tmp_path / "sts.db", "sts-check")
    assert parent.data.tags["sweeps.metric"] == "spearman_cosine"
    trials, baseline = best_and_baseline(children, "spearman_cosine")
    assert len(trials) == 2 and all(t.info.status == "FINISHED" for t in trials)
    assert {t.data.params["loss"] for t in trials} == {"CoSENTLoss", "CosineSimilarityLoss"}
    leaderboard = result.stdout[result.stdout.index("leaderboard"):]
    assert leaderboard.index(trials[0].info.run_name) < leaderboard.index(trials[-1].info.run_name)  # ranked by eval spearman
    best, untrained = trials[0].data.metrics, baseline.data.metrics
    print(f"German STS-B test spearman_cosine: untrained {untrained['test_spearman_cosine']:.4f} "
          f"[{untrained['test_spearman_cosine_ci_low']:.4f}, {untrained['test_spearman_cosine_ci_high']:.4f}], "
          f"best trial ({trials[0].data.params['loss']}, lr {trials[0].data.params['learning_rate']}) {best['test_spearman_cosine']:.4f} "
          f"[{best['test_spearman_cosine_ci_low']:.4f}, {best['test_spearman_cosine_ci_high']:.4f}]; pearson {best['test_pearson_cosine']:.4f}")
    assert best["test_spearman_cosine"] > untrained["test_spearman_cosine"]
    # Promotion decides by the paired test over the same test pairs, in one line either way.
    promoted = run_module("sweeps.promote", "sts-check", "--tracking-uri", "sqlite:///sts.db", cwd=tmp_path)
    decided = [line for line in (promoted.stdout + promoted.stderr).splitlines() if line.startswith(("promoted", "refused"))]
    assert promoted.returncode in (0, 1) and len(decided) == 1, promoted.stdout + promoted.stderr
    print(decided[0])
    assert promoted.returncode == 0 or "paired randomization test over the same 200 test queries" in decided[0]
    _the_soup_is_judged_like_a_trial_and_promotion_can_pick_it(tmp_path, result.stdout, parent, children, trials)


def _the_soup_is_judged_like_a_trial_and_promotion_can_pick_it(tmp_path, printed: str, parent, children, trials):
    (soup,) = [c for c in children if c.data.tags["sweeps.role"] == "soup"]
    params, metrics, tags = soup.data.params, soup.data.metrics, soup.data.tags
    names = {t.info.run_name: t for t in trials}
    ingredients = params["soup_ingredients"].split(",")
    # Greedy starts from the best trial; each next one joined only if eval Spearman did not drop.
    assert soup.info.status == "FINISHED" and soup.info.run_name == "soup-greedy" and ingredients[0] == trials[0].info.run_name
    assert set(ingredients) <= set(names) and params["soup_ingredient_run_ids"].split(",") == [names[n].info.run_id for n in ingredients]
    assert params["soup_weights"] == ",".join([f"{1 / len(ingredients):.6g}"] * len(ingredients)) and params["blend_base_alpha"] == "0.0"
    for key in ("best_spearman_cosine", "test_spearman_cosine", "test_spearman_cosine_ci_low", "test_spearman_cosine_ci_high",
                "soup_vs_best_trial_eval_p", "soup_vs_best_trial_test_p", "time_soup_averaging_s", "time_soup_evaluating_s"):
        assert key in metrics, key
    assert metrics["best_spearman_cosine"] >= trials[0].data.metrics["best_spearman_cosine"] - 1e-4  # greedy never drops on eval
    print(f"German STS-B soup of {len(ingredients)}: eval {metrics['best_spearman_cosine']:.4f} ({tags['sweeps.soup_vs_best']}), test "
          f"{metrics['test_spearman_cosine']:.4f} against the best trial's {trials[0].data.metrics['test_spearman_cosine']:.4f} "
          f"(p={metrics['soup_vs_best_trial_test_p']:.2f})")
    assert tags["sweeps.soup_vs_best"].startswith(("≈ best trial", "better than best trial", "worse than best trial"))
    assert tags["sweeps.model_logged"] == "true" and parent.data.tags["sweeps.soup"].startswith("soup: soup-greedy (greedy soup of ")
    assert "soup: greedy, best first: " in printed and f"soup-greedy ({len(ingredients)} trial" in printed  # its leaderboard row
    assert "trial and soup time: " in printed and "soup evaluation" in printed
    # Promotion can name it, and judges it as it judges a trial: against its untrained baseline on the same test pairs.
    named = run_module("sweeps.promote", "sts-check", "--run", "soup-greedy", "--name", "sts-soup", "--dry-run",
                       "--tracking-uri", "sqlite:///sts.db", cwd=tmp_path)
    decided = (named.stdout + named.stderr).strip().splitlines()[-1]
    assert decided.startswith(("dry run: soup-greedy (best_spearman_cosine=", "refused: soup-greedy test_spearman_cosine=")), decided


@pytest.mark.real_model
def test_a_classification_sweep_logs_its_metrics_and_beats_the_untrained_model(tmp_path):
    """The shipped glosses labelled by WordNet category, with BatchSemiHardTripletLoss."""
    example = (REPO / "examples" / "classification.yaml").read_text()
    # One loss of the three, two epochs of three, evaluated once at the end: the test asks that it beats the untrained
    # model (by 0.06 triplet accuracy and 0.07 kNN accuracy here), not by how much.
    sweep = example.replace("source: data/", f"source: {REPO}/examples/data/").replace(
        "values: [BatchSemiHardTripletLoss, BatchAllTripletLoss, BatchHardSoftMarginTripletLoss]", "value: BatchSemiHardTripletLoss").replace(
        "evaluations_per_trial: 2", "evaluations_per_trial: 1").replace("num_train_epochs: {value: 3}", "num_train_epochs: {value: 2}")
    assert sweep != example
    (tmp_path / "classification.yaml").write_text(sweep)
    result = run_module("sweeps.run", "classification.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    _, _, children = children_of(tmp_path / "mlflow.db", "wordnet-categories")
    (trial,), baseline = best_and_baseline(children, "triplet_accuracy")
    for key in ("triplet_accuracy", "knn_accuracy", "recall_at_1", "recall_at_3", "recall_at_5", "mrr_at_10"):
        assert 0 <= trial.data.metrics[f"test_{key}"] <= 1 and f"best_{key}" in trial.data.metrics and f"test_{key}" in baseline.data.metrics
    tuned, untrained = trial.data.metrics, baseline.data.metrics
    print("WordNet categories, test: " + ", ".join(f"{key} untrained {untrained[f'test_{key}']:.4f} tuned {tuned[f'test_{key}']:.4f}"
                                                   for key in ("triplet_accuracy", "knn_accuracy", "recall_at_1")))
    assert tuned["test_triplet_accuracy"] > untrained["test_triplet_accuracy"]
    assert tuned["test_knn_accuracy"] > untrained["test_knn_accuracy"]
