"""`early_terminate` as a Tune scheduler, judging trials at their evaluations.

Time is counted in evaluations (`report_keys.EVALUATION` in each report), so trials with different batch sizes
are compared at the same share of their training. A trial's last evaluation comes with its test
metrics in one final report, so a scheduler can't cut a finished trial before its test score.
"""

from __future__ import annotations

from search_spaces.report_keys import EVALUATION

SCHEDULERS = ("asha", "hyperband", "median")


def build_scheduler(kind: str, evaluations_per_trial: int, grace_period: int, reduction_factor: float | None = None,
                    min_samples_required: int | None = None):
    """A Tune scheduler of `kind` (one of SCHEDULERS) over trials of `evaluations_per_trial` evaluations."""
    from ray.tune.schedulers import ASHAScheduler, MedianStoppingRule

    if kind == "median":
        return MedianStoppingRule(time_attr=EVALUATION, grace_period=grace_period, min_samples_required=min_samples_required or 3)
    reduction_factor = reduction_factor or 2
    # Hyperband as asynchronous brackets (ASHA's `brackets`): synchronous HyperBand pauses and resumes
    # trials, which would retrain a function trainable from scratch.
    brackets = 1 if kind == "asha" else _hyperband_brackets(evaluations_per_trial, grace_period, reduction_factor)
    return ASHAScheduler(time_attr=EVALUATION, max_t=evaluations_per_trial, grace_period=grace_period,
                         reduction_factor=reduction_factor, brackets=brackets)


def _hyperband_brackets(max_t: int, grace_period: int, reduction_factor: float) -> int:
    rungs, milestone = 0, grace_period
    while milestone < max_t:
        rungs, milestone = rungs + 1, milestone * reduction_factor
    return max(1, rungs)
