"""Which names may appear under `parameters`, and what values each accepts."""

from __future__ import annotations

import dataclasses
import functools
import types
import typing

from search_spaces.losses import loss_parameter, loss_parameter_names
from search_spaces.training_argument_fields import NULLABLE, SNAPSHOT_OF, TRAINING_ARGUMENT_TYPES

PLAIN_TYPES = {plain.__name__: plain for plain in (int, float, bool, str)}

# Parameters that are not TrainingArguments fields: they shape the model and the loss. `prompts` replaces the
# TrainingArguments field of that name: {query: …, document: …} for training and every evaluator alike.
MODEL_PARAMETERS = {"base_model": str, "loss": str, "max_seq_length": int, "prompts": dict}
PROMPT_ROLES = ("query", "document")
# The runner owns these: letting a sweep set them would break logging, reporting or the file layout.
RUNNER_OWNED = {
    "output_dir", "report_to", "eval_strategy", "evaluation_strategy", "save_strategy", "logging_dir",
    "run_name", "disable_tqdm", "push_to_hub", "hub_token", "hub_model_id", "do_train", "do_eval",
    "load_best_model_at_end", "metric_for_best_model", "greater_is_better", "overwrite_output_dir",
}
# Fields the runner decides, and how: a sweep file that copies them from a notebook is told, instead of logging values
# that never took effect (bf16: true logged while the trial trained in fp32; save_steps logged and overridden).
RUNNER_DECIDES = {
    **dict.fromkeys(("bf16", "fp16", "bf16_full_eval", "fp16_full_eval"),
                    "precision is `resources.precision`: auto (bf16 where the GPU has it, fp16 on older GPUs, fp32 on CPU), bf16, fp16 or fp32"),
    "save_steps": "a trial saves its resume checkpoint at each evaluation: set `evaluations_per_trial`",
    "save_total_limit": "a trial keeps one resume checkpoint and its best model; `keep_models` says how many models the sweep keeps",
    "auto_find_batch_size": "the runner fits the batch itself: `per_device_train_batch_size: auto`, and an out-of-memory error "
                            "before the first evaluation halves the batch with twice the gradient accumulation",
    "per_device_eval_batch_size": "the runner's evaluators encode in batches of their own (64); the trainer's eval loop does not run",
    # 50 steps on a 32-step trial erased the train-loss curve, which the NaN guard watches.
    "logging_steps": "the train loss is logged 4 times per evaluation, so every evaluation has its loss points and a NaN loss stops "
                     "the trial within a quarter of an evaluation",
}
BATCH_SIZE = "per_device_train_batch_size"
# `per_device_train_batch_size: auto`: the largest batch that fits the trial's GPU, from AUTO_BATCH_START down by halves
# (trainables/batch_fit.py). 128 is where sentence-transformers' in-batch-negative losses stop gaining much on small models.
AUTO_BATCH = "auto"
AUTO_BATCH_START = 128
POSITIVE = {"learning_rate", "per_device_train_batch_size", "per_device_eval_batch_size", "num_train_epochs",
            "max_seq_length", "eval_steps", "gradient_accumulation_steps", "logging_steps"}
NON_NEGATIVE = {"weight_decay", "warmup_ratio", "warmup_steps", "max_grad_norm"}


def installed_training_argument_types() -> dict[str, object]:
    """The installed library's fields and their declared types: imports sentence-transformers, torch and transformers."""
    from sentence_transformers import SentenceTransformerTrainingArguments

    return {field.name: field.type for field in dataclasses.fields(SentenceTransformerTrainingArguments) if field.init}


@functools.cache
def _installed_names() -> frozenset[str]:
    return frozenset(installed_training_argument_types())


