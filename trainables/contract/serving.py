"""The embedding sizes and precisions a sweep scores its models at, as they will be served, and the MLflow keys of
those figures: `ndcg_at_10-128d-int8` is NDCG@10 of embeddings cut to their first 128 dimensions and quantized to int8.

MLflow takes letters, digits, '_', '-', '.', ' ' and '/' in a key: '@' is out, so a variant is written `-<dim>d-<precision>`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

FLOAT32 = "float32"
# Each precision sentence-transformers' quantize_embeddings writes, and how a served index scores two vectors of it:
# cosine for float32 (as the evaluators do); the inner product of the codes for int8 and uint8 (semantic_search_usearch's
# `metric="ip"`); the Hamming distance of the bits for binary and ubinary (its `metric="hamming"`).
PRECISIONS = (FLOAT32, "int8", "uint8", "binary", "ubinary")
CALIBRATED = ("int8", "uint8")  # their per-dimension ranges come from training-split embeddings
_BITS = {FLOAT32: 32, "int8": 8, "uint8": 8, "binary": 1, "ubinary": 1}
# Training-split texts encoded at each evaluation for the int8 ranges: enough for stable per-dimension extremes, few
# enough to keep the variants' cost small (benchmarks/serving.py measures it).
CALIBRATION_TEXTS = 256

_VARIANT_KEY = re.compile(r"^(?P<base>.+)-(?P<dim>[1-9][0-9]{0,4})d-(?P<precision>[a-z0-9]+)$")


@dataclass(frozen=True, order=True)
class ServingVariant:
    dim: int
    precision: str = FLOAT32

    @property
    def suffix(self) -> str:
        return f"-{self.dim}d-{self.precision}"

    def key(self, metric_key: str) -> str:
        return metric_key + self.suffix

    @property
    def bytes_per_vector(self) -> int:
        return math.ceil(self.dim * _BITS[self.precision] / 8)

    @property
    def label(self) -> str:
        return f"{self.dim}-d {self.precision}"


def split_variant_key(key: str) -> tuple[str, ServingVariant | None]:
    """(the full-size metric key, its variant) of a metric key: ('ndcg_at_10', 128-d int8) for `ndcg_at_10-128d-int8`;
    (key, None) for a key of full-size float32 embeddings."""
    found = _VARIANT_KEY.match(key)
    if found is None or found.group("precision") not in PRECISIONS:
        return key, None
    return found.group("base"), ServingVariant(int(found.group("dim")), found.group("precision"))


@dataclass(frozen=True)
class ServingPlan:
    """What each evaluation scores beyond full-size float32, from the same encoding. `query_texts` and `document_texts`
    are training-split texts, never an eval or test one, that calibrate the int8 and uint8 ranges (encoded with the query
    and the document prompt, as the texts they stand for)."""

    variants: tuple[ServingVariant, ...]
    query_texts: tuple[str, ...] = ()
    document_texts: tuple[str, ...] = ()

    @property
    def calibrates(self) -> bool:
        return any(variant.precision in CALIBRATED for variant in self.variants)

    @property
    def largest_dim(self) -> int:
        return max(variant.dim for variant in self.variants)


def variants_of(dims, precisions) -> tuple[ServingVariant, ...]:
    return tuple(ServingVariant(int(dim), precision) for dim in sorted(set(dims), reverse=True) for precision in dict.fromkeys(precisions))
