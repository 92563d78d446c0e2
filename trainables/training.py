"""One trial's training on this process: load the model, train with in-trial evaluation and resumable
checkpoints, test the kept checkpoint, report. A distributed trial runs this on every rank."""

from __future__ import annotations

import os
import shutil
import socket
from dataclasses import dataclass

from search_spaces.losses import DEFAULT_LOSS, LOSSES, build_loss, training_loss
from search_spaces.parameters import AUTO_BATCH
from trainables.callbacks.collapse_guard import CollapseGuard, eval_texts
from trainables.callbacks.learning_check import LearningCheck
from trainables.callbacks.custom_callbacks import build_callbacks
from trainables.callbacks.evaluation_reporter import EvaluationReporter, evaluation_number
from trainables.callbacks.final_save_skip import FinalSaveSkip
from trainables.callbacks.non_finite_loss_guard import NonFiniteLossGuard, out_of_memory_message
from trainables.callbacks.phase_timer import PhaseTimer
from trainables.callbacks.report_at_save import ReportAtSave
from trainables.batch_fit import BatchFit, trial_batch_fit
from trainables.checkpoint import BestCheckpoint
from trainables.contract import report_keys
from trainables.contract import mlflow_names as names
from trainables.contract.context import TrialContext
from trainables.contract.metrics import BEST_PREFIX, THROUGHPUT_KEY, as_curves, rename_evaluator_metrics
from trainables.contract.tasks import TASKS
from trainables.contract.trial_data import TrialData
from trainables.encoding import Encoding, apply_encoding
from trainables.evaluation.item_keeping_evaluator import ItemKeepingEvaluator, judge, standard_error
from trainables.guard_drops import guard_drops
from trainables.precision import trial_precision
from trainables.process_memory import freeze_what_the_imports_made
from trainables.prompts import Prompts
from trainables.ranks import gather_from_ranks
from trainables.resume_state import resume_checkpoint, resume_folder
from trainables.scratch import best_folder, trial_scratch
from trainables.training_arguments import DEFAULT_BATCH, effective_batch_size, training_arguments
from trainables.trial_clock import EVAL, LOGGING, TEST, TRAIN, TrialClock
from trainables.trial_run import TrialRun


@dataclass(frozen=True)
class TrialSettings:
    """What one trial decided before training: hyperparameters, hardware, and where it writes."""

    hyperparameters: dict
    prompts: Prompts
    arguments: dict  # SentenceTransformerTrainingArguments
    precision: str
    device: str
    scratch: str  # this process's working folder on its node, reported to Ray as the trial's checkpoint
    output_dir: str  # the resume state, HF Trainer's checkpoints, in the scratch folder
    best_folder: str  # the kept model, in the scratch folder
    encoding_key: str  # pairs the trial with its untrained baseline
    fit: BatchFit  # the batch (or a cached loss's mini-batch) this attempt trains at

    @property
    def training_config(self) -> dict:
        """The hyperparameters as trained: the sweep's, with the batch that fit."""
        return {**self.hyperparameters, **self.fit.overrides()}


def train_on_this_process(config: dict, data: TrialData, context: TrialContext, run: TrialRun | None, report,
                          trial_id: str, rank: int = 0, world_size: int = 1, restored=None) -> None:
    """Train one trial here, from `restored` (the trial's latest ray Checkpoint) when it restarts. With several
    ranks, every rank trains and reports; rank 0 alone (the one holding `run`) logs, keeps the best model, tests
    it, and reports the checkpoint. `report(metrics, checkpoint=None)` is Tune's or Train's."""
    import shutil

    scratch = trial_scratch(context.state_name, trial_id, restored, rank)
    try:
        _train(config, data, context, run, report, trial_id, rank, world_size, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)  # reported already: Ray holds the copy that counts


