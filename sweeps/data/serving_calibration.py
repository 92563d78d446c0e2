"""The training-split texts that calibrate int8 and uint8 serving variants: their per-dimension ranges come from these
texts' embeddings (sentence-transformers' `calibration_embeddings`), never from an eval or test text, which would let
the figures that pick a model see the data they judge it on."""

from __future__ import annotations

import random

from trainables.contract.evaluation_sets import EvaluationSet
from trainables.contract.serving import CALIBRATION_TEXTS, ServingPlan, ServingVariant

# The training columns that stand for queries and for documents, by task; a symmetric task's texts are all queries.
QUERY_COLUMNS = {"retrieval": ("anchor",), "sts": ("sentence1", "sentence2"), "classification": ("sentence",)}
DOCUMENT_COLUMNS = {"retrieval": ("positive",), "sts": (), "classification": ()}


def serving_plan(variants: tuple[ServingVariant, ...], train: dict[str, list], task: str, held_out: list[EvaluationSet],
                 seed: int, count: int = CALIBRATION_TEXTS) -> ServingPlan:
    """The variants, with up to `count` training texts (split between queries and documents where the task has both)
    that appear in no held-out set, drawn with the sweep's seed."""
    seen = {text for evaluation_set in held_out for pool in evaluation_set.text_pools() for text in pool}
    rng = random.Random(seed)
    sides = [columns for columns in (QUERY_COLUMNS[task], DOCUMENT_COLUMNS[task]) if columns]
    drawn = []
    for columns in sides:
        texts = sorted({text for column in columns for text in train.get(column, []) if isinstance(text, str) and text not in seen})
        drawn.append(tuple(rng.sample(texts, min(len(texts), count // len(sides)))))
    queries, documents = (drawn + [()])[:2]
    return ServingPlan(variants, queries, documents)
