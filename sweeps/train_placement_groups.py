"""The driver ends a distributed trial's Ray Train run when Tune is done with the trial, by removing its placement group.

When a scheduler stops a multi-worker trial, Tune ends the trial's actor, but its Train run would go
on: the workers keep training and logging, and when they die with the actor, Train's placement group
stays reserved until the sweep ends (Train's own cleaner asks the state API whether the controller is
alive, and that API needs the dashboard, which the runner leaves off). The next trial then waits for
CPUs that never come back. Rank 0 reports its group's id; removing the group kills every worker in it
at once, before the stop is recorded, and frees the resources for the next trial. Idempotent, and run
for trials that end any way, so nothing is left behind.
"""

from __future__ import annotations

import time

from ray.tune import Callback

from trainables.distributed_trial import PLACEMENT_GROUP_KEY

REMOVAL_WAIT_S = 30.0


class TrainPlacementGroupReaper(Callback):
    def __init__(self):
        self.groups: dict[str, str] = {}  # trial id -> its Train run's placement group (hex id)
        self.removed: list[str] = []  # groups this reaper had to remove: the Train run was still holding them

    def on_trial_result(self, iteration, trials, trial, result, **info):
        if result.get(PLACEMENT_GROUP_KEY):
            self.groups[trial.trial_id] = result[PLACEMENT_GROUP_KEY]

    def on_trial_complete(self, iteration, trials, trial, **info):
        self._release(trial.trial_id)

    def on_trial_error(self, iteration, trials, trial, **info):
        self._release(trial.trial_id)

    def on_trial_recover(self, iteration, trials, trial, **info):
        self._release(trial.trial_id)  # the retry starts a Train run of its own

    def _release(self, trial_id: str) -> None:
        group_id = self.groups.pop(trial_id, None)
        if group_id is not None and remove_if_held(group_id):
            self.removed.append(group_id)


def remove_if_held(group_id: str) -> bool:
    """Remove the placement group unless Ray already did; True when it was still held. Waits until Ray reports it removed."""
    import ray
    from ray.util.placement_group import PlacementGroup, placement_group_table, remove_placement_group

    group = PlacementGroup(ray.PlacementGroupID.from_hex(group_id))
    if placement_group_table(group).get("state", "REMOVED") == "REMOVED":
        return False
    remove_placement_group(group)
    deadline = time.monotonic() + REMOVAL_WAIT_S
    while placement_group_table(group).get("state", "REMOVED") != "REMOVED" and time.monotonic() < deadline:
        time.sleep(0.1)
    return True