def _train(config: dict, data: TrialData, context: TrialContext, run: TrialRun | None, report, trial_id: str, rank: int,
           world_size: int, scratch: str) -> None:
    import torch
    from accelerate.utils import find_executable_batch_size

    freeze_what_the_imports_made()
    clock = run.clock if run is not None else TrialClock()
    torch.set_num_threads(context.workers.threads)
    workers = gather_from_ranks(f"{socket.gethostname()}:{os.getpid()}", world_size)  # the record that DDP really ran
    # A trial that asked for no GPU stays off it, even where one is visible: another trial may hold it.
    use_gpu = context.workers.gpus_per_worker > 0 and _cuda_available()
    fits = [trial_batch_fit(config, scratch, DEFAULT_BATCH)]

    def halve() -> int:
        fits.append(fits[-1].halved())
        if run is not None:
            run.set_tags({names.BATCH_FIT: fits[-1].line()})
        return fits[-1].size

    # accelerate halves (through `halve`) on an out-of-memory error, and clears the device cache between attempts.
    @find_executable_batch_size(starting_batch_size=fits[0].size, reduce_batch_size_fn=halve)
    def attempt(_size: int) -> TrainedAttempt:
        return _train_at(fits[-1], config, data, context, run, report, world_size, scratch, clock, workers, use_gpu)

    trained = attempt()
    trainer, settings, checkpoint = trained.trainer, trained.settings, trained.checkpoint
    ended_at = {report_keys.STEP: trainer.state.global_step,
                report_keys.EVALUATION: evaluation_number(trainer.state.global_step, trainer.state.eval_steps)}
    tripped = [(reason, outcome) for tripped, reason, outcome in (
        (trained.guard.tripped, trained.guard.reason, names.NONFINITE_LOSS), (trained.collapse.tripped, trained.collapse.reason, names.COLLAPSED),
        (trained.learning.tripped, trained.learning.reason, names.NOT_LEARNING)) if tripped]
    if tripped:
        # Not an error to retry: the same config diverges (collapses, trains nothing) again. FAILED in MLflow, ended for Tune.
        reason, outcome = tripped[0]
        if run is not None:
            run.fail_with_reason(reason(settings.hyperparameters), outcome)
            shutil.rmtree(settings.output_dir, ignore_errors=True)
        report({context.metric_key: float("nan"), **ended_at, report_keys.FINAL: True, report_keys.OUTCOME: outcome})
        return
    if run is None:
        # The other ranks only meet rank 0 at its final report (a barrier); what they send is dropped.
        report({**ended_at, report_keys.FINAL: True})
        return
    with clock.section(TEST):
        final = test_kept_checkpoint(trained.model, trainer, trained.reporter, checkpoint, data, context, run, settings, trained.items)
    run.set_tags({names.BEST_STEP: checkpoint.step, names.LAST_STEP: ended_at[report_keys.STEP]})
    accounting = {**clock.metrics(), **({THROUGHPUT_KEY: trained.throughput} if trained.throughput else {})}
    run.log_metrics(accounting, ended_at[report_keys.STEP])
    final.update(accounting)
    # Closed before the final report: a scheduler may end the process as soon as it sees it.
    run.finish()
    shutil.rmtree(settings.output_dir, ignore_errors=True)  # finished: nothing to resume, and a full optimizer state per trial adds up
    # The trial's last checkpoint: its best model alone, which the driver logs if the trial is among the kept.
    fitted = {report_keys.BATCH_FIT: settings.fit.line()} if settings.fit.differs_from_the_config else {}
    _report_with_checkpoint(report, {**final, **fitted, **ended_at, report_keys.BEST_STEP: checkpoint.step, report_keys.FINAL: True},
                            settings.scratch, True, clock)


@dataclass
class TrainedAttempt:
    """The attempt whose batch fit: its model as trained, and what the trial reads back from its training."""

    model: object
    settings: TrialSettings
    trainer: object
    reporter: EvaluationReporter
    guard: NonFiniteLossGuard
    collapse: CollapseGuard
    learning: LearningCheck
    checkpoint: BestCheckpoint
    items: ItemKeepingEvaluator
    throughput: float | None


