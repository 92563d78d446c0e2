"""Build sentence-transformers evaluators from a prepared evaluation set (plain dicts), with the trial's prompts."""

from __future__ import annotations

from trainables.metrics import IR_EVALUATOR_NAME, TRIPLET_EVALUATOR_NAME
from trainables.prompts import Prompts

NO_PROMPTS = Prompts()


def build_evaluator(evaluation_set: dict, batch_size: int = 64, prompts: Prompts = NO_PROMPTS, write_predictions: bool = False):
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
        query_prompt=prompts.query,
        corpus_prompt=prompts.document,
        write_predictions=write_predictions,
    )
    triplets = evaluation_set["triplets"]
    # TripletEvaluator takes no prompts: they are the texts' first words, as the model sees them in training.
    query, document = prompts.query or "", prompts.document or ""
    triplet = TripletEvaluator(
        anchors=[query + text for text in triplets["anchor"]],
        positives=[document + text for text in triplets["positive"]],
        negatives=[document + text for text in triplets["negative"]],
        name=TRIPLET_EVALUATOR_NAME,
        batch_size=batch_size,
        show_progress_bar=False,
    )
    return SequentialEvaluator([retrieval, triplet], main_score_function=lambda scores: scores[0])

