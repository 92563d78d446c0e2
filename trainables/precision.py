"""Mixed precision from the hardware: bf16 where the GPU has it, fp16 on older GPUs, fp32 on CPU; one choice per trial."""

from __future__ import annotations

from typing import Literal, get_args

from trainables.ranks import gather_from_ranks

Precision = Literal["auto", "bf16", "fp16", "fp32"]  # what a sweep file asks for
TrainingPrecision = Literal["bf16", "fp16", "fp32"]  # what a trial trains in
PRECISIONS: tuple[str, ...] = get_args(Precision)


def resolve_precision(requested: Precision, cuda: bool, bf16_supported: bool) -> TrainingPrecision:
    if requested != "auto":
        return requested
    if not cuda:
        return "fp32"
    return "bf16" if bf16_supported else "fp16"


def agreed_precision(requested: Precision, cuda: bool, bf16_by_rank: list[bool]) -> TrainingPrecision:
    """bf16 only where every rank's GPU has it: ranks of mixed bf16 and fp16 would scale gradients on some ranks only."""
    return resolve_precision(requested, cuda, all(bf16_by_rank))


def precision_arguments(precision: TrainingPrecision) -> dict:
    """The TrainingArguments flags for `precision`."""
    return {"bf16": precision == "bf16", "fp16": precision == "fp16"}


def trial_precision(requested: Precision, use_gpu: bool, world_size: int) -> TrainingPrecision:
    """Decided once for the trial: every rank gathers what every GPU supports and takes the same choice."""
    import torch

    return agreed_precision(requested, use_gpu, gather_from_ranks(bool(use_gpu and torch.cuda.is_bf16_supported()), world_size))