def _train_at(fit: BatchFit, config: dict, data: TrialData, context: TrialContext, run: TrialRun | None, report, world_size: int,
              scratch: str, clock: TrialClock, workers: list[str], use_gpu: bool) -> TrainedAttempt:
    """One attempt at `fit`, from a freshly loaded model: an attempt that ran out of memory may have stepped the weights."""
    import torch

    model = load_model(context, config["base_model"], "cuda" if use_gpu else "cpu")
    encoding = apply_encoding(model, config)
    settings = trial_settings(config, context, data, scratch, world_size, encoding, use_gpu, fit)
    if run is not None:
        sampler = settings.arguments.get("batch_sampler", "batch_sampler")  # HF's default when the loss asks for none
        param = names.TrialParam
        # An `auto` batch's effective batch is known once it fits: the first evaluation logs it.
        effective = {param.EFFECTIVE_BATCH_SIZE: effective_batch_size(settings.arguments, world_size)} if fit.asked != AUTO_BATCH else {}
        run.log_params({**settings.hyperparameters, **encoding.params(), param.WORLD_SIZE: world_size, param.PRECISION: settings.precision,
                        **effective, param.BATCH_SAMPLER: getattr(sampler, "value", sampler)})
        run.set_tags({names.BASE_MODEL_PATH: context.model_paths[config["base_model"]], names.DATA_FINGERPRINT: data.fingerprint,
                      names.WORKER_PROCESSES: ", ".join(workers), names.ENCODING: encoding.key()})
    checkpoint = BestCheckpoint(settings.best_folder, context.metric_key, context.mode, clock)
    evaluator, items = trial_evaluator(data, settings.prompts, clock)
    at_save = ReportAtSave(lambda metrics: _report_with_checkpoint(report, metrics, settings.scratch, run is not None, clock))
    publish = _publisher(run, model, checkpoint, at_save, items, _fit_settled(fit, run, settings, world_size))
    trainer, reporter, guard, collapse, learning = build_trainer(model, settings, data, context, evaluator, publish, clock, at_save)
    resume_from = resume_checkpoint(settings.output_dir)
    if run is not None and resume_from:
        run.set_tags({names.RESUMED_FROM: os.path.basename(resume_from)})
    try:
        with clock.section(TRAIN):
            throughput = trainer.train(resume_from_checkpoint=resume_from).metrics.get(THROUGHPUT_KEY)
        return TrainedAttempt(model, settings, trainer, reporter, guard, collapse, learning, checkpoint, items, throughput)
    except torch.OutOfMemoryError as error:
        first_evaluation = trainer.state.eval_steps or float("inf")
        before_first_evaluation = resume_from is None and not reporter.evaluated_steps and trainer.state.global_step < first_evaluation
        if world_size > 1 or not before_first_evaluation or not fit.can_halve:
            why = ("one rank of a DDP trial can't fit alone" if world_size > 1 else
                   "the batch can't be halved further" if before_first_evaluation else
                   "after its first evaluation a checkpoint of this batch exists, so the trial doesn't halve it")
            raise RuntimeError(f"{out_of_memory_message(settings.arguments, world_size, encoding.max_seq_length)} ({why})") from error
        out_of_memory = str(error)
    # Out of the except block, the failed attempt's frames (and its model, optimizer state, activations) are freed
    # before accelerate clears the device cache and the next attempt loads a model.
    del model, trainer, reporter, checkpoint, items, evaluator, publish, at_save
    shutil.rmtree(settings.output_dir, ignore_errors=True)
    raise torch.OutOfMemoryError(out_of_memory)  # accelerate halves, through the trial's `halve`


def _fit_settled(fit: BatchFit, run: TrialRun | None, settings: TrialSettings, world_size: int):
    """Called at each evaluation: the first one shows the batch fits, so it is recorded (and kept beside the checkpoint,
    for a restart), and said once to the sweep's console through the trial's next report."""
    said = [False]

    def settled() -> dict:
        if said[0] or not fit.differs_from_the_config:
            return {}
        said[0] = True
        fit.save(settings.scratch)
        if run is not None:
            run.log_params({**fit.params(), names.TrialParam.EFFECTIVE_BATCH_SIZE: effective_batch_size(settings.arguments, world_size)})
            run.set_tags({names.BATCH_FIT: fit.line()})
        return {report_keys.BATCH_FIT: fit.line()}

    return settled


def trial_settings(config: dict, context: TrialContext, data: TrialData, scratch: str, world_size: int, encoding: Encoding,
                   use_gpu: bool, fit: BatchFit) -> TrialSettings:
    hyperparameters = {**config, "loss": config.get("loss", DEFAULT_LOSS)}
    precision = trial_precision(context.workers.precision, use_gpu, world_size)
    output_dir = resume_folder(scratch)
    loss_name = training_loss(hyperparameters)
    arguments = training_arguments({**hyperparameters, **fit.overrides()}, loss_name, output_dir, context.seed, context.evaluations_per_trial, precision, use_gpu)
    symmetric = TASKS[data.eval.task].symmetric
    prompts = encoding.prompts
    arguments["prompts"] = prompts.for_columns(data.training_rows(LOSSES[loss_name].data_format), symmetric)
    return TrialSettings(hyperparameters, prompts, arguments, precision, "cuda" if use_gpu else "cpu", scratch, output_dir,
                         best_folder(scratch), encoding.key(), fit)


def load_model(context: TrialContext, reference: str, device: str):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(context.model_paths[reference], device=device, trust_remote_code=context.trust_remote_code)


def build_trainer(model, settings: TrialSettings, data: TrialData, context: TrialContext, evaluator, publish, clock: TrialClock,
                  at_save: ReportAtSave):
    """The trainer, and the callbacks the trial reads back: the evaluation reporter, the NaN guard, the collapse guard,
    the learning check."""
    from datasets import Dataset
    from sentence_transformers import SentenceTransformerTrainer, SentenceTransformerTrainingArguments
    from transformers import PrinterCallback

    reporter, guard = EvaluationReporter(publish), NonFiniteLossGuard()
    collapse = CollapseGuard(eval_texts(data.eval), settings.prompts.query)
    learning = LearningCheck()
    hyperparameters = settings.hyperparameters
    data_format = LOSSES[training_loss(hyperparameters)].data_format
    trainer = SentenceTransformerTrainer(
        model=model,
        args=SentenceTransformerTrainingArguments(**settings.arguments),
        train_dataset=Dataset.from_dict(dict(data.training_rows(data_format))),
        loss=build_loss(settings.training_config, model, lambda reference: load_model(context, reference, settings.device)),
        evaluator=evaluator,
        # HF's own flow callback has set this step's controls before any of these runs.
        # The collapse guard measures before the reporter publishes: a collapsed evaluation stops training at once.
        callbacks=[FinalSaveSkip(), PhaseTimer(clock), collapse, reporter, guard, learning, at_save, *build_callbacks(context.callbacks)],
    )
    trainer.remove_callback(PrinterCallback)
    return trainer, reporter, guard, collapse, learning


