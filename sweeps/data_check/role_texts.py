"""A split's texts by role: queries are compared with queries and passages with passages, never across."""

from __future__ import annotations

from trainables.contract.evaluation_sets import EvaluationSet, LabelledTextSet, QueryCorpusSet, ScoredPairSet

QUERIES, PASSAGES, SENTENCES, TEXTS = "queries", "passages", "sentences", "texts"
# The training columns each task writes (sweeps.data.prepare), by role; a column not named here is no text (label, score).
TRAINING_ROLES = {"anchor": QUERIES, "positive": PASSAGES, "sentence1": SENTENCES, "sentence2": SENTENCES, "sentence": TEXTS}


def training_role(column: str) -> str | None:
    if column == "negative" or column.startswith("negative_"):
        return PASSAGES
    return TRAINING_ROLES.get(column)


def training_texts(train: dict[str, list]) -> dict[str, list[tuple[str, int]]]:
    """role -> (text, row) for every text of the training rows."""
    texts: dict[str, list[tuple[str, int]]] = {}
    for column, values in train.items():
        role = training_role(column)
        if role is not None:
            texts.setdefault(role, []).extend((text, row) for row, text in enumerate(values))
    return texts


def held_out_texts(evaluation_set: EvaluationSet) -> dict[str, list[str]]:
    """role -> the texts a held-out set judges on. A retrieval set's passages are its queries' relevant ones: its
    distractors are drawn from a corpus the splits may share by design, and judge nothing by themselves."""
    if isinstance(evaluation_set, QueryCorpusSet):
        relevant = sorted({doc_id for docs in evaluation_set.relevant.values() for doc_id in docs})
        return {QUERIES: list(evaluation_set.queries.values()), PASSAGES: [evaluation_set.corpus[doc_id] for doc_id in relevant]}
    if isinstance(evaluation_set, ScoredPairSet):
        return {SENTENCES: [*evaluation_set.sentence1, *evaluation_set.sentence2]}
    if isinstance(evaluation_set, LabelledTextSet):
        return {TEXTS: list(evaluation_set.texts)}
    raise TypeError(f"no roles for {type(evaluation_set).__name__}")
