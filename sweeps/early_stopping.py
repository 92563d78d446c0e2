"""`early_terminate` as a Tune scheduler, judging trials at their evaluations.

Time is counted in evaluations (`evaluation` in each report), so trials with different batch sizes
are compared at the same share of their training. A trial's last evaluation comes with its test
metrics in one final report, so a scheduler can't cut a finished trial before its test score.
"""

from __future__ import annotations

from sweeps.config import SweepConfig

TIME_ATTR = "evaluation"


def build_scheduler(config: SweepConfig):
    stopping = config.early_terminate
    if stopping is None:
        return None
    from ray.tune.schedulers import ASHAScheduler, MedianStoppingRule

    if stopping.type == "median":
        return MedianStoppingRule(time_attr=TIME_ATTR, grace_period=stopping.grace_period,
                                  min_samples_required=stopping.min_samples_required or 3)
    reduction_factor = stopping.reduction_factor or 2
    # Hyperband as asynchronous brackets (ASHA's `brackets`): synchronous HyperBand pauses and resumes
    # trials, which would retrain a function trainable from scratch.
    brackets = 1 if stopping.type == "asha" else _hyperband_brackets(config.evaluations_per_trial, stopping.grace_period, reduction_factor)
    return ASHAScheduler(time_attr=TIME_ATTR, max_t=config.evaluations_per_trial, grace_period=stopping.grace_period,
                         reduction_factor=reduction_factor, brackets=brackets)


def _hyperband_brackets(max_t: int, grace_period: int, reduction_factor: float) -> int:
    rungs, milestone = 0, grace_period
    while milestone < max_t:
        rungs, milestone = rungs + 1, milestone * reduction_factor
    return max(1, rungs)
