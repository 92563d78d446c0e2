"""The Ray Tune Tuner of a sweep: a new one, or the interrupted one restored from its storage.

Tune gets the driver's own filesystem for the storage, opened while the driver's cloud credentials are in a file
rather than in its environment (sweeps/secrets.py), so that Tune copies none into the trials' runtime env.
"""

from __future__ import annotations

import os

from sweeps.planning.resources import TrialResources
from sweeps.planning.trial_plan import scheduler_for, search_algorithm
from sweeps.prepared_sweep import PreparedSweep
from trainables.contract.context import TrialContext
from trainables.contract.trial_data import TrialData
from trainables.storage import Storage


def new_tuner(sweep: PreparedSweep, resources: TrialResources, data: TrialData, context: TrialContext, state: Storage,
              callbacks: list):
    from ray import tune

    _save_state_often()
    config = sweep.config
    _seed_the_scheduler(config.seed)
    return tune.Tuner(
        _trainable(resources, data, context),
        tune_config=tune.TuneConfig(
            metric=config.metric.key, mode=config.metric.mode.value, search_alg=search_algorithm(config, sweep.plan, resources.concurrency, resources.trial_weight, context.tracking),
            scheduler=scheduler_for(config), num_samples=sweep.plan.num_samples,
            # A one-worker trial after the first skips the worker start and the torch import. A distributed trial's
            # actor only waits on its TorchTrainer, whose workers start anew anyway, and can't be handed on while a
            # stopped Train run still winds down in it (Tune then fails the next trial: "Could not re-use actor").
            reuse_actors=not resources.distributed,
            trial_name_creator=lambda trial: f"{config.name}-{trial.trial_id.rsplit('_', 1)[-1]}",
        ),
        run_config=tune.RunConfig(
            name=state.name, storage_path=state.parent, storage_filesystem=state.filesystem,
            verbose=0, callbacks=callbacks,
            # A failed trial restarts in the same child run, from its latest checkpoint.
            failure_config=tune.FailureConfig(max_failures=config.max_failures),
            # The latest checkpoint holds the best model too (trainables/scratch.py): one per trial is all it takes.
            checkpoint_config=tune.CheckpointConfig(num_to_keep=1),
        ),
    )


def restored_tuner(resources: TrialResources, data: TrialData, context: TrialContext, state: Storage, seed: int):
    """The interrupted sweep's Tuner. Its callbacks come back as this process's registered ones (live_callbacks)."""
    from ray import tune

    _save_state_often()
    _seed_the_scheduler(seed)
    return tune.Tuner.restore(state.path, trainable=_trainable(resources, data, context), storage_filesystem=state.filesystem,
                              resume_unfinished=True, resume_errored=False)  # a FAILED trial already had its retries


def _trainable(resources: TrialResources, data: TrialData, context: TrialContext):
    from ray import tune

    from trainables import train_sentence_transformer

    return tune.with_resources(tune.with_parameters(train_sentence_transformer, data=data, context=context), resources.tune_request())


def _seed_the_scheduler(seed: int) -> None:
    # Tune's ASHA/hyperband puts each new trial in a bracket drawn from numpy's global generator, in this process:
    # unseeded, the same sweep file stopped different trials on each run.
    import numpy

    numpy.random.seed(seed)


def _save_state_often() -> None:
    # Tune saves the experiment's state at most every 10 s by default; a driver killed in that window
    # would come back without its newest trials. The state is a few KB per trial.
    os.environ.setdefault("TUNE_GLOBAL_CHECKPOINT_S", "1")
