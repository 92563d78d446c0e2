"""`budget: {trial_hours: H}`: the hours trials hold their resources, and whether one more trial still fits.

A trial-hour is one trial holding one GPU for an hour. A trial counts its GPUs (workers_per_trial x
gpus_per_worker): at `gpus_per_worker: 0.5` an hour counts 0.5, a DDP trial of 2 GPUs counts 2. On a sweep without
GPUs a trial counts 1 per hour, whatever its CPUs: the machine is the budget. A trial's hours are Tune's
`time_total_s` for it, the time its function ran, carried across its restarts (waiting for resources is not counted).

The next trial is expected to cost what the ended ones cost on average, and a running one at least that much; no trial
is expected to cost anything before one has ended, so the first `max_concurrent` trials always start.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SECONDS_PER_HOUR = 3600.0
TIME_TOTAL = "time_total_s"  # Tune's own result key: the time the trial's function ran, across its restarts


def trial_weight(workers: int, gpus_per_worker: float) -> float:
    gpus = workers * gpus_per_worker
    return gpus if gpus > 0 else 1.0


@dataclass
class TrialHours:
    budget_hours: float
    weight: float
    seconds: dict[str, float] = field(default_factory=dict)  # each started trial's time so far
    ended: set[str] = field(default_factory=set)

    def started(self, trial_id: str) -> None:
        self.seconds.setdefault(trial_id, 0.0)

    def ran(self, trial_id: str, seconds: float | None) -> None:
        if isinstance(seconds, int | float) and seconds >= self.seconds.get(trial_id, 0.0):
            self.seconds[trial_id] = float(seconds)

    def end(self, trial_id: str) -> None:
        self.started(trial_id)
        self.ended.add(trial_id)

    def used_hours(self) -> float:
        return sum(self.seconds.values()) * self.weight / SECONDS_PER_HOUR

    def typical_hours(self) -> float:
        """What an ended trial cost on average: the estimate for the next one."""
        ended = [self.seconds[trial] for trial in self.ended]
        return sum(ended) / len(ended) * self.weight / SECONDS_PER_HOUR if ended else 0.0

    def committed_hours(self) -> float:
        """The ended trials' hours, and each running one's at least a typical trial's."""
        typical = self.typical_hours()
        return sum(max(seconds * self.weight / SECONDS_PER_HOUR, typical if trial not in self.ended else 0.0)
                   for trial, seconds in self.seconds.items())

    def room_for_one_more(self) -> bool:
        return self.committed_hours() + self.typical_hours() <= self.budget_hours
