"""Tasks: which one a sweep file means, what its metrics and losses are, and how STS and labelled data are read and split."""

import json

import pytest

from search_spaces.losses import LOSSES

from sweeps.data.prepare import prepare_data
from sweeps.sweep_file.schema import DataConfig
from sweeps.errors import SweepInputError
from sweeps.sweep_file.loading import load_sweep_file
from trainables.contract.metrics import rename_evaluator_metrics
from trainables.contract.tasks import TASKS, infer_task


def sweep_file(tmp_path, body: str):
    path = tmp_path / "sweep.yaml"
    path.write_text("name: t\n" + body + "parameters:\n  base_model: {value: all-MiniLM-L6-v2}\n")
    return load_sweep_file(path)


def test_the_task_is_inferred_from_the_mapped_roles_and_fills_its_defaults(tmp_path):
    assert infer_task({}) == ("retrieval", [])
    assert infer_task({"anchor": "q", "negatives": ["a", "b"]}) == ("retrieval", [])
    assert infer_task({"sentence1": "a", "sentence2": "b", "score": "s"}) == ("sts", [])
    assert infer_task({"text": "t", "label": "l"}) == ("classification", [])
    assert infer_task({"anchor": "q", "label": "l"}) == (None, ["retrieval", "classification"])
    sts = sweep_file(tmp_path, "data: {source: x.csv, columns: {sentence1: a, sentence2: b, score: s}}\n")
    assert (sts.task, sts.metric.key, sts.parameters["loss"].value) == ("sts", "spearman_cosine", "CoSENTLoss")
    labelled = sweep_file(tmp_path, "task: classification\ndata: {source: x.csv}\n")
    assert (labelled.task, labelled.metric.key, labelled.parameters["loss"].value) == ("classification", "triplet_accuracy", "BatchSemiHardTripletLoss")
    retrieval = sweep_file(tmp_path, "data: {source: x.jsonl}\nmetric: {name: ndcg@5, also: [recall@1]}\n")
    assert (retrieval.task, retrieval.metric.key, retrieval.metric.also_keys) == ("retrieval", "ndcg_at_5", ["recall_at_1"])


def test_each_task_produces_its_own_metrics_and_fits_its_own_losses():
    retrieval, sts, classification = TASKS["retrieval"], TASKS["sts"], TASKS["classification"]
    assert retrieval.metric_key("ndcg@1") == "ndcg_at_1" and retrieval.metric_key("recall_at_5") == "recall_at_5"
    assert retrieval.metric_key("spearman_cosine") is None and sts.metric_key("ndcg@10") is None
    assert classification.metric_key("recall@3") == "recall_at_3" and classification.metric_key("recall@10") is None
    assert {loss for loss in sts.fitting_losses() if not LOSSES[loss].wraps_a_loss} == {"CoSENTLoss", "AnglELoss", "CosineSimilarityLoss"}
    assert {loss for loss in classification.fitting_losses() if not LOSSES[loss].wraps_a_loss} == {
        "BatchSemiHardTripletLoss", "BatchAllTripletLoss", "BatchHardTripletLoss", "BatchHardSoftMarginTripletLoss"}
    assert not sts.fits("MultipleNegativesRankingLoss") and retrieval.fits("CoSENTLoss")  # retrieval rows reshape into scored pairs


def test_every_evaluator_output_has_one_name():
    raw = {"eval_ir_cosine_ndcg@10": 0.5, "ir_cosine_ndcg@1": 0.3, "eval_triplet_cosine_accuracy": 0.9, "eval_sts_spearman_cosine": 0.8,
           "sts_pearson_cosine": 0.7, "knn_accuracy": 0.6, "labels_cosine_recall@3": 0.4, "ir_cosine_precision@10": 0.1, "eval_loss": 1.0}
    assert rename_evaluator_metrics(raw) == {"ndcg_at_10": 0.5, "ndcg_at_1": 0.3, "triplet_accuracy": 0.9, "spearman_cosine": 0.8,
                                             "pearson_cosine": 0.7, "knn_accuracy": 0.6, "recall_at_3": 0.4}


def write_csv(path, header, rows):
    path.write_text("\n".join([",".join(header)] + [",".join(str(value) for value in row) for row in rows]) + "\n")


