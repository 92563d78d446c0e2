"""The data a trial trains and evaluates on: prepared once on the driver, the same for every trial."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class TrialData:
    # data format (search_spaces.data_formats) -> its columns, in the order the losses of that format read them
    training_sets: Mapping[str, Mapping[str, list]]
    # queries, corpus, relevant (query id -> relevant corpus ids) and triplets, as trainables.evaluation reads them
    eval: Mapping
    test: Mapping
    fingerprint: str  # the same for two sweeps that trained and were judged on the same data

    def training_rows(self, data_format: str) -> Mapping[str, list]:
        return self.training_sets[data_format]
