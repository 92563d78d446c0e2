"""Mixed precision from the hardware: bf16 where the GPU has it, fp16 on older GPUs, fp32 on CPU; one choice per trial."""

from __future__ import annotations


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

    bf16 = bool(use_gpu and torch.cuda.is_bf16_supported())
    if world_size == 1:
        return agreed_precision(requested, use_gpu, [bf16])
    import torch.distributed as dist

    gathered: list = [None] * world_size
    dist.all_gather_object(gathered, bf16)
    return agreed_precision(requested, use_gpu, gathered)