def test_sts_scores_are_mapped_onto_0_1_from_their_range(tmp_path):
    write_csv(tmp_path / "pairs.csv", ["a", "b", "s"], [(f"first {i}", f"second {i}", i % 6) for i in range(60)])
    config = {"source": "pairs.csv", "columns": {"sentence1": "a", "sentence2": "b", "score": "s"}, "eval_fraction": 0.2, "test_fraction": 0.2}
    with pytest.raises(SweepInputError, match="data.score_range` must give the scale of the scores"):
        prepare_data(DataConfig(**config), 0, "F", tmp_path, "sts")
    data = prepare_data(DataConfig(**{**config, "score_range": (0, 5)}), 0, "F", tmp_path, "sts")
    assert (len(data.train["score"]), len(data.eval.score), len(data.test.score)) == (36, 12, 12)
    assert min(data.train["score"]) == 0.0 and max(data.train["score"]) == 1.0 and 0.4 in data.train["score"]
    assert data.eval.task == "sts" and set(data.eval.record()) == {"task", "sentence1", "sentence2", "score"}
    texts = [set(data.train["sentence1"]), set(data.eval.sentence1), set(data.test.sentence1)]
    assert not (texts[0] & texts[1] or texts[0] & texts[2] or texts[1] & texts[2])  # each pair in one split


def test_the_classification_split_is_stratified_and_keeps_rare_labels_in_train(tmp_path):
    rows = [(f"text {label} {i}", label) for label, count in (("food", 30), ("animal", 20), ("tool", 10), ("rare", 2)) for i in range(count)]
    write_csv(tmp_path / "texts.csv", ["text", "label"], rows)
    data = prepare_data(DataConfig(**{"source": "texts.csv", "eval_fraction": 0.2, "test_fraction": 0.2}), 0, "F", tmp_path, "classification")
    counts = {split: {label: labels.count(label) for label in set(labels)}
              for split, labels in (("eval", data.eval.labels), ("test", data.test.labels))}
    assert counts["eval"] == counts["test"] == {"food": 6, "animal": 4, "tool": 2}  # each label in proportion
    assert data.notes == ("labels kept whole in train, too few rows to also evaluate on: rare (2 rows)",)
    assert len(data.train["label"]) == 62 - 24 and len(set(data.train["label"])) == 4
    assert data.eval.label_names == ["animal", "food", "rare", "tool"]
    triplets = data.eval.triplets
    label_of = dict(rows)
    assert all(label_of[a] == label_of[p] != label_of[n] and a != p for a, p, n in zip(triplets.anchor, triplets.positive, triplets.negative))
    again = prepare_data(DataConfig(**{"source": "texts.csv", "eval_fraction": 0.2, "test_fraction": 0.2}), 0, "F", tmp_path, "classification")
    assert again.fingerprint == data.fingerprint  # deterministic


def test_integer_labels_have_no_names_to_rank(tmp_path):
    (tmp_path / "texts.jsonl").write_text("\n".join(json.dumps({"t": f"text {i}", "y": i % 3}) for i in range(30)))
    data = prepare_data(DataConfig(**{"source": "texts.jsonl", "columns": {"text": "t", "label": "y"}, "eval_fraction": 0.2, "test_fraction": 0.2}),
                        0, "F", tmp_path, "classification")
    assert data.eval.label_names is None and set(data.eval.labels) == {0, 1, 2}


def test_a_correlation_is_bounded_and_tested_by_resampling_pairs_with_their_gold_scores():
    import numpy as np
    from scipy.stats import spearmanr

    from sweeps.significance import paired_p_value
    from trainables.evaluation.item_keeping_evaluator import confidence_intervals

    rng = np.random.default_rng(0)
    gold = rng.random(300)
    close, loose = gold + rng.normal(0, 0.1, 300), gold + rng.normal(0, 0.6, 300)
    items = {"spearman_cosine": {str(i): float(v) for i, v in enumerate(close)}, "gold_score": {str(i): float(v) for i, v in enumerate(gold)}}
    intervals = confidence_intervals(items)
    assert intervals["spearman_cosine_ci_low"] < spearmanr(close, gold).statistic < intervals["spearman_cosine_ci_high"]
    assert "gold_score_ci_low" not in intervals
    ours = {str(i): [float(close[i]), float(gold[i])] for i in range(300)}
    theirs = {str(i): [float(loose[i]), float(gold[i])] for i in range(300)}
    assert paired_p_value(ours, theirs, "spearman_cosine")[0] < 0.001
    assert paired_p_value(ours, ours, "spearman_cosine") == (1.0, 300)
    # Two models as good as each other, each with noise of its own: inside the noise.
    twin = gold + rng.normal(0, 0.1, 300)
    assert paired_p_value(ours, {str(i): [float(twin[i]), float(gold[i])] for i in range(300)}, "spearman_cosine")[0] > 0.05


