"""Which way a metric is better: the one place "better" is written, as optuna's StudyDirection and Ray's `mode` say it."""

from __future__ import annotations

from enum import Enum


class Goal(str, Enum):
    """A str, so it passes for Ray's `mode` ("max" / "min") as it is."""

    MAX = "max"
    MIN = "min"

    @property
    def maximizes(self) -> bool:
        return self is Goal.MAX

    @property
    def optuna_direction(self) -> str:
        return "maximize" if self.maximizes else "minimize"

    def better(self, value: float, other: float) -> bool:
        """`value` strictly better than `other`."""
        return value > other if self.maximizes else value < other

    def reached(self, value: float, target: float) -> bool:
        """`value` at `target` or past it."""
        return value >= target if self.maximizes else value <= target

    def best_first(self, value: float) -> float:
        """A sort key that puts the best value first in an ascending sort."""
        return -value if self.maximizes else value
