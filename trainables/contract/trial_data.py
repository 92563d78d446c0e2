"""The data a trial trains and evaluates on: prepared once on the driver, the same for every trial."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from trainables.contract.evaluation_sets import EvaluationSet


@dataclass(frozen=True)
class GuardSet:
    """A general set the fine-tuned model must not forget: judged at the end (and at every evaluation if asked)."""

    name: str
    evaluation_set: EvaluationSet  # a retrieval set or scored pairs
    metric_key: str  # the metric whose drop against the untrained baseline is limited
    max_drop: float | None = None  # None: reported, never limiting
    every_evaluation: bool = False


@dataclass(frozen=True)
class TrialData:
    # data format (search_spaces.data_formats) -> its columns, in the order the losses of that format read them
    training_sets: Mapping[str, Mapping[str, list]]
    eval: EvaluationSet  # the task's kind of set (trainables.contract.evaluation_sets)
    test: EvaluationSet
    fingerprint: str  # the same for two sweeps that trained and were judged on the same data
    guards: tuple[GuardSet, ...] = field(default_factory=tuple)

    def training_rows(self, data_format: str) -> Mapping[str, list]:
        return self.training_sets[data_format]
