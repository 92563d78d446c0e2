"""A trial's working folder on the node it runs on: its best model so far (`best/`) and HF Trainer's resume
state (`resume/`). Nothing else reads it: at each evaluation the trial reports it to Ray as a Checkpoint,
which Ray copies to the sweep's storage, and a restarted trial, on whatever node, starts from the latest one.

Under the node's own temp dir, named after the sweep, so the driver can clear what a killed process left.
"""

from __future__ import annotations

import os
import shutil
import tempfile

SCRATCH_FOLDER = "embedding-sweeps"
BEST = "best"
RESUME = "resume"


def sweep_scratch(state_name: str) -> str:
    return os.path.join(tempfile.gettempdir(), SCRATCH_FOLDER, state_name)


def trial_scratch(state_name: str, trial_id: str, restored=None, rank: int = 0) -> str:
    """A clean working folder for this process of the trial, holding `restored` (a ray Checkpoint) when there is one."""
    folder = os.path.join(sweep_scratch(state_name), trial_id if rank == 0 else f"{trial_id}-rank{rank}")
    shutil.rmtree(folder, ignore_errors=True)  # what an earlier, killed attempt left on this node
    os.makedirs(folder)
    if restored is not None:
        restored.to_directory(folder)
    return folder


def best_folder(scratch: str) -> str:
    return os.path.join(scratch, BEST)


def clear_sweep_scratch(state_name: str) -> None:
    folder = sweep_scratch(state_name)
    shutil.rmtree(folder, ignore_errors=True)
    try:
        os.rmdir(os.path.dirname(folder))  # the shared parent, once no sweep uses it
    except OSError:
        pass
