"""The retrieval and triplet evaluators share one encoding per text and call: the same figures as
sentence-transformers' own evaluators, for fewer texts encoded, and prompts applied once."""

import dataclasses
from pathlib import Path

import pytest

from sweeps.data.prepare import prepare_data
from sweeps.sweep_file.schema import DataConfig
from trainables.contract.metrics import rename_evaluator_metrics
from trainables.evaluation.evaluators import build_evaluator
from trainables.prompts import Prompts

REPO = Path(__file__).resolve().parents[2]
DATA = {"source": str(REPO / "examples/data/pydocs.jsonl"), "columns": {"anchor": "query", "positive": "passage"},
        "eval_fraction": 0.1, "test_fraction": 0.1, "eval_corpus_size": 80, "max_eval_queries": 30}


@pytest.fixture(scope="module")
def evaluation_set():
    return prepare_data(DataConfig(**DATA), 42, "sweep.yaml", REPO).eval


@pytest.fixture
def model(tiny_model_dir):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(tiny_model_dir), device="cpu")


def counting_encoder(model, monkeypatch):
    """Every text the model is asked to embed, by the encoder it went through and its prompt."""
    seen = []
    for name in ("encode_query", "encode_document"):
        original = getattr(model, name)

        def counted(inputs, *args, _original=original, _name=name, **kwargs):
            seen.extend((_name, kwargs.get("prompt"), text) for text in inputs)
            return _original(inputs, *args, **kwargs)

        monkeypatch.setattr(model, name, counted)
    return seen


def library_figures(model, evaluation_set, prompts: Prompts):
    from sentence_transformers.sentence_transformer.evaluation import InformationRetrievalEvaluator, TripletEvaluator

    retrieval = InformationRetrievalEvaluator(evaluation_set.queries, evaluation_set.corpus,
                                              {query: set(docs) for query, docs in evaluation_set.relevant.items()}, name="ir",
                                              accuracy_at_k=[1, 10], precision_recall_at_k=[10], mrr_at_k=[10], ndcg_at_k=[10],
                                              map_at_k=[100], query_prompt=prompts.query, corpus_prompt=prompts.document,
                                              show_progress_bar=False)
    triplets = evaluation_set.triplets
    # With its prompts written into the texts and the model's own prompts off, TripletEvaluator sees each text once prompted.
    triplet = TripletEvaluator([(prompts.query or "") + text for text in triplets.anchor],
                               [(prompts.document or "") + text for text in triplets.positive],
                               [(prompts.document or "") + text for text in triplets.negative], name="triplet",
                               similarity_fn_names=["cosine"], show_progress_bar=False)
    return rename_evaluator_metrics({**retrieval(model), **triplet(model)})


@pytest.mark.parametrize("prompts", [Prompts(), Prompts(query="query: ", document="passage: ")], ids=["no prompts", "prompts"])
def test_shared_encodings_give_the_library_evaluators_figures(model, evaluation_set, prompts):
    shared = rename_evaluator_metrics(build_evaluator(evaluation_set, prompts=prompts)(model))
    expected = library_figures(model, evaluation_set, prompts)
    assert set(expected) <= set(shared)
    assert {key: shared[key] for key in expected} == pytest.approx(expected, abs=1e-6)


def test_each_text_is_encoded_once_per_evaluation(model, evaluation_set, monkeypatch):
    seen = counting_encoder(model, monkeypatch)
    evaluator = build_evaluator(evaluation_set)
    evaluator(model)
    assert len(seen) == len(set(seen))
    triplets = evaluation_set.triplets
    without_sharing = len(evaluation_set.queries) + len(evaluation_set.corpus) + 3 * len(triplets.anchor)
    assert len(seen) < without_sharing - 2 * len(triplets.anchor)  # the triplets' anchors and positives were all there
    evaluator(model)  # a new call is a new model state: everything is encoded again
    assert len(seen) == 2 * len(set(seen))


def test_the_triplet_evaluator_keeps_each_triplets_outcome(model, evaluation_set):
    evaluator = build_evaluator(evaluation_set)
    metrics = rename_evaluator_metrics(evaluator(model))
    outcomes = evaluator.evaluators[1].last_outcomes
    assert len(outcomes) == len(evaluation_set.triplets.anchor)
    assert sum(outcomes) / len(outcomes) == pytest.approx(metrics["triplet_accuracy"], abs=1e-6)  # float32 there


def test_a_duplicate_passage_is_a_tie_and_the_figures_do_not_follow_its_id(model, evaluation_set):
    """Each relevant passage also in the corpus as a copy under another id (a page crawled twice): any model scores the
    two alike. The library ranks whichever id sorts first above the other, so its figures follow the ids; here the tie
    counts as a tie, and each figure is the same whichever way the ids sort: for the figures that are sums over ranks
    (NDCG's gain, recall), the mean of the library's two."""
    relevant = {doc for docs in evaluation_set.relevant.values() for doc in docs}

    def with_copies(mark: str) -> dict:  # "!" sorts before every id here, "~" after
        return dataclasses.replace(evaluation_set, corpus={**evaluation_set.corpus, **{mark + doc: evaluation_set.corpus[doc] for doc in relevant}})

    ours = {mark: rename_evaluator_metrics(build_evaluator(with_copies(mark))(model)) for mark in "!~"}
    library = {mark: library_figures(model, with_copies(mark), Prompts()) for mark in "!~"}
    assert library["!"]["ndcg_at_10"] < library["~"]["ndcg_at_10"]  # the copy ranked first costs the relevant passage a place
    for key in ("ndcg_at_10", "mrr_at_10", "recall_at_10", "map_at_100"):
        assert ours["!"][key] == pytest.approx(ours["~"][key], abs=1e-9), key
    for key in ("ndcg_at_10", "recall_at_10"):
        assert ours["!"][key] == pytest.approx((library["!"][key] + library["~"][key]) / 2, abs=1e-6), key
