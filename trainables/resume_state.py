"""Where a trial keeps what it needs to pick up after a crash: HF Trainer's latest checkpoint (weights,
optimizer, scheduler, RNG), one per trial (save_total_limit=1), next to its best model."""

from __future__ import annotations

import os
import re


def resume_folder(checkpoint_root: str, trial_id: str) -> str:
    return os.path.join(checkpoint_root, f"{trial_id}-resume")


def latest_checkpoint(folder: str) -> str | None:
    """The newest complete `checkpoint-<step>` under `folder`, or None for a fresh start."""
    if not os.path.isdir(folder):
        return None
    steps = []
    for name in os.listdir(folder):
        match = re.fullmatch(r"checkpoint-(\d+)", name)
        if match and os.path.exists(os.path.join(folder, name, "trainer_state.json")):
            steps.append(int(match.group(1)))
    return os.path.join(folder, f"checkpoint-{max(steps)}") if steps else None
