"""What the hard-negative miner reads from a retrieval split, decided where the splits are known."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MiningInput:
    relevant: dict[str, list[str]]  # each training anchor -> every passage relevant to it in the train split
    candidates: tuple[str, ...]  # passages that are no eval or test positive
