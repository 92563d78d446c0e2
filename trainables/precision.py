"""Mixed precision from the hardware a worker landed on: bf16 where the GPU has it, fp16 on older GPUs, fp32 on CPU."""

from __future__ import annotations


def resolve_precision(requested: str, cuda: bool, bf16_supported: bool) -> str:
    if requested != "auto":
        return requested
    if not cuda:
        return "fp32"
    return "bf16" if bf16_supported else "fp16"


def precision_arguments(precision: str) -> dict:
    """The TrainingArguments flags for `precision`."""
    return {"bf16": precision == "bf16", "fp16": precision == "fp16"}


def worker_precision(requested: str, use_gpu: bool) -> str:
    import torch

    return resolve_precision(requested, use_gpu, use_gpu and torch.cuda.is_bf16_supported())
