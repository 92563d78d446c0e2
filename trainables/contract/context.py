"""What a trial knows about its sweep: typed, frozen, decided once on the driver and shipped to every worker.

The trial takes every setting from here and repeats none of the sweep file's defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from trainables.storage import join

TRAIN_RUNS = "train"  # under the sweep's storage: Ray Train's runs of distributed trials


@dataclass(frozen=True)
class SweepTracking:
    """Where a trial logs: the sweep's MLflow store, experiment and parent run."""

    tracking_uri: str  # absolute: Ray runs trials in folders of their own
    experiment_id: str
    parent_run_id: str
    sweep_name: str


@dataclass(frozen=True)
class WorkerShape:
    """What each of a trial's workers holds; more than one worker makes the trial a Ray Train DDP run."""

    workers: int
    cpus_per_worker: float
    gpus_per_worker: float
    precision: str  # auto | bf16 | fp16 | fp32

    @property
    def distributed(self) -> bool:
        return self.workers > 1

    @property
    def threads(self) -> int:
        """torch threads per worker: its CPUs, so trials side by side don't fight over cores."""
        return max(1, int(self.cpus_per_worker))


@dataclass(frozen=True)
class TrialContext:
    tracking: SweepTracking
    model_paths: Mapping[str, str]  # a base or guide model reference of the sweep file -> the path or hub id to load
    seed: int
    metric_key: str  # what ranks evaluations and picks the kept checkpoint
    mode: str  # max | min
    evaluations_per_trial: int
    workers: WorkerShape
    # This sweep's state: a folder every node sees, or an object-store URI. Trials reach it only through Ray's
    # checkpoints (storage.py); each works in a scratch folder on its own node (scratch.py).
    storage: str
    callbacks: tuple[str, ...]  # dotted names of TrainerCallback classes the sweep file adds (allow_custom_code)
    trust_remote_code: bool  # allow_custom_code: models may bring their own modelling code
    # Each untrained baseline's guard metrics, by its encoding key: what a trial's guard drops are measured against.
    guard_baselines: Mapping[str, Mapping[str, float]] = field(default_factory=dict)

    @property
    def train_storage(self) -> str:
        """Ray Train's own runs, for distributed trials: their checkpoints and restore snapshots."""
        return join(self.storage, TRAIN_RUNS)

    @property
    def state_name(self) -> str:
        return self.storage.rstrip("/").rsplit("/", 1)[-1]
