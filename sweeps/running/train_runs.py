"""The driver ends a distributed trial's Ray Train run when Tune is done with the trial.

When a scheduler stops a multi-worker trial, Tune ends the trial's actor, but its Train run would go on:
the workers keep training and logging. And when the actor dies, its Train controller dies with it before
it can clean up: Train's placement group stays reserved until the sweep ends, so the next trial waits for
CPUs that never come back, and Train's detached cleaner actor (one process per trial) lingers for as long
as the cluster runs, because it asks the dashboard's state API, which a sweep leaves off.

Tune calls `on_trial_complete` before it asks the trial's actor to stop. So here, with the actor still
alive, the driver removes the Train run's placement group (rank 0 reports its id), which kills the workers
at once; the controller sees them gone, ends gracefully, and stops its cleaner; the trial then writes a
marker, and only then does this callback return and Tune end the actor. Run for trials that end any way.
"""

from __future__ import annotations

import time

from ray.tune import Callback

from sweeps.running.live_callbacks import LiveCallback
from trainables.contract.report_keys import PLACEMENT_GROUP
from trainables.distributed_trial import train_run_ended_marker
from trainables.storage import Storage

REMOVAL_WAIT_S = 30.0
RUN_END_WAIT_S = 60.0  # Train's controller polls its workers every 2 s, then shuts down


class TrainRunEnder(LiveCallback, Callback):
    live_name = "train_runs"

    def __init__(self, storage: Storage):
        self.storage = storage  # the sweep's storage, through the driver's own filesystem
        self.groups: dict[str, str] = {}  # trial id -> its Train run's placement group (hex id)

    def on_trial_result(self, iteration, trials, trial, result, **info):
        if result.get(PLACEMENT_GROUP):
            self.groups[trial.trial_id] = result[PLACEMENT_GROUP]

    def on_trial_complete(self, iteration, trials, trial, **info):
        self._end(trial.trial_id)

    def on_trial_error(self, iteration, trials, trial, **info):
        self._end(trial.trial_id)

    def on_trial_recover(self, iteration, trials, trial, **info):
        self._end(trial.trial_id)  # the retry starts a Train run of its own

    def _end(self, trial_id: str) -> None:
        marker = self.storage.child(*train_run_ended_marker(trial_id))
        group_id = self.groups.pop(trial_id, None)
        if group_id is not None:  # a Train run started and reported; one that never did ended on its own
            remove_if_held(group_id)
            # Bounded: a trial process that died with its actor writes no marker, and then nothing is left to wait for.
            _wait_for(marker.exists, RUN_END_WAIT_S)
        marker.remove()


def remove_if_held(group_id: str) -> None:
    """Remove the placement group unless Ray already did, and wait until Ray reports it removed."""
    import ray
    from ray.util.placement_group import PlacementGroup, placement_group_table, remove_placement_group

    group = PlacementGroup(ray.PlacementGroupID.from_hex(group_id))

    def removed() -> bool:
        return placement_group_table(group).get("state", "REMOVED") == "REMOVED"

    if not removed():
        remove_placement_group(group)
        _wait_for(removed, REMOVAL_WAIT_S)


def _wait_for(condition, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True
