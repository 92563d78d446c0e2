"""The TrainingArguments a trial trains with: the sweep's choices plus what the runner owns."""

from __future__ import annotations

from search_spaces.losses import LOSSES
from search_spaces.parameters import is_training_argument
from trainables.precision import precision_arguments

DEFAULT_BATCH = 8  # HF TrainingArguments' own per_device_train_batch_size


def training_arguments(hyperparameters: dict, loss_name: str, output_dir: str, seed: int, evaluations: int,
                       precision: str = "fp32", use_gpu: bool = False) -> dict:
    """Evaluation, checkpoint and logging cadences are shares of the run, which HF Trainer turns into steps
    from its own step count (`TrainerState.eval_steps`): it knows the ranks, gradient accumulation and
    dropped last batches, where an estimate from the row count would not.
    """
    arguments = {k: v for k, v in hyperparameters.items() if is_training_argument(k)}
    arguments.setdefault("num_train_epochs", 1)
    arguments.setdefault("per_device_train_batch_size", DEFAULT_BATCH)
    arguments.setdefault("eval_steps", share_of_run(evaluations))
    # Often enough that a NaN loss stops the trial soon; unfiltered, so the NaN shows. The runner's alone (RUNNER_DECIDES).
    arguments["logging_steps"] = share_of_run(4 * evaluations)
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
