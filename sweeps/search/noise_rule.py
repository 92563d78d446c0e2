"""`stop_when: noise`: more trials are not worth starting once what any further trial could still gain on the best
is smaller than the error of the best trial's own eval figure.

The possible gain is Optuna's regret bound (optuna.terminator.RegretBoundEvaluator: a Gaussian process over the
finished trials' parameters, Makarova et al. 2022), the same rule as Optuna's Terminator. The error is the standard
error of the best trial's eval metric from a bootstrap over its eval queries (pairs, texts), which each trial reports
with its final result. Optuna's Terminator waits for 20 trials; sweeps here are often 8 to 30, so the rule is judged
from MIN_TRIALS finished trials on.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

from search_spaces.space import choice_label

MIN_TRIALS = 5


@dataclass(frozen=True)
class Finished:
    """One finished trial as the rule sees it: its searched parameters, its eval metric, and that metric's error."""

    params: dict[str, Any]
    value: float
    error: float | None


@dataclass(frozen=True)
class NoiseVerdict:
    possible_gain: float  # the regret bound
    error: float  # the best trial's standard error
    best: Finished

    @property
    def stop(self) -> bool:
        return self.possible_gain < self.error


def noise_verdict(finished: list[Finished], distributions: dict[str, Any], maximize: bool, seed: int = 0) -> NoiseVerdict | None:
    """None while fewer than MIN_TRIALS trials have finished, or when the best has no error to compare with."""
    usable = [trial for trial in finished if math.isfinite(trial.value)]
    if len(usable) < MIN_TRIALS or not distributions:
        return None
    best = (max if maximize else min)(usable, key=lambda trial: trial.value)
    if best.error is None or not math.isfinite(best.error):
        return None
    import optuna
    from optuna.study import StudyDirection
    from optuna.terminator import RegretBoundEvaluator

    # A study numbers the trials as Optuna's own evaluator expects them (create_trial alone numbers every one 0).
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction=StudyDirection.MAXIMIZE if maximize else StudyDirection.MINIMIZE)
    for trial in usable:
        params = {name: choice_label(value) for name, value in trial.params.items() if name in distributions}
        study.add_trial(optuna.trial.create_trial(params=params, distributions={name: distributions[name] for name in params}, value=trial.value))
    with warnings.catch_warnings():
        # Experimental since Optuna 3.2; the tests here hold it to what this rule relies on.
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        bound = RegretBoundEvaluator(seed=seed).evaluate(study.trials, study.direction)
    return NoiseVerdict(float(bound), float(best.error), best)

