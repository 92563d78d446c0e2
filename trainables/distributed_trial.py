"""A trial of several workers: the Tune trial fits a Ray Train TorchTrainer whose workers each run the trainer.

HF Trainer/accelerate does the data-parallel part over the process group Ray Train sets up (NCCL on GPU,
gloo on CPU). Hyperparameters were sampled once, by Tune, for the whole trial. Every rank trains and calls
`ray.train.report` (a barrier), but only rank 0 logs to MLflow, keeps the checkpoint, and its metrics
reach Tune through TuneReportCallback.
"""

from __future__ import annotations

import os
import tempfile

# Rank 0 adds its Train run's placement group to every report, so the driver can end the run once Tune
# is done with the trial (sweeps/train_runs.py).
PLACEMENT_GROUP_KEY = "placement_group"
ENDED_SUFFIX = ".train-run-ended"


def train_run_ended_marker(checkpoint_root: str, trial_id: str) -> str:
    """Written by the trial once its Train run is over, however it ended; the driver waits for it. The checkpoint
    root is storage every node sees (checked before the sweep starts), so it works across machines."""
    return os.path.join(checkpoint_root, trial_id + ENDED_SUFFIX)


def fit_distributed_trial(config: dict, data: dict, sweep: dict, trial_id: str, run_id: str) -> None:
    from ray.train import RunConfig, ScalingConfig, WorkerGroupError
    from ray.train.torch import TorchConfig, TorchTrainer
    from ray.tune.integration.ray_train import TuneReportCallback

    resources = sweep["resources"]
    gpus = resources["gpus_per_worker"]
    per_worker = {"CPU": resources["cpus_per_worker"], **({"GPU": gpus} if gpus else {})}
    trainer = TorchTrainer(
        train_worker,
        train_loop_config={"config": config, "data": data, "sweep": sweep, "trial_id": trial_id, "run_id": run_id},
        scaling_config=ScalingConfig(num_workers=resources["workers"], use_gpu=bool(gpus), resources_per_worker=per_worker),
        torch_config=TorchConfig(backend="nccl" if gpus else "gloo"),
        run_config=RunConfig(name=trial_id, storage_path=sweep["train_storage"], callbacks=[TuneReportCallback()]),
    )
    try:
        trainer.fit()
    except WorkerGroupError as error:
        # Train's own message opens with a traceback snippet, which would fill the run's error tag; name the cause first.
        rank, failure = min(error.worker_failures.items())
        raise WorkerFailure(f"rank {rank} of {resources['workers']}: {type(failure).__name__}: {failure}") from error
    finally:
        if sweep.get("checkpoint_root"):
            os.makedirs(sweep["checkpoint_root"], exist_ok=True)
            open(train_run_ended_marker(sweep["checkpoint_root"], trial_id), "w").close()


class WorkerFailure(RuntimeError):
    """A rank of a distributed trial raised; the full error, every rank's, is its cause."""


def train_worker(loop_config: dict) -> None:
    import ray.train
    import ray.util

    from trainables.sentence_transformer_trial import _train
    from trainables.trial_run import TrialRun

    context = ray.train.get_context()
    rank, world_size = context.get_world_rank(), context.get_world_size()
    sweep = loop_config["sweep"]
    run = TrialRun.attach(sweep, loop_config["trial_id"], loop_config["run_id"]) if rank == 0 else None
    report = ray.train.report
    group = ray.util.get_current_placement_group()
    if rank == 0 and group is not None:
        def report(metrics: dict) -> None:
            ray.train.report({**metrics, PLACEMENT_GROUP_KEY: group.id.hex()})
    # Only used when the sweep gives no checkpoint root (resume states and best models live there): node-local scratch.
    with tempfile.TemporaryDirectory(prefix=f"{loop_config['trial_id']}-rank{rank}-") as scratch:
        _train(loop_config["config"], loop_config["data"], sweep, run, scratch, report, rank=rank, world_size=world_size,
               trial_id=loop_config["trial_id"])
