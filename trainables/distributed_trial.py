"""A trial of several workers: the Tune trial fits a Ray Train TorchTrainer whose workers each run the trainer.

HF Trainer/accelerate does the data-parallel part over the process group Ray Train sets up (NCCL on GPU,
gloo on CPU). Hyperparameters were sampled once, by Tune, for the whole trial. Every rank trains and calls
`ray.train.report` (a barrier), but only rank 0 logs to MLflow, keeps the best model and sends the checkpoint,
which Train stores under the sweep's storage; its metrics and that checkpoint's path reach Tune through
TuneReportCallback. A retry's new Train run has the same name and storage, so Train restores it and every rank
starts from the latest checkpoint (`ray.train.get_checkpoint`), on whichever node it lands.
"""

from __future__ import annotations

from trainables.contract import report_keys
from trainables.contract.context import TrialContext
from trainables.contract.trial_data import TrialData
from trainables.storage import Storage, join

ENDED_MARKERS = "train-runs-ended"


def train_run_ended_marker(trial_id: str) -> tuple[str, str]:
    """Written by the trial once its Train run is over, however it ended; the driver waits for it. Under the sweep's
    storage, which the driver and every node reach, so it works across machines."""
    return ENDED_MARKERS, trial_id


def fit_distributed_trial(config: dict, data: TrialData, context: TrialContext, trial_id: str, run_id: str) -> None:
    from ray.train import CheckpointConfig, RunConfig, ScalingConfig, WorkerGroupError
    from ray.train.torch import TorchConfig, TorchTrainer
    from ray.tune.integration.ray_train import TuneReportCallback

    shape = context.workers
    per_worker = {"CPU": shape.cpus_per_worker, **({"GPU": shape.gpus_per_worker} if shape.gpus_per_worker else {})}
    trainer = TorchTrainer(
        train_worker,
        train_loop_config={"config": config, "data": data, "context": context, "trial_id": trial_id, "run_id": run_id},
        scaling_config=ScalingConfig(num_workers=shape.workers, use_gpu=bool(shape.gpus_per_worker), resources_per_worker=per_worker),
        torch_config=TorchConfig(backend="nccl" if shape.gpus_per_worker else "gloo"),
        # The latest checkpoint holds the best model too (trainables/scratch.py): one is all a trial needs.
        run_config=RunConfig(name=trial_id, storage_path=context.train_storage, callbacks=[TuneReportCallback()],
                             checkpoint_config=CheckpointConfig(num_to_keep=1)),
    )
    try:
        trainer.fit()
    except WorkerGroupError as error:
        # Train's own message opens with a traceback snippet, which would fill the run's error tag; name the cause first.
        rank, failure = min(error.worker_failures.items())
        raise WorkerFailure(f"rank {rank} of {shape.workers}: {type(failure).__name__}: {failure}") from error
    finally:
        Storage.at(join(context.storage, *train_run_ended_marker(trial_id))).touch()


class WorkerFailure(RuntimeError):
    """A rank of a distributed trial raised; the full error, every rank's, is its cause."""


def train_worker(loop_config: dict) -> None:
    import ray.train
    import ray.util

    from trainables.training import train_on_this_process
    from trainables.trial_run import TrialRun

    context: TrialContext = loop_config["context"]
    train_context = ray.train.get_context()
    rank, world_size = train_context.get_world_rank(), train_context.get_world_size()
    run = TrialRun.attach(context.tracking, loop_config["trial_id"], loop_config["run_id"]) if rank == 0 else None
    report = ray.train.report
    group = ray.util.get_current_placement_group()
    if rank == 0 and group is not None:
        # The driver ends the Train run by this placement group once Tune is done with the trial (sweeps/running/train_runs.py).
        def report(metrics: dict, checkpoint=None) -> None:
            ray.train.report({**metrics, report_keys.PLACEMENT_GROUP: group.id.hex()}, checkpoint=checkpoint)
    train_on_this_process(loop_config["config"], loop_config["data"], context, run, report, loop_config["trial_id"],
                          rank=rank, world_size=world_size, restored=ray.train.get_checkpoint())
