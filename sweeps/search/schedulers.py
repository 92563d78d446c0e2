"""`early_terminate` as a Tune scheduler, judging trials at their evaluations.

Time is counted in evaluations (`report_keys.EVALUATION` in each report), so trials with different batch sizes
are compared at the same share of their training. A trial's last evaluation comes with its test
metrics in one final report, so a scheduler can't cut a finished trial before its test score.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from trainables.contract.report_keys import EVALUATION


@dataclass(frozen=True)
class SchedulerEntry:
    """A scheduler's builder, and the `early_terminate` keys it reads besides `type` and `grace_period`."""

    build: Callable[..., Any]
    reads: tuple[str, ...]


def _median(evaluations_per_trial: int, grace_period: int, reduction_factor: float | None, min_samples_required: int | None):
    from ray.tune.schedulers import MedianStoppingRule

    return MedianStoppingRule(time_attr=EVALUATION, grace_period=grace_period, min_samples_required=min_samples_required or 3)


def _asha(evaluations_per_trial: int, grace_period: int, reduction_factor: float | None, min_samples_required: int | None):
    return _brackets_of_asha(evaluations_per_trial, grace_period, reduction_factor or 2, brackets=1)


def _hyperband(evaluations_per_trial: int, grace_period: int, reduction_factor: float | None, min_samples_required: int | None):
    # Hyperband as asynchronous brackets (ASHA's `brackets`): synchronous HyperBand pauses and resumes
    # trials, which would retrain a function trainable from scratch.
    reduction_factor = reduction_factor or 2
    return _brackets_of_asha(evaluations_per_trial, grace_period, reduction_factor,
                             brackets=_hyperband_brackets(evaluations_per_trial, grace_period, reduction_factor))


def _brackets_of_asha(evaluations_per_trial: int, grace_period: int, reduction_factor: float, brackets: int):
    from ray.tune.schedulers import ASHAScheduler

    return ASHAScheduler(time_attr=EVALUATION, max_t=evaluations_per_trial, grace_period=grace_period,
                         reduction_factor=reduction_factor, brackets=brackets)


# Name -> builder, as Ray's own scheduler table: the schema takes its names from here, so a name without a builder
# can't load.
SCHEDULERS: dict[str, SchedulerEntry] = {
    "asha": SchedulerEntry(_asha, reads=("reduction_factor",)),
    "hyperband": SchedulerEntry(_hyperband, reads=("reduction_factor",)),
    "median": SchedulerEntry(_median, reads=("min_samples_required",)),
}


def build_scheduler(kind: str, evaluations_per_trial: int, grace_period: int, reduction_factor: float | None = None,
                    min_samples_required: int | None = None):
    """A Tune scheduler of `kind` (a name of SCHEDULERS) over trials of `evaluations_per_trial` evaluations."""
    return SCHEDULERS[kind].build(evaluations_per_trial, grace_period, reduction_factor, min_samples_required)


def _hyperband_brackets(max_t: int, grace_period: int, reduction_factor: float) -> int:
    rungs, milestone = 0, grace_period
    while milestone < max_t:
        rungs, milestone = rungs + 1, milestone * reduction_factor
    return max(1, rungs)
