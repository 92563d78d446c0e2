"""The held-out sets a model is judged on, one frozen type per task: prepared on the driver (sweeps/data), read by
the evaluators (trainables/evaluation). `record()` is each set as plain data, in the form the data fingerprint hashes."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import ClassVar

from trainables.contract.serving import ServingPlan


@dataclass(frozen=True)
class Triplets:
    """(anchor, positive, negative) texts, a column each."""

    anchor: list[str] = field(default_factory=list)
    positive: list[str] = field(default_factory=list)
    negative: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.anchor)

    def record(self) -> dict[str, list[str]]:
        return {"anchor": self.anchor, "positive": self.positive, "negative": self.negative}


@dataclass(frozen=True)
class QueryCorpusSet:
    """Each query against the split's corpus, with the triplets its relevant passages and distractors make."""

    task: ClassVar[str] = "retrieval"
    queries: dict[str, str]
    corpus: dict[str, str]
    relevant: dict[str, list[str]]  # query id -> the ids of its relevant passages
    triplets: Triplets
    # Metric keys beyond the defaults whose cutoffs are computed too (`ndcg_at_1`); no part of the data's fingerprint.
    cutoffs: tuple[str, ...] = ()
    # The embedding sizes and precisions scored beside full-size float32 (trainables/contract/serving.py); no part of the
    # fingerprint either: its calibration texts are training rows, which the fingerprint holds.
    serving: ServingPlan | None = None

    def text_pools(self) -> list[list[str]]:
        """The set's texts by kind, the query side first."""
        return [list(self.queries.values()), list(self.corpus.values())]

    def size(self) -> str:
        return f"{len(self.queries)} queries / {len(self.corpus)} passages"

    def record(self) -> dict:
        return {"queries": self.queries, "corpus": self.corpus, "relevant": self.relevant, "triplets": self.triplets.record()}

    def with_cutoffs(self, cutoffs: tuple[str, ...]) -> QueryCorpusSet:
        return replace(self, cutoffs=tuple(cutoffs))


@dataclass(frozen=True)
class ScoredPairSet:
    """Sentence pairs with a gold similarity, scaled to 0..1."""

    task: ClassVar[str] = "sts"
    sentence1: list[str]
    sentence2: list[str]
    score: list[float]
    serving: ServingPlan | None = None

    def text_pools(self) -> list[list[str]]:
        return [self.sentence1, self.sentence2]

    def size(self) -> str:
        return f"{len(self.score)} scored pairs"

    def record(self) -> dict:
        return {"task": self.task, "sentence1": self.sentence1, "sentence2": self.sentence2, "score": self.score}


@dataclass(frozen=True)
class LabelledReference:
    """The training rows a kNN vote draws its neighbours from."""

    texts: list[str]
    labels: list


@dataclass(frozen=True)
class LabelledTextSet:
    """Texts with their labels, the triplets of same- and other-label texts they make, and the label names when the
    labels are words (then each text also ranks the names)."""

    task: ClassVar[str] = "classification"
    texts: list[str]
    labels: list
    triplets: Triplets
    reference: LabelledReference
    label_names: list[str] | None = None
    serving: ServingPlan | None = None

    def text_pools(self) -> list[list[str]]:
        return [self.texts]

    def size(self) -> str:
        return f"{len(self.texts)} texts"

    def record(self) -> dict:
        return {"task": self.task, "texts": self.texts, "labels": self.labels, "triplets": self.triplets.record(),
                "reference": {"texts": self.reference.texts, "labels": self.reference.labels}, "label_names": self.label_names}


def with_serving(evaluation_set, plan: ServingPlan | None):
    """The set, scored also at the plan's sizes and precisions."""
    return replace(evaluation_set, serving=plan)


EvaluationSet = QueryCorpusSet | ScoredPairSet | LabelledTextSet
