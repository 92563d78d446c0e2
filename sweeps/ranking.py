"""One ranking for everything that ranks trials: the leaderboard, the model keeper, the search report and promotion.

Best first by the value given (a trial's kept checkpoint on the eval split); runs without a value last. A tie goes
to the trial created first: its sequence number, recorded when its run is created (`sweeps.sequence`; Tune's trial
ids are random), then its trial id, so every part of a sweep names the same winner.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import TypeVar

from trainables.contract.goal import Goal

Item = TypeVar("Item")


def ranked(items: Iterable[Item], value: Callable[[Item], float | None], created: Callable[[Item], tuple], mode: str) -> list[Item]:
    """`created(item)`: the order the trials were created in, (sequence, trial id), for ties."""
    def key(item: Item) -> tuple:
        score = value(item)
        missing = score is None or math.isnan(score)
        return (missing, 0.0 if missing else Goal(mode).best_first(score), created(item))

    return sorted(items, key=key)


def beats(value: float, other: float, mode: str) -> bool:
    """Strictly better by the metric's direction (`max` or `min`): a tie beats nothing."""
    return Goal(mode).better(value, other)


def creation_order(sequence: str | int | None, trial_id: str | None) -> tuple:
    """A trial's place in the order of creation: its sequence number (unknown ones after), then its trial id."""
    try:
        number = int(sequence)
    except (TypeError, ValueError):
        number = 1 << 62
    return number, trial_id or ""
