"""The Ray Tune function trainable: one trial trains one SentenceTransformer for real and reports."""

from __future__ import annotations

import os
import shutil

from search_spaces.losses import DEFAULT_LOSS, LOSSES, build_loss, training_loss
from search_spaces.parameters import is_training_argument
from sweeps.data.reshape import reshape
from sweeps.metrics import BEST_PREFIX, TEST_PREFIX, rename_evaluator_metrics
from trainables.checkpoint import BestCheckpoint
from trainables.fault_injection import FaultInjector, planned_fault, poison_loss
from trainables.loss_guard import NONFINITE_LOSS, NonFiniteLossGuard, out_of_memory_message
from trainables.precision import precision_arguments, trial_precision
from trainables.ranks import gather_from_ranks
from trainables.reporting import EvaluationReporter, evaluation_number
from trainables.resume_state import latest_checkpoint, resume_folder
from trainables.trial_run import TrialRun, finished_result

EVALUATIONS_PER_TRIAL = 2


def training_arguments(hyperparameters: dict, loss_name: str, output_dir: str, seed: int,
                       evaluations: int = EVALUATIONS_PER_TRIAL, precision: str = "fp32", use_gpu: bool = False) -> dict:
    """The TrainingArguments a trial uses: the sweep's choices plus what the runner owns.

    Evaluation, checkpoint and logging cadences are shares of the run, which HF Trainer turns into steps
    from its own step count (`TrainerState.eval_steps`): it knows the ranks, gradient accumulation and
    dropped last batches, where an estimate from the row count would not.
    """
    arguments = {k: v for k, v in hyperparameters.items() if is_training_argument(k)}
    arguments.setdefault("num_train_epochs", 1)
    arguments.setdefault("per_device_train_batch_size", 8)
    arguments.setdefault("eval_steps", share_of_run(evaluations))
    # Often enough that a NaN loss stops the trial soon; unfiltered, so the NaN shows.
    arguments.setdefault("logging_steps", share_of_run(4 * evaluations))
    arguments.setdefault("logging_nan_inf_filter", False)
    arguments.setdefault("seed", seed)
    if LOSSES[loss_name].batch_sampler:
        arguments.setdefault("batch_sampler", LOSSES[loss_name].batch_sampler)
    arguments.update(
        output_dir=output_dir,
        eval_strategy="steps",
        # One resumable checkpoint per trial, replaced at each evaluation.
        save_strategy="steps",
        save_steps=arguments["eval_steps"],
        save_total_limit=1,
        report_to="none",
        disable_tqdm=True,
        use_cpu=not use_gpu,
        **precision_arguments(precision),
    )
    return arguments


def share_of_run(parts: int) -> float:
    """HF's fractional step argument for "every 1/parts of the run". A whole run is just under 1.0, since 1.0 means one step."""
    return 1 / parts if parts > 1 else 1 - 1e-9


def effective_batch_size(arguments: dict, world_size: int) -> int:
    return int(arguments["per_device_train_batch_size"]) * world_size * int(arguments.get("gradient_accumulation_steps", 1))


def train_sentence_transformer(config: dict, data: dict, sweep: dict) -> None:
    from ray import tune

    context = tune.get_context()
    trial_id, trial_name = context.get_trial_id(), context.get_trial_name()
    already = finished_result(sweep, trial_id)
    if already is not None:
        tune.report(already)
        return
    run = TrialRun(sweep, trial_id, trial_name)
    run.set_tags({"sweeps.node_id": _node_id()})
    try:
        if sweep["resources"]["workers"] > 1:
            from trainables.distributed_trial import fit_distributed_trial

            fit_distributed_trial(config, data, sweep, trial_id, run.run_id)
        else:
            _train(config, data, sweep, run, context.get_trial_dir(), tune.report)
    except SystemExit as exit_request:
        # tune.report raises SystemExit(0) when a scheduler stops this trial; the driver records that.
        if exit_request.code not in (0, None) and not run.closed():
            run.fail(exit_request)
        raise
    except BaseException as error:
        if not run.closed():
            run.fail(error)
        raise


def training_rows(data: dict, config: dict, seed: int) -> dict[str, list]:
    """The columns this trial's loss trains on; the driver reshaped them once for the whole sweep."""
    data_format = LOSSES[training_loss(config)].data_format
    if data_format in data.get("train_formats", {}):
        return data["train_formats"][data_format]
    return reshape(data["train"], data_format, seed)[0]


