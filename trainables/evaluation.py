"""Build sentence-transformers evaluators from a prepared evaluation set (plain dicts), with the trial's prompts.

Each task's set carries what its evaluators read (see trainables.tasks); a set without `task` is a retrieval set.
"""

from __future__ import annotations

from trainables.metrics import (
    IR_EVALUATOR_NAME,
    KNN_EVALUATOR_NAME,
    LABEL_RANKING_CUTOFFS,
    LABELS_EVALUATOR_NAME,
    STS_EVALUATOR_NAME,
    TRIPLET_EVALUATOR_NAME,
    ir_cutoffs,
)
from trainables.prompts import Prompts
from trainables.tasks import RETRIEVAL

NO_PROMPTS = Prompts()
TASK = "task"  # the evaluation set's task; absent: retrieval
CUTOFFS = "cutoffs"  # a retrieval set's metric keys beyond the defaults (`ndcg_at_1`): their cutoffs are computed too


def task_of(evaluation_set) -> str:
    return evaluation_set.get(TASK, RETRIEVAL)


def build_evaluator(evaluation_set: dict, batch_size: int = 64, prompts: Prompts = NO_PROMPTS):
    """The task's evaluators, in one SharedEncodingEvaluator: a text two of them embed alike is encoded once per call."""
    from trainables.shared_encodings import EncodingCache, SharedEncodingEvaluator

    task, cache = task_of(evaluation_set), EncodingCache()
    if task == "sts":
        evaluators = [sts_evaluator(evaluation_set, batch_size, prompts)]
    elif task == "classification":
        evaluators = [triplet_evaluator(evaluation_set["triplets"], batch_size, prompts.query, prompts.query, cache),
                      knn_evaluator(evaluation_set, batch_size, prompts)]
        if evaluation_set.get("label_names"):
            evaluators.append(label_ranking_evaluator(evaluation_set, batch_size, prompts, cache))
    else:
        evaluators = [retrieval_evaluator(evaluation_set, batch_size, prompts, cache),
                      triplet_evaluator(evaluation_set["triplets"], batch_size, prompts.query, prompts.document, cache)]
    return SharedEncodingEvaluator(evaluators, cache)


def retrieval_evaluator(evaluation_set: dict, batch_size: int, prompts: Prompts, cache):
    from trainables.shared_encodings import SharedRetrievalEvaluator

    cutoffs = ir_cutoffs(evaluation_set.get(CUTOFFS, ()))
    return SharedRetrievalEvaluator(
        queries=evaluation_set["queries"],
        corpus=evaluation_set["corpus"],
        relevant_docs={query_id: set(docs) for query_id, docs in evaluation_set["relevant"].items()},
        name=IR_EVALUATOR_NAME,
        batch_size=batch_size,
        show_progress_bar=False,
        mrr_at_k=list(cutoffs["mrr"]),
        ndcg_at_k=list(cutoffs["ndcg"]),
        accuracy_at_k=[1, 10],
        precision_recall_at_k=list(cutoffs["recall"]),
        map_at_k=list(cutoffs["map"]),
        query_prompt=prompts.query,
        corpus_prompt=prompts.document,
        cache=cache,
    )


def label_ranking_evaluator(evaluation_set: dict, batch_size: int, prompts: Prompts, cache):
    """Each text ranks the label names, as a retrieval of its own label: recall@1/3/5 and MRR@10."""
    from trainables.shared_encodings import SharedRetrievalEvaluator

    names = evaluation_set["label_names"]
    return SharedRetrievalEvaluator(
        queries={str(index): text for index, text in enumerate(evaluation_set["texts"])},
        corpus={str(index): name for index, name in enumerate(names)},
        relevant_docs={str(index): {str(names.index(label))} for index, label in enumerate(evaluation_set["labels"])},
        name=LABELS_EVALUATOR_NAME,
        batch_size=batch_size,
        show_progress_bar=False,
        mrr_at_k=list(LABEL_RANKING_CUTOFFS["mrr"]),
        ndcg_at_k=[10],
        accuracy_at_k=[1],
        precision_recall_at_k=list(LABEL_RANKING_CUTOFFS["recall"]),
        map_at_k=[10],
        query_prompt=prompts.query,
        corpus_prompt=prompts.query,
        cache=cache,
    )


def triplet_evaluator(triplets: dict, batch_size: int, anchor_prompt: str | None, other_prompt: str | None, cache):
    from trainables.shared_encodings import SharedTripletEvaluator

    return SharedTripletEvaluator(
        anchors=list(triplets["anchor"]),
        positives=list(triplets["positive"]),
        negatives=list(triplets["negative"]),
        name=TRIPLET_EVALUATOR_NAME,
        similarity_fn_names=["cosine"],
        batch_size=batch_size,
        show_progress_bar=False,
        cache=cache,
        anchor_prompt=anchor_prompt,
        other_prompt=other_prompt,
    )


def sts_evaluator(evaluation_set: dict, batch_size: int, prompts: Prompts):
    from sentence_transformers.sentence_transformer.evaluation import EmbeddingSimilarityEvaluator

    prompt = prompts.query or ""  # both sentences are of one kind
    return EmbeddingSimilarityEvaluator(
        [prompt + text for text in evaluation_set["sentence1"]], [prompt + text for text in evaluation_set["sentence2"]],
        evaluation_set["score"], batch_size=batch_size, similarity_fn_names=["cosine"], name=STS_EVALUATOR_NAME,
        show_progress_bar=False, write_csv=False)


def knn_evaluator(evaluation_set: dict, batch_size: int, prompts: Prompts):
    from trainables.knn_evaluator import KnnAccuracyEvaluator

    reference = evaluation_set["reference"]
    return KnnAccuracyEvaluator(evaluation_set["texts"], evaluation_set["labels"], reference["texts"], reference["labels"],
                                name=KNN_EVALUATOR_NAME, batch_size=batch_size, prompt=prompts.query)
