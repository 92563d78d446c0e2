"""Where a trial keeps what it needs to pick up after a crash: HF Trainer's latest checkpoint (weights,
optimizer, scheduler, RNG), one per trial (save_total_limit=1), next to its best model in its scratch folder."""

from __future__ import annotations

import os
import shutil

from trainables.scratch import RESUME

TRAINER_STATE = "trainer_state.json"  # HF Trainer writes it last into a checkpoint folder


def resume_folder(scratch: str) -> str:
    return os.path.join(scratch, RESUME)


def resume_checkpoint(folder: str) -> str | None:
    """The newest complete `checkpoint-<step>` under `folder`, or None for a fresh start.

    HF Trainer writes a checkpoint in place and deletes the older one only afterwards, so a process killed
    mid-save leaves a newest folder without its trainer state, and the previous one intact: that one is used.
    """
    from transformers.trainer_utils import get_last_checkpoint

    while os.path.isdir(folder) and (latest := get_last_checkpoint(folder)) is not None:
        if os.path.exists(os.path.join(latest, TRAINER_STATE)):
            return latest
        shutil.rmtree(latest)
    return None