def test_other_retrieval_cutoffs_are_computed_on_request_without_changing_the_data_fingerprint():
    from pathlib import Path

    from trainables.evaluation.evaluators import build_evaluator

    repo = Path(__file__).resolve().parents[4]
    config = {"source": str(repo / "examples/data/pydocs.jsonl"), "columns": {"anchor": "query", "positive": "passage"},
              "eval_fraction": 0.1, "test_fraction": 0.1, "eval_corpus_size": 100, "max_eval_queries": 20}
    plain = prepare_data(DataConfig(**config), 42, "F", repo)
    asked = prepare_data(DataConfig(**config), 42, "F", repo, "retrieval", ("ndcg_at_5", "recall_at_1", "ndcg_at_10"))
    assert plain.eval.cutoffs == () and asked.eval.cutoffs == asked.test.cutoffs == ("ndcg_at_5", "recall_at_1")
    assert asked.fingerprint == plain.fingerprint  # the same data, judged at more cutoffs
    retrieval, _ = build_evaluator(asked.eval).evaluators
    assert (retrieval.ndcg_at_k, retrieval.precision_recall_at_k, retrieval.mrr_at_k) == ([5, 10], [1, 10], [10])


def test_sweeps_evaluate_reads_a_bare_sts_source_or_a_sweep_files_own_task(tmp_path):
    from pathlib import Path

    from sweeps.evaluate import evaluation_set, set_size

    repo = Path(__file__).resolve().parents[4]
    split, origin, _ = evaluation_set(str(repo / "examples/data/wordnet_sts"), "test", 42, "sts")
    assert split.task == "sts" and set_size(split) == {"pairs": 150} and origin.endswith("wordnet_sts")
    labelled, _, fingerprint = evaluation_set(str(repo / "examples/classification.yaml"), "test", 0)
    assert labelled.task == "classification" and set_size(labelled) == {"texts": 96} and len(fingerprint) == 16


def test_sweeps_evaluate_judges_a_single_file_whole_and_says_so(tmp_path):
    """A file that is itself a test set (stsb-de-test.csv) is never carved: every pair is judged, and the origin says so."""
    import json
    from pathlib import Path

    from sweeps.evaluate import evaluation_set, set_size

    repo = Path(__file__).resolve().parents[4]
    whole, origin, _ = evaluation_set(str(repo / "examples/data/wordnet_sts/test.csv"), "test", 42, "sts")
    rows = len((repo / "examples/data/wordnet_sts/test.csv").read_text().strip().splitlines()) - 1
    assert set_size(whole) == {"pairs": rows} and origin.endswith("(one file: judged whole, no split carved from it)")
    lines = (repo / "examples/data/pydocs.jsonl").read_text().splitlines()
    (tmp_path / "pairs.jsonl").write_text("".join(json.dumps({"anchor": row["query"], "positive": row["passage"]}) + "\n"
                                                  for row in map(json.loads, lines)))
    pairs, _, _ = evaluation_set(str(tmp_path / "pairs.jsonl"), "test", 42)
    assert set_size(pairs)["queries"] > 400  # every query of the file, not a tenth


def test_each_task_of_the_table_has_its_evaluators_and_its_kind_of_evaluation_set():
    from trainables.contract.evaluation_sets import LabelledTextSet, QueryCorpusSet, ScoredPairSet
    from trainables.evaluation.evaluators import TASK_EVALUATORS

    assert set(TASK_EVALUATORS) == set(TASKS) == {kind.task for kind in (QueryCorpusSet, ScoredPairSet, LabelledTextSet)}
