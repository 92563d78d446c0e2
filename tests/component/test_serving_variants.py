"""Every serving variant scored from one full-size encoding: the cut figures are sentence-transformers' own evaluators
run with `truncate_dim`, each text is still encoded once, and int8 ranges come from training texts only."""

import dataclasses
from pathlib import Path

import pytest

from sweeps.data.prepare import prepare_data
from sweeps.data.serving_calibration import serving_plan
from trainables.contract.evaluation_sets import with_serving
from sweeps.sweep_file.schema import DataConfig
from trainables.contract.metrics import rename_evaluator_metrics
from trainables.contract.serving import ServingVariant, variants_of
from trainables.evaluation.evaluators import build_evaluator
from trainables.evaluation.item_keeping_evaluator import ItemKeepingEvaluator, evaluate_in_detail

REPO = Path(__file__).resolve().parents[2]
RETRIEVAL = {"source": str(REPO / "examples/data/pydocs.jsonl"), "columns": {"anchor": "query", "positive": "passage"},
             "eval_fraction": 0.1, "test_fraction": 0.1, "eval_corpus_size": 80, "max_eval_queries": 30}
STS = {"source": str(REPO / "examples/data/wordnet_sts"), "columns": {"sentence1": "sentence1", "sentence2": "sentence2", "score": "score"}}
VARIANTS = variants_of([32, 16, 8], ["float32", "int8", "binary"])  # the tiny BERT's 32 dimensions, and two cuts


@pytest.fixture(scope="module")
def retrieval_data():
    data = prepare_data(DataConfig(**RETRIEVAL), 42, "sweep.yaml", REPO)
    plan = serving_plan(VARIANTS, data.train, "retrieval", [data.eval, data.test], 42)
    return data, with_serving(data.eval, plan)


@pytest.fixture
def model(tiny_model_dir):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(tiny_model_dir), device="cpu")


def test_cut_figures_are_the_library_evaluators_with_truncate_dim(model, retrieval_data):
    """Each cut figure is the retrieval and triplet evaluators' own, run with `truncate_dim`: to 1e-7 (a float32 mean) as this
    project runs them (tied scores counted as ties), and to 1e-6 as the library runs them where no near-tie reaches
    the cutoff (the tiny BERT's cut vectors have passages within 1e-6 of each other deep in the rankings, which MAP@100
    reaches and the library orders by id)."""
    from sentence_transformers.sentence_transformer.evaluation import InformationRetrievalEvaluator, TripletEvaluator

    data, evaluation_set = retrieval_data
    metrics, items = evaluate_in_detail(model, evaluation_set)
    for dim in (16, 8):
        variant = ServingVariant(dim)
        ours = build_evaluator(evaluation_set)
        for evaluator in ours.evaluators:
            evaluator.truncate_dim = dim
        for key, value in rename_evaluator_metrics(ours(model)).items():
            assert metrics[variant.key(key)] == pytest.approx(value, abs=1e-7), (dim, key)
            assert sum(items[variant.key(key)].values()) / len(items[variant.key(key)]) == pytest.approx(value, abs=1e-7)
        library = InformationRetrievalEvaluator(evaluation_set.queries, evaluation_set.corpus,
                                                {query: set(docs) for query, docs in evaluation_set.relevant.items()}, name="ir",
                                                precision_recall_at_k=[10], mrr_at_k=[10], ndcg_at_k=[10], map_at_k=[100],
                                                show_progress_bar=False, truncate_dim=dim)
        triplets = evaluation_set.triplets
        triplet = TripletEvaluator(triplets.anchor, triplets.positive, triplets.negative, name="triplet", similarity_fn_names=["cosine"],
                                   show_progress_bar=False, truncate_dim=dim)
        expected = rename_evaluator_metrics({**library(model), **triplet(model)})
        for key in ("ndcg_at_10", "mrr_at_10", "recall_at_10", "triplet_accuracy"):
            assert metrics[variant.key(key)] == pytest.approx(expected[key], abs=1e-6), (dim, key)
    # the full size, cut to all its dimensions, is the full-size figure
    assert metrics["ndcg_at_10-32d-float32"] == pytest.approx(metrics["ndcg_at_10"], abs=1e-9)


def test_sts_cut_figures_are_the_library_evaluator_with_truncate_dim(model):
    from sentence_transformers.sentence_transformer.evaluation import EmbeddingSimilarityEvaluator

    data = prepare_data(DataConfig(**STS), 42, "sweep.yaml", REPO, "sts")
    evaluation_set = with_serving(data.eval, serving_plan(VARIANTS, data.train, "sts", [data.eval, data.test], 42))
    metrics, items = evaluate_in_detail(model, evaluation_set)
    for dim in (16, 8):
        library = EmbeddingSimilarityEvaluator(evaluation_set.sentence1, evaluation_set.sentence2, evaluation_set.score,
                                               similarity_fn_names=["cosine"], name="sts", truncate_dim=dim, show_progress_bar=False)
        expected = rename_evaluator_metrics(library(model))
        for key in ("spearman_cosine", "pearson_cosine"):
            assert metrics[f"{key}-{dim}d-float32"] == pytest.approx(expected[key], abs=1e-6), (dim, key)
    assert set(items["spearman_cosine-8d-int8"]) == set(items["gold_score"])  # per-pair similarities, for intervals and paired tests


def test_each_text_is_encoded_once_and_calibration_sees_only_training_texts(model, retrieval_data, monkeypatch):
    data, evaluation_set = retrieval_data
    plan = evaluation_set.serving
    held_out = {text for split in (data.eval, data.test) for pool in split.text_pools() for text in pool}
    assert plan.query_texts and plan.document_texts
    assert not (set(plan.query_texts) | set(plan.document_texts)) & held_out
    assert set(plan.query_texts) <= set(data.train["anchor"]) and set(plan.document_texts) <= set(data.train["positive"])

    encoded = []
    original = model.encode

    def counted(inputs, *args, **kwargs):
        encoded.extend([inputs] if isinstance(inputs, str) else list(inputs))
        return original(inputs, *args, **kwargs)

    monkeypatch.setattr(model, "encode", counted)
    without = ItemKeepingEvaluator(dataclasses.replace(evaluation_set, serving=None))
    without(model)
    plain = list(encoded)
    encoded.clear()
    ItemKeepingEvaluator(evaluation_set)(model)
    # the variants add the calibration texts and nothing else: no eval text is encoded twice
    assert sorted(encoded) == sorted(plain + list(plan.query_texts) + list(plan.document_texts))


def test_classification_variants_vote_and_rank_as_the_full_size_does(model):
    """The kNN vote and the label ranking at every variant; at the full size in float32 they are the full-size figures."""
    config = DataConfig(source=str(REPO / "examples/data/wordnet_glosses.csv"), columns={"text": "gloss", "label": "category"},
                        max_train_rows=200, max_eval_queries=60)
    data = prepare_data(config, 42, "sweep.yaml", REPO, "classification")
    evaluation_set = with_serving(data.eval, serving_plan(VARIANTS, data.train, "classification", [data.eval, data.test], 42))
    metrics, items = evaluate_in_detail(model, evaluation_set)
    for key in ("knn_accuracy", "triplet_accuracy", "recall_at_1", "mrr_at_10"):
        assert metrics[f"{key}-32d-float32"] == pytest.approx(metrics[key], abs=1e-6), key
        for variant in VARIANTS:
            assert set(items[variant.key(key)]) == set(items[key])  # per-item, for intervals and paired tests