def trial_evaluator(data: TrialData, prompts: Prompts, clock: TrialClock | None = None) -> tuple:
    """The trainer's evaluator: the task's evaluators on the eval split, and the guard sets asked for at every
    evaluation; and the part of it that keeps each eval item's score (its serving variants timed on `clock`)."""
    items = ItemKeepingEvaluator(data.eval, prompts, section=clock.section if clock is not None else None)
    every = [guard for guard in data.guards if guard.every_evaluation]
    if not every:
        return items, items
    from sentence_transformers.sentence_transformer.evaluation import SequentialEvaluator

    from trainables.evaluation.guard_evaluator import GuardEvaluator

    guarded = SequentialEvaluator([items, *(GuardEvaluator(guard, prompts) for guard in every)], main_score_function=lambda scores: scores[0])
    return guarded, items


def _publisher(run: TrialRun | None, model, checkpoint: BestCheckpoint, at_save: ReportAtSave, items: ItemKeepingEvaluator,
               fit_settled):
    def publish(metrics: dict, step: int, evaluation: int, last: bool) -> None:
        settled = fit_settled()
        if run is not None:
            checkpoint.consider(model, metrics, step, items.last_items)
            # The time so far goes with every evaluation: a trial a scheduler stops never reaches its end.
            run.log_metrics({**as_curves(metrics), **run.clock.metrics()}, step)
        if not last:  # the last evaluation goes to Tune with the test metrics, in the final report
            at_save.hold({**metrics, **settled, report_keys.STEP: step, report_keys.EVALUATION: evaluation})

    return publish


def _report_with_checkpoint(report, metrics: dict, scratch: str, holds_the_checkpoint: bool, clock: TrialClock) -> None:
    """Ray copies the scratch folder to the sweep's storage before `report` returns; only rank 0's counts."""
    if not holds_the_checkpoint:
        report(metrics)
        return
    from ray.tune import Checkpoint

    with clock.section(LOGGING):
        report(metrics, checkpoint=Checkpoint.from_directory(scratch))


def test_kept_checkpoint(model, trainer, reporter, checkpoint: BestCheckpoint, data: TrialData, context: TrialContext,
                         run: TrialRun, settings: TrialSettings, items: ItemKeepingEvaluator) -> dict:
    """The kept checkpoint is what the trial stands for: its eval metrics rank it, its test metrics are reported.
    Returns the last evaluation's metrics with the kept checkpoint's `best_` and `test_` ones."""
    step = trainer.state.global_step
    if reporter.evaluated_steps and reporter.evaluated_steps[-1] == step:
        last = reporter.last_metrics
    else:  # training ended between two evaluations, or was resumed after its last one
        with run.clock.section(EVAL):
            last = rename_evaluator_metrics(trainer.evaluator(model))
        if reporter.last_train_loss is not None:
            last["train_loss"] = reporter.last_train_loss
        run.log_metrics(as_curves(last), step)
        checkpoint.consider(model, last, step, items.last_items)
    if checkpoint.step in (None, step):
        kept = model
    else:
        from sentence_transformers import SentenceTransformer

        kept = SentenceTransformer(checkpoint.folder, device=settings.device, trust_remote_code=context.trust_remote_code)
    best = {BEST_PREFIX + key: value for key, value in checkpoint.metrics.items() if key != "train_loss"}
    _, test = judge(run, kept, data.eval, data.test, settings.prompts, eval_items=checkpoint.items)
    guards, over = {}, []
    if data.guards:
        from trainables.evaluation.guard_evaluator import judge_guards

        guards = judge_guards(kept, data.guards, settings.prompts)
        drops, over = guard_drops(data.guards, guards, context.guard_baselines.get(settings.encoding_key, {}))
        guards.update(drops)
        if over:
            run.set_tags({names.GUARD_EXCEEDED: "; ".join(over)})
    run.log_metrics({**best, **test, **guards}, step)
    # What `stop_when: noise` weighs a further trial's possible gain against.
    error = standard_error(checkpoint.items or {}, context.metric_key)
    return {**checkpoint.metrics, **best, **test, **guards, **({report_keys.GUARD_EXCEEDED: True} if over else {}),
            **({report_keys.EVAL_ERROR: error} if error is not None else {})}


def _cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()
