"""A trial whose process died (killed from outside, by Ray's out-of-memory killer, with its node) can't record its
own end: the driver records it from Tune's error, so `sweeps.ended` names the cause and a retry knows it."""

from __future__ import annotations

import os
import re

from ray.tune import Callback

from sweeps.running.live_callbacks import LiveCallback
from trainables.contract.context import SweepTracking
from trainables.memory_retry import KILLED_FOR_MEMORY
from trainables.trial_run import record_worker_death

# Ray's words for why a worker is gone, in the error Tune keeps for the trial: first match wins.
CAUSES = (
    # Not "OOM" alone: Ray's text for any dead actor lists the kernel's OOM killer among its possible causes.
    (("OutOfMemoryError", "memory pressure", "running low on memory"), KILLED_FOR_MEMORY + " (Ray's out-of-memory killer)"),
    (("NodeDiedError", "node died", "node was lost"), "its node was lost"),
    (("ActorDiedError", "RayActorError", "WorkerCrashedError", "died unexpectedly"), "its worker process died (killed from outside?)"),
)


def death_cause(error_text: str) -> str | None:
    """Why the trial's process is gone, in words; None for an error the trial raised itself (and recorded)."""
    for words, cause in CAUSES:
        if any(word in error_text for word in words):
            return cause
    return None


# Ray's and the OS's words for storage that failed under a trial: the sweep can't go on there.
STORAGE_FAILURES = ("Unable to set up cluster storage", "No space left on device", "Read-only file system")


def storage_failure(error_text: str, state, found_when: str) -> str | None:
    """The line to stop on when a trial failed because of the sweep's storage, else None."""
    words = next((words for words in STORAGE_FAILURES if words in error_text), None)
    if words is None:
        return None
    return (f"storage: the sweep's storage at {state.path} failed ({words}, {found_when}): the sweep stops here, its MLflow "
            "parent run FAILED; every later trial would fail the same way")


def storage_gone(state, found_when: str) -> str | None:
    """The line to stop on when the sweep's storage folder is gone (deleted, unmounted), else None."""
    try:
        there = state.exists()
    except OSError as error:  # an object store that stopped answering
        there, why = False, f" ({error})"
    else:
        why = ""
    if there:
        return None
    return (f"storage: the sweep's state at {state.path} is gone{why} (found {found_when}): the sweep stops "
            "here, its MLflow parent run FAILED; every later trial would fail, and nothing could be kept or resumed")


def last_failure(trial) -> str:
    """Tune's text of the trial's latest failure, from the driver's own copy of its error file (the copy in storage is
    written later: `Trial.get_error` reads that one, and finds nothing yet when the retry is being scheduled)."""
    path = trial.error_file
    if not path or not os.path.exists(path):
        return ""
    with open(path, encoding="utf-8", errors="replace") as handle:
        failures = re.split(r"^Failure # \d+ \(occurred at [^)]*\)\n", handle.read(), flags=re.MULTILINE)
    return failures[-1] if failures else ""


class StorageLost(RuntimeError):
    """The sweep's storage went away under it: every later trial would fail, and nothing could be kept or resumed."""


class TrialDeathRecorder(LiveCallback, Callback):
    live_name = "trial_deaths"

    def __init__(self, tracking: SweepTracking, state=None):
        self.tracking = tracking
        self.state = state  # trainables.storage.Storage: the sweep's Tune state and checkpoints
        self.lost: str | None = None

    def on_trial_recover(self, iteration, trials, trial, **info):
        self._record(trial, retried=True)

    def on_trial_error(self, iteration, trials, trial, **info):
        self._record(trial, retried=False)

    def _record(self, trial, retried: bool) -> None:
        error = last_failure(trial)
        self._storage_still_there(trial, error)
        cause = death_cause(error)
        if cause is not None:
            reason = f"{cause}: {error.strip().splitlines()[0][:300]}" if error.strip() else cause
            record_worker_death(self.tracking, trial.trial_id, reason, retried)

    def _storage_still_there(self, trial, error: str) -> None:
        """Raised out of Tune's loop: the runner stops the sweep with one line instead of failing every later trial."""
        if self.state is not None and self.lost is None:
            found = f"when trial {trial} failed"
            self.lost = storage_failure(error, self.state, found) or storage_gone(self.state, found)
        if self.lost:
            raise StorageLost(self.lost)
