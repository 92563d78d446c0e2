"""The shapes of training data a loss can consume, and the columns each shape has, in order.

sentence-transformers losses read dataset columns by position, so each format fixes the order.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DataFormat:
    columns: tuple[str, ...]
    optional_columns: tuple[str, ...] = ()
    description: str = ""


DATA_FORMATS: dict[str, DataFormat] = {
    "pairs": DataFormat(("anchor", "positive"), ("negative",), "(anchor, positive[, negative]) pairs"),
    "pairs_only": DataFormat(("anchor", "positive"), (), "(anchor, positive) pairs"),
    "triplets": DataFormat(("anchor", "positive", "negative"), (), "(anchor, positive, negative) triplets"),
    "labelled": DataFormat(("sentence", "label"), (), "(sentence, label) labelled sentences"),
    "scored_pairs": DataFormat(("sentence1", "sentence2", "score"), (), "(sentence1, sentence2, score) scored pairs"),
}