def _train(config: dict, data: dict, sweep: dict, run: TrialRun | None, trial_dir: str, report,
           rank: int = 0, world_size: int = 1, trial_id: str | None = None) -> None:
    """Train one trial on this process. With several ranks, every rank trains and reports; rank 0 alone
    (the one holding `run`) logs, keeps the best checkpoint and tests it."""
    import torch
    from datasets import Dataset
    from sentence_transformers import SentenceTransformer, SentenceTransformerTrainer, SentenceTransformerTrainingArguments
    from transformers import PrinterCallback

    from sweeps.data.evaluators import build_evaluator, evaluate

    main = rank == 0
    if sweep.get("threads"):
        torch.set_num_threads(int(sweep["threads"]))
    loss_name = config.get("loss", DEFAULT_LOSS)
    hyperparameters = {**config, "loss": loss_name}
    resources = sweep.get("resources", {})
    # A trial that asked for no GPU stays off it, even where one is visible: another trial may hold it.
    use_gpu = _cuda_available() and resources.get("gpus_per_worker", 1) > 0
    workers = _worker_processes(world_size)
    precision = trial_precision(resources.get("precision", "auto"), use_gpu, world_size)

    device = "cuda" if use_gpu else "cpu"
    model = SentenceTransformer(sweep["models"][config["base_model"]], device=device)
    if "max_seq_length" in config:
        model.max_seq_length = int(config["max_seq_length"])
    train_dataset = Dataset.from_dict(training_rows(data, config, sweep["seed"]))
    evaluations = int(sweep.get("evaluations_per_trial", EVALUATIONS_PER_TRIAL))
    trial_id = trial_id or run.trial_id
    root = sweep.get("checkpoint_root")
    output_dir = resume_folder(root, trial_id) if root else os.path.join(trial_dir, "hf")
    arguments = training_arguments(hyperparameters, training_loss(hyperparameters), output_dir, sweep["seed"], evaluations, precision, use_gpu)
    if main:
        run.log_params({**hyperparameters, "world_size": world_size, "precision": precision,
                        "effective_batch_size": effective_batch_size(arguments, world_size)})
        run.set_tags({"sweeps.base_model_path": sweep["models"][config["base_model"]], "sweeps.data_fingerprint": data["fingerprint"],
                      "sweeps.worker_processes": ", ".join(workers)})
    eval_evaluator = build_evaluator(data["eval"])
    # Outside the trial's working folder, which Ray copies to storage: one copy, owned by the driver.
    folder = os.path.join(root, trial_id) if root else os.path.join(trial_dir, "best_model")
    checkpoint = BestCheckpoint(folder, sweep.get("metric_key", "ndcg_at_10"), sweep.get("mode", "max"))

    def publish(metrics: dict, step: int, evaluation: int, last: bool) -> None:
        if main:
            run.log_metrics(metrics, step)
            checkpoint.consider(model, metrics, step)
        if not last:  # the last evaluation goes to Tune with the test metrics, in the final report
            report({**metrics, "step": step, "evaluation": evaluation, "checkpoint_dir": checkpoint.folder})

    reporter = EvaluationReporter(publish)
    guard = NonFiniteLossGuard()
    callbacks = [reporter, guard]
    loss = build_loss(hyperparameters, model, lambda reference: SentenceTransformer(sweep["models"][reference], device=device))
    fault = planned_fault(config)
    if fault == "nan_loss":
        loss = poison_loss(loss)
    elif fault:
        callbacks.append(FaultInjector(fault, os.path.join(output_dir, "fault-fired")))
    trainer = SentenceTransformerTrainer(
        model=model,
        args=SentenceTransformerTrainingArguments(**arguments),
        train_dataset=train_dataset,
        loss=loss,
        evaluator=eval_evaluator,
        callbacks=callbacks,
    )
    trainer.remove_callback(PrinterCallback)
    resume_from = latest_checkpoint(output_dir)
    if main and resume_from:
        run.set_tags({"sweeps.resumed_from": os.path.basename(resume_from)})
    try:
        throughput = trainer.train(resume_from_checkpoint=resume_from).metrics.get("train_samples_per_second")
    except torch.OutOfMemoryError as error:
        raise RuntimeError(out_of_memory_message(arguments, world_size, config.get("max_seq_length"))) from error
    step = trainer.state.global_step
    evaluation = evaluation_number(step, trainer.state.eval_steps)
    if guard.tripped:
        # Not an error to retry: the same config diverges again. FAILED in MLflow, ended for Tune.
        if main:
            run.fail_with_reason(guard.reason(hyperparameters), NONFINITE_LOSS)
            if root:
                shutil.rmtree(output_dir, ignore_errors=True)
        report({sweep.get("metric_key", "ndcg_at_10"): float("nan"), "step": step, "evaluation": evaluation,
                "final": True, "outcome": NONFINITE_LOSS})
        return
    if not main:
        # The other ranks only meet rank 0 at its final report (a barrier); what they send is dropped.
        report({"step": step, "evaluation": evaluation, "final": True})
        return
    if reporter.evaluated_steps and reporter.evaluated_steps[-1] == step:
        final = reporter.last_metrics
    else:  # training ended between two evaluations, or was resumed after its last one
        final = rename_evaluator_metrics(eval_evaluator(model))
        if reporter.last_train_loss is not None:
            final["train_loss"] = reporter.last_train_loss
        run.log_metrics(final, step)
        checkpoint.consider(model, final, step)
    # The kept checkpoint is what the trial stands for: its eval metrics rank it, its test metrics are reported.
    kept = model if checkpoint.step in (None, step) else SentenceTransformer(checkpoint.folder, device=device)
    best = {BEST_PREFIX + key: value for key, value in checkpoint.metrics.items() if key != "train_loss"}
    test = evaluate(kept, data["test"], prefix=TEST_PREFIX)
    speed = {"train_samples_per_second": throughput} if throughput else {}
    run.log_metrics({**best, **test, **speed}, step)
    run.set_tags({"sweeps.best_step": checkpoint.step, "sweeps.last_step": step, "sweeps.checkpoint_dir": checkpoint.folder})
    # Closed before the final report: a scheduler may end the process as soon as it sees it.
    run.finish()
    if root:  # finished: nothing to resume, and a full optimizer state per trial adds up
        shutil.rmtree(output_dir, ignore_errors=True)
    report({**checkpoint.metrics, **best, **test, **speed, "step": step, "evaluation": evaluation, "best_step": checkpoint.step,
            "checkpoint_dir": checkpoint.folder, "final": True})


def _worker_processes(world_size: int) -> list[str]:
    """host:pid of every rank, gathered over the process group: the trial's record that DDP really ran."""
    import socket

    return gather_from_ranks(f"{socket.gethostname()}:{os.getpid()}", world_size)


def _node_id() -> str:
    import ray

    return ray.get_runtime_context().get_node_id()


def _cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()
