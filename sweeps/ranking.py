"""One ranking for everything that ranks trials: the leaderboard, the model keeper, the search report and promotion.

Best first by the value given (a trial's kept checkpoint on the eval split); runs without a value last. A tie goes
to the trial Tune created first (the lower trial id: Tune numbers a sweep's trials in order), so every part of a
sweep names the same winner.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import TypeVar

Item = TypeVar("Item")


def ranked(items: Iterable[Item], value: Callable[[Item], float | None], trial_id: Callable[[Item], str], mode: str) -> list[Item]:
    def key(item: Item) -> tuple:
        score = value(item)
        missing = score is None or math.isnan(score)
        return (missing, 0.0 if missing else (-score if mode == "max" else score), trial_id(item) or "")

    return sorted(items, key=key)


def beats(value: float, other: float, mode: str) -> bool:
    """Strictly better by the metric's direction (`max` or `min`): a tie beats nothing."""
    return value > other if mode == "max" else value < other
