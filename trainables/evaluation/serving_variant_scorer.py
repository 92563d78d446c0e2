"""Every serving variant's figures from the one full-size encoding an evaluation made (trainables.contract.serving).

A variant's vectors are the full-size embeddings cut to their first `dim` dimensions, as sentence-transformers'
`truncate_dim` cuts them (after the model's own Normalize, so a cut vector is scored by cosine, as the evaluators
score it), then quantized by `sentence_transformers.quantization.quantize_embeddings`: int8 and uint8 with per-dimension
ranges from training-split embeddings of the same model state, binary and ubinary by sign. Each is scored as a served
index scores it (the codes' inner product, or the Hamming distance of the bits), and its figures go through the same
per-item path as the full-size ones: tie-aware retrieval figures per query, triplet and kNN outcomes, STS pair
similarities; so intervals and paired tests work for every variant.
"""

from __future__ import annotations

import numpy as np

from trainables.contract.serving import CALIBRATED, FLOAT32, ServingPlan, ServingVariant


def variant_codes(embeddings: np.ndarray, variant: ServingVariant, calibration: np.ndarray | None = None) -> np.ndarray:
    """The vectors an index of `variant` holds, in the form `similarities` scores: float32 rows, integer codes, or
    the bits of a binary code unpacked to 0/1."""
    from sentence_transformers.quantization import quantize_embeddings

    if variant.dim > embeddings.shape[1]:
        raise ValueError(f"serving dims must be at most the model's embedding dimension ({embeddings.shape[1]}), "
                         f"but got {variant.dim}")
    cut = np.ascontiguousarray(embeddings[:, :variant.dim], dtype=np.float32)
    if variant.precision == FLOAT32:
        return cut
    if variant.precision in CALIBRATED:
        if calibration is None:
            raise ValueError(f"{variant.precision} codes need calibration embeddings from the training split, but got none")
        return quantize_embeddings(cut, variant.precision, calibration_embeddings=calibration[:, :variant.dim])
    packed = quantize_embeddings(cut, variant.precision).view(np.uint8)
    if variant.precision == "binary":  # its bytes carry a -128 offset (int8): undone, as semantic_search_usearch undoes it
        packed = packed ^ 0x80
    return np.unpackbits(packed, axis=-1)[:, :variant.dim]


def similarities(left: np.ndarray, right: np.ndarray, precision: str) -> np.ndarray:
    """Each row of `left` against each row of `right`, higher is closer (float64)."""
    if precision == FLOAT32:  # the library's own cosine, in float32 as its evaluators compute it: the same near-ties
        import torch
        from sentence_transformers.util import cos_sim

        return cos_sim(torch.from_numpy(left), torch.from_numpy(right)).numpy().astype(np.float64)
    if precision in CALIBRATED:
        return left.astype(np.float64) @ right.astype(np.float64).T
    left_bits, right_bits = left.astype(np.float64), right.astype(np.float64)
    hamming = left_bits.sum(axis=1)[:, None] + right_bits.sum(axis=1)[None, :] - 2 * left_bits @ right_bits.T
    return -hamming


def pair_similarities(left: np.ndarray, right: np.ndarray, precision: str) -> np.ndarray:
    """Row i of `left` against row i of `right`."""
    if precision == FLOAT32:
        import torch
        from sentence_transformers.util import pairwise_cos_sim

        return pairwise_cos_sim(torch.from_numpy(left), torch.from_numpy(right)).numpy().astype(np.float64)
    if precision in CALIBRATED:
        return np.sum(left.astype(np.float64) * right.astype(np.float64), axis=1)
    return -np.sum(left != right, axis=1).astype(np.float64)


def as_numpy(embeddings) -> np.ndarray:
    import torch

    if torch.is_tensor(embeddings):
        return embeddings.detach().float().cpu().numpy()
    return np.asarray(embeddings, dtype=np.float32)


class ServingVariantScorer:
    """One evaluation's variants: calibrated once per call on the plan's training texts, then each variant's codes of
    whatever embeddings an evaluator encoded."""

    def __init__(self, plan: ServingPlan, query_prompt: str | None, document_prompt: str | None, batch_size: int = 64):
        self.plan, self.batch_size = plan, batch_size
        self.query_prompt, self.document_prompt = query_prompt, document_prompt
        self.calibration: np.ndarray | None = None

    def calibrate(self, model) -> None:
        """The training-split embeddings of the model as it is now: int8 ranges follow the model as it trains."""
        if not self.plan.calibrates:
            return
        parts = [model.encode(list(texts), prompt=prompt, batch_size=self.batch_size, show_progress_bar=False, convert_to_numpy=True)
                 for texts, prompt in ((self.plan.query_texts, self.query_prompt), (self.plan.document_texts, self.document_prompt)) if texts]
        if not parts:
            raise ValueError("int8 and uint8 serving variants need training texts to calibrate on, but the plan has none")
        self.calibration = np.vstack(parts).astype(np.float32)

    def codes(self, embeddings, variant: ServingVariant) -> np.ndarray:
        return variant_codes(as_numpy(embeddings), variant, self.calibration)

    @property
    def variants(self) -> tuple[ServingVariant, ...]:
        return self.plan.variants
