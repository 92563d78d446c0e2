"""The Ray Tune function trainable: one trial trains one SentenceTransformer for real and reports.

Light on purpose: the driver imports this module to hand it to Tune; torch and transformers load in the trial.
"""

from __future__ import annotations

from trainables.contract import mlflow_names as names
from trainables.contract.context import TrialContext
from trainables.contract.trial_data import TrialData


def train_sentence_transformer(config: dict, data: TrialData, context: TrialContext) -> None:
    """What Tune runs for a trial: `config` is the trial's hyperparameters; `data` and `context` are the sweep's."""
    import ray
    from ray import tune

    trial = tune.get_context()
    # A retry, or a trial of a resumed sweep, starts from its latest checkpoint, wherever Ray stored it.
    run_trial(config, data, context, trial.get_trial_id(), trial.get_trial_name(), tune.report,
              node_id=ray.get_runtime_context().get_node_id(), restored=tune.get_checkpoint())


def run_trial(config: dict, data: TrialData, context: TrialContext, trial_id: str, trial_name: str, report,
              node_id: str = "", restored=None) -> None:
    """One trial in its own child run, which ends FAILED with the error if the trial raises, whatever raised.
    `report(metrics, checkpoint=None)` is Tune's; `restored` is the trial's latest ray Checkpoint, if any."""
    from trainables.memory_retry import after_a_memory_kill
    from trainables.process_memory import release_freed_memory
    from trainables.trial_run import TrialRun, finished_result

    already = finished_result(context.tracking, trial_id, context.evaluations_per_trial)
    if already is not None:
        report(already)
        return
    run = TrialRun.open(context.tracking, trial_id, trial_name)
    if node_id:
        run.set_tags({names.NODE_ID: node_id})
    config, memory_line = after_a_memory_kill(config, run.previous_error)
    if memory_line:
        run.set_tags({names.MEMORY_RETRY: memory_line})
    try:
        if context.workers.distributed:
            from trainables.distributed_trial import fit_distributed_trial

            fit_distributed_trial(config, data, context, trial_id, run.run_id)
        else:
            from trainables.training import train_on_this_process

            train_on_this_process(config, data, context, run, report, trial_id, restored=restored)
    except SystemExit as exit_request:
        # tune.report raises SystemExit(0) when a scheduler stops this trial; the driver records that.
        if exit_request.code not in (0, None) and not run.closed():
            run.fail(exit_request)
        raise
    except BaseException as error:
        if not run.closed():
            run.fail(error)
        raise
    finally:
        release_freed_memory()
