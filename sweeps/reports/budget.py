"""What the sweep's `budget` allowed: the trial-hours its trials used, and whether it kept planned trials from
starting. One line after the sweep, and on the parent run."""

from __future__ import annotations

from typing import NamedTuple

from sweeps.search.trial_hours import TIME_TOTAL, TrialHours
from sweeps.sweep_file.schema import SweepConfig


class BudgetUse(NamedTuple):
    line: str
    used_hours: float
    stopped: bool  # the budget kept planned trials from starting


def budget_use(results, config: SweepConfig, planned: int, weight: float) -> BudgetUse | None:
    """What the budget allowed, counted from Tune's results as the searcher counted them; None without a budget."""
    if config.budget is None:
        return None
    hours = TrialHours(config.budget.trial_hours, weight)
    for result in results:
        trial = result.metrics.get("trial_id", str(id(result)))
        hours.ran(trial, result.metrics.get(TIME_TOTAL))
        hours.end(trial)
    ran, used, budget = len(hours.seconds), hours.used_hours(), config.budget.trial_hours
    line = f"budget: {used:.3g} of {budget:g} trial-hours used by {ran} trials"
    if ran >= planned:
        return BudgetUse(f"{line}; all {planned} planned trials ran", used, False)
    if not hours.room_for_one_more():
        return BudgetUse(f"{line}; the next would have taken about {hours.typical_hours():.3g} more, so {planned - ran} of {planned} "
                         "planned trials did not start", used, True)
    return BudgetUse(f"{line}; {planned - ran} of {planned} planned trials did not start", used, False)
