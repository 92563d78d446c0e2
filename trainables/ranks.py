"""What every rank of a trial has to say, gathered over the process group Ray Train set up."""

from __future__ import annotations


def gather_from_ranks(value, world_size: int) -> list:
    """`value` from every rank, in rank order; on one process, just `[value]`."""
    if world_size == 1:
        return [value]
    import torch.distributed as dist

    gathered: list = [None] * world_size
    dist.all_gather_object(gathered, value)
    return gathered
