"""The loss table: each name maps to its sentence-transformers class and the data columns it needs.

Columns are checked when the sweep file loads, so a loss the data can't feed fails before any
worker starts. Classes are named by import path so this table loads without torch.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

LOSS_MODULE = "sentence_transformers.sentence_transformer.losses"


@dataclass(frozen=True)
class LossSpec:
    class_name: str
    required_columns: tuple[str, ...]
    optional_columns: tuple[str, ...] = ()
    # In-batch-negative losses learn false negatives from duplicate texts in one batch.
    batch_sampler: str | None = None

    def build(self, model):
        loss_class = getattr(importlib.import_module(LOSS_MODULE), self.class_name)
        return loss_class(model)

    def columns_for(self, available: list[str]) -> list[str]:
        return [column for column in available if column in self.required_columns + self.optional_columns]


DEFAULT_LOSS = "MultipleNegativesRankingLoss"

LOSSES: dict[str, LossSpec] = {
    "MultipleNegativesRankingLoss": LossSpec("MultipleNegativesRankingLoss", ("anchor", "positive"), ("negative",), "no_duplicates"),
    "CachedMultipleNegativesRankingLoss": LossSpec("CachedMultipleNegativesRankingLoss", ("anchor", "positive"), ("negative",), "no_duplicates"),
    "MultipleNegativesSymmetricRankingLoss": LossSpec("MultipleNegativesSymmetricRankingLoss", ("anchor", "positive"), (), "no_duplicates"),
    "TripletLoss": LossSpec("TripletLoss", ("anchor", "positive", "negative")),
}


def swept_losses(parameters: dict) -> list:
    """The loss names a sweep may try: those under `parameters.loss`, else the default."""
    spec = parameters.get("loss")
    return spec.candidate_values() if spec is not None else [DEFAULT_LOSS]


def incompatibility(loss_name: str, data_columns: list[str]) -> str | None:
    """Why `loss_name` can't train on data with `data_columns`, or None when it can."""
    missing = [column for column in LOSSES[loss_name].required_columns if column not in data_columns]
    if missing:
        return f"{loss_name} needs columns {list(LOSSES[loss_name].required_columns)}, but the data has {data_columns}"
    return None
