"""One error type for everything a user can get wrong, phrased the way optuna phrases it."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping


class SweepInputError(ValueError):
    """Bad input found before any worker starts. Each problem is one line naming file and key."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


def problem(source: str, key: str, expected: str, found: object) -> str:
    """``grid.yaml: `parameters.learning_rate.min` must be > 0, but got -1.0``."""
    where = f"`{key}` " if key else ""
    return f"{source}: {where}{expected}, but got {found!r}"


def did_you_mean(word: str, choices: Iterable[str], aliases: Mapping[str, str] | None = None) -> str:
    """The closest choice; `aliases`: what a word means elsewhere (W&B's, Keras's), for words no spelling is close to."""
    choices = list(choices)
    alias = (aliases or {}).get(word)
    matches = [alias] if alias in choices else difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean `{matches[0]}`?)" if matches else ""
