"""Where the sweep's trial time went: each child run's `time_<phase>_s` summed onto the parent run, and one line.

A stopped or failed trial counts up to its last evaluation, the last time its figures were logged.
"""

from __future__ import annotations

from trainables.contract import mlflow_names as names
from trainables.contract.metrics import PEAK_GPU_MEMORY_KEY, PEAK_RSS_KEY, SERVING_VARIANTS, SOUP_TIME_PHASES, TIME_PHASES, time_key

PHASE_WORDS = {"setup": "setup", "train": "training", "eval": "evaluations", "checkpoint": "checkpoints", "test": "test",
               "logging": "logging", "serving_variants": "serving variants", "soup_averaging": "soup averaging", "soup_evaluating": "soup evaluation"}


def trial_runs(children: list) -> list:
    return [run for run in children if run.data.tags.get(names.ROLE, names.TRIAL_ROLE) == names.TRIAL_ROLE]


def trial_time_totals(trials: list) -> dict[str, float]:
    """The sums over the sweep's trial runs of each phase's seconds, and the largest peak memory of any trial."""
    totals = {time_key(phase): sum(run.data.metrics.get(time_key(phase), 0.0) for run in trials) for phase in TIME_PHASES}
    for peak in (PEAK_RSS_KEY, PEAK_GPU_MEMORY_KEY):
        values = [run.data.metrics[peak] for run in trials if peak in run.data.metrics]
        if values:
            totals[peak] = max(values)
    return totals


def soup_seconds(children: list) -> dict[str, float]:
    """The soup step's seconds by phase (averaging, evaluating), from the soup's run; empty without one."""
    soups = [run for run in children if run.data.tags.get(names.ROLE) == names.SOUP_ROLE]
    return {phase: sum(run.data.metrics.get(time_key(phase), 0.0) for run in soups) for phase in SOUP_TIME_PHASES} if soups else {}


def time_summary(totals: dict[str, float], trials: int, after_the_trials: dict[str, float] | None = None) -> str | None:
    """'trial time: 74% training, 12% evaluations, …', largest share first; None when no trial logged its time.
    `after_the_trials`: the soup step's seconds by phase, shares of the same whole."""
    seconds = {phase: totals.get(time_key(phase), 0.0) for phase in TIME_PHASES}
    if sum(seconds.values()) <= 0:
        return None
    if not seconds[SERVING_VARIANTS]:  # a sweep that scores no serving variants
        del seconds[SERVING_VARIANTS]
    seconds.update(after_the_trials or {})
    whole = sum(seconds.values())
    shares = ", ".join(f"{100 * spent / whole:.0f}% {PHASE_WORDS[phase]}"
                       for phase, spent in sorted(seconds.items(), key=lambda item: -item[1]))
    peak = f"; peak memory {totals[PEAK_RSS_KEY]:,.0f} MB" if PEAK_RSS_KEY in totals else ""
    if PEAK_GPU_MEMORY_KEY in totals:
        peak += f", {totals[PEAK_GPU_MEMORY_KEY]:,.0f} MB on the GPU"
    souped = bool(after_the_trials)
    return (f"trial{' and soup' * souped} time: {shares} ({whole:,.0f} s over {trials} trial{'s' * (trials != 1)}"
            f"{' and the soup' * souped}{peak})")
