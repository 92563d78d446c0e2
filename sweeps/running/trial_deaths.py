"""A trial whose process died (killed from outside, by Ray's out-of-memory killer, with its node) can't record its
own end: the driver records it from Tune's error, so `sweeps.ended` names the cause and a retry knows it."""

from __future__ import annotations

import os
import re

from mlflow.tracking import MlflowClient
from ray.tune import Callback

from sweeps.running.live_callbacks import LiveCallback
from trainables import mlflow_names as names
from trainables.context import SweepTracking
from trainables.memory_retry import KILLED_FOR_MEMORY
from trainables.trial_run import find_trial_run

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


def last_failure(trial) -> str:
    """Tune's text of the trial's latest failure, from the driver's own copy of its error file (the copy in storage is
    written later: `Trial.get_error` reads that one, and finds nothing yet when the retry is being scheduled)."""
    path = trial.error_file
    if not path or not os.path.exists(path):
        return ""
    with open(path, encoding="utf-8", errors="replace") as handle:
        failures = re.split(r"^Failure # \d+ \(occurred at [^)]*\)\n", handle.read(), flags=re.MULTILINE)
    return failures[-1] if failures else ""


class TrialDeathRecorder(LiveCallback, Callback):
    live_name = "trial_deaths"

    def __init__(self, tracking: SweepTracking):
        self.tracking = tracking

    def on_trial_recover(self, iteration, trials, trial, **info):
        self._record(trial, retried=True)

    def on_trial_error(self, iteration, trials, trial, **info):
        self._record(trial, retried=False)

    def _record(self, trial, retried: bool) -> None:
        client = MlflowClient(self.tracking.tracking_uri)
        run = find_trial_run(client, self.tracking, trial.trial_id)
        if run is None or run.info.status != "RUNNING":
            return  # the trial recorded its own end (an exception it raised), or never opened its run
        error = last_failure(trial)
        cause = death_cause(error)
        if cause is None:
            return
        reason = f"{cause}: {error.strip().splitlines()[0][:300]}" if error.strip() else cause
        client.set_tag(run.info.run_id, names.ERROR, reason[:500])  # a retry moves it to sweeps.previous_error
        if not retried:
            client.set_tag(run.info.run_id, names.ENDED, f"failed: {reason}"[:200])
            client.set_terminated(run.info.run_id, "FAILED")
