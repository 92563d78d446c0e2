"""Mixed precision from the hardware: bf16 where the GPU has it, fp16 on older GPUs, fp32 on CPU; one choice per trial."""

from __future__ import annotations

from trainables.ranks import gather_from_ranks


def resolve_precision(requested: str, cuda: bool, bf16_supported: bool) -> str:
    if requested != "auto":
        return requested
    if not cuda:
        return "fp32"
    return "bf16" if bf16_supported else "fp16"


def agreed_precision(requested: str, cuda: bool, bf16_by_rank: list[bool]) -> str:
    """bf16 only where every rank's GPU has it: ranks of mixed bf16 and fp16 would scale gradients on some ranks only."""
    return resolve_precision(requested, cuda, all(bf16_by_rank))


def precision_arguments(precision: str) -> dict:
    """The TrainingArguments flags for `precision`."""
    return {"bf16": precision == "bf16", "fp16": precision == "fp16"}


def trial_precision(requested: str, use_gpu: bool, world_size: int) -> str:
    """Decided once for the trial: every rank gathers what every GPU supports and takes the same choice."""
    import torch

    return agreed_precision(requested, use_gpu, gather_from_ranks(bool(use_gpu and torch.cuda.is_bf16_supported()), world_size))
