"""A local `storage_path` checked before anything starts: writable, and with room for the checkpoints' peak.

A read-only folder used to give a traceback; a full disk gave thousands of lines of logging errors, every trial
FAILED, and partial checkpoints left on the full disk."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from sweeps.errors import problem
from sweeps.running.disk_use import human
from trainables.storage import is_uri

# What one running trial keeps in storage, in model sizes: its best model, and HF Trainer's resume state (the weights
# and Adam's two moments).
CHECKPOINT_MODELS_PER_RUNNING_TRIAL = 4


def model_bytes(path: str) -> int:
    """The weights of a local model folder (0 for a hub id: its size is not known before it is downloaded)."""
    folder = Path(path)
    if not folder.is_dir():
        return 0
    return sum(file.stat().st_size for file in folder.rglob("*") if file.suffix in (".safetensors", ".bin") and file.is_file())


def storage_room_problems(storage: str, model_paths: dict[str, str], running_trials: int, keep_models: int, source: str) -> list[str]:
    if is_uri(storage):
        return []  # an object store: its reach is checked by writing to it, and it does not fill up the way a disk does
    existing = Path(storage)
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    try:  # written, not asked: os.access says yes to root on a read-only mount
        with tempfile.NamedTemporaryFile(dir=existing, prefix=".sweeps-write-check-"):
            pass
    except OSError as error:
        return [problem(source, "storage_path", f"must be a folder this user can write to (writing in {existing} failed: {error.strerror})",
                        storage)]
    largest = max((model_bytes(path) for path in model_paths.values()), default=0)
    need = largest * (CHECKPOINT_MODELS_PER_RUNNING_TRIAL * running_trials + keep_models)
    free = shutil.disk_usage(existing).free
    if need > free:
        return [problem(source, "storage_path", f"must have room for the sweep's checkpoints (about {human(need)} at peak: "
                        f"{CHECKPOINT_MODELS_PER_RUNNING_TRIAL} x {human(largest)} per running trial, {running_trials} at once, and "
                        f"{keep_models} kept model(s))", f"{storage}: {human(free)} free")]
    return []

