"""Build sentence-transformers evaluators from a prepared evaluation set (plain dicts)."""

from __future__ import annotations

from trainables.metrics import IR_EVALUATOR_NAME, TRIPLET_EVALUATOR_NAME, rename_evaluator_metrics


def build_evaluator(evaluation_set: dict, batch_size: int = 64):
    from sentence_transformers.sentence_transformer.evaluation import (
        InformationRetrievalEvaluator,
        SequentialEvaluator,
        TripletEvaluator,
    )

    retrieval = InformationRetrievalEvaluator(
        queries=evaluation_set["queries"],
        corpus=evaluation_set["corpus"],
        relevant_docs={query_id: set(docs) for query_id, docs in evaluation_set["relevant"].items()},
        name=IR_EVALUATOR_NAME,
        batch_size=batch_size,
        show_progress_bar=False,
        mrr_at_k=[10],
        ndcg_at_k=[10],
        accuracy_at_k=[1, 10],
        precision_recall_at_k=[10],
        map_at_k=[100],
    )
    triplets = evaluation_set["triplets"]
    triplet = TripletEvaluator(
        anchors=triplets["anchor"],
        positives=triplets["positive"],
        negatives=triplets["negative"],
        name=TRIPLET_EVALUATOR_NAME,
        batch_size=batch_size,
        show_progress_bar=False,
    )
    return SequentialEvaluator([retrieval, triplet], main_score_function=lambda scores: scores[0])


def evaluate(model, evaluation_set: dict, prefix: str = "") -> dict[str, float]:
    """Our metric names for `model` on one prepared evaluation set."""
    return rename_evaluator_metrics(build_evaluator(evaluation_set)(model), prefix=prefix)