@functools.cache
def _snapshot_is_current() -> bool:
    """Whether the installed libraries are the snapshot's: read from their metadata, without importing them (seconds)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return all(version(package) == snapshot for package, snapshot in SNAPSHOT_OF.items())
    except PackageNotFoundError:
        return False


def accepts_none(declared) -> bool:
    options = typing.get_args(declared) if isinstance(declared, types.UnionType) or typing.get_origin(declared) is typing.Union else (declared,)
    return type(None) in options or declared is None


def plain_type_names(declared) -> tuple[str, ...] | None:
    """Names of the plain types a value of `declared` may have, or None when it accepts something richer (enums, dicts)."""
    options = typing.get_args(declared) if isinstance(declared, types.UnionType) or typing.get_origin(declared) is typing.Union else (declared,)
    plain = tuple(option for option in options if option in (int, float, bool, str))
    if len(plain) != len([option for option in options if option is not type(None)]):
        return None
    return tuple(option.__name__ for option in plain)


def is_settable(name: str) -> bool:
    """A name the sweep file may set. A field newer than the snapshot is looked up in the installed library."""
    if name in RUNNER_OWNED or name in RUNNER_DECIDES:
        return False
    if name in MODEL_PARAMETERS or name in loss_parameter_names() or name in TRAINING_ARGUMENT_TYPES:
        return True
    return not _snapshot_is_current() and name in _installed_names()


def settable_parameter_names() -> set[str]:
    """For did-you-mean hints: the names known without importing the library."""
    return (set(MODEL_PARAMETERS) | loss_parameter_names() | set(TRAINING_ARGUMENT_TYPES)) - RUNNER_OWNED - set(RUNNER_DECIDES)


def is_training_argument(name: str) -> bool:
    return name not in MODEL_PARAMETERS and name not in loss_parameter_names()


def expected_type(name: str) -> tuple[type, ...] | None:
    """Plain types a value must have, or None when the field accepts something richer (enums, dicts)."""
    if name in MODEL_PARAMETERS:
        names = plain_type_names(MODEL_PARAMETERS[name])
    elif name in TRAINING_ARGUMENT_TYPES:
        names = TRAINING_ARGUMENT_TYPES[name]
    else:
        names = plain_type_names(installed_training_argument_types().get(name))
    if names is None:
        return None
    plain = tuple(PLAIN_TYPES[type_name] for type_name in names)
    if float in plain:
        plain = (*plain, int)  # 1 is a fine learning rate multiplier, and YAML writes 3 for 3.0
    return plain


def value_problem(name: str, value: object) -> str | None:
    """optuna-style reason `value` can't be used for `name`, or None."""
    if name in loss_parameter_names():
        return _loss_value_problem(name, value)
    if name == "prompts":
        return _prompts_problem(value)
    if name == BATCH_SIZE and isinstance(value, str):
        return None if value == AUTO_BATCH else f"must be int or {AUTO_BATCH!r}"
    wanted = expected_type(name)
    if value is None:
        return None if wanted is None or name in NULLABLE else f"must be {' or '.join(t.__name__ for t in wanted)}"
    if wanted is not None:
        is_bool = isinstance(value, bool)
        if not isinstance(value, wanted) or (is_bool and bool not in wanted):
            return f"must be {' or '.join(t.__name__ for t in dict.fromkeys(wanted))}"
    if name in POSITIVE and isinstance(value, int | float) and not value > 0:
        return "must be > 0"
    if name in NON_NEGATIVE and isinstance(value, int | float) and value < 0:
        return "must be >= 0"
    return None


def _loss_value_problem(name: str, value: object) -> str | None:
    parameter = loss_parameter(name)
    if parameter.kind is list:
        if not isinstance(value, list) or not value or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value):
            return "must be a non-empty list of positive ints"
        return None
    wanted = (int, float) if parameter.kind is float else (parameter.kind,)
    if not isinstance(value, wanted) or (isinstance(value, bool) and parameter.kind is not bool):
        return f"must be {parameter.kind.__name__}"
    if parameter.positive and not value > 0:
        return "must be > 0"
    return None


def _prompts_problem(value: object) -> str | None:
    if value is None:
        return None  # no prompts, even where the model has its own
    if not isinstance(value, dict) or not value or set(value) - set(PROMPT_ROLES) or not all(isinstance(v, str) for v in value.values()):
        return f"must be null or a mapping of {' and/or '.join(PROMPT_ROLES)} to text, e.g. {{query: 'query: ', document: 'passage: '}}"
    return None
