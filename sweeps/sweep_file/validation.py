"""Every check of a sweep file that needs more than the schema: names, values, losses, conditions, models, callbacks."""

from __future__ import annotations

from pathlib import Path

from search_spaces.losses import DEFAULT_INNER_LOSS, GUIDE_MODEL, INNER_LOSS, LOSSES, loss_parameter_names, losses_accepting, swept_losses
from search_spaces.parameters import AUTO_BATCH, BATCH_SIZE, RUNNER_DECIDES, RUNNER_OWNED, is_settable, settable_parameter_names, value_problem
from sweeps.errors import SweepInputError, did_you_mean, problem
from sweeps.secrets import looks_secret
from sweeps.sweep_file.model_refs import ModelReferenceError, resolve_model
from sweeps.sweep_file.schema import SweepConfig
from trainables.prompts import PROMPTS_PARAMETER
from trainables.contract.tasks import TASKS, infer_task


# Names people bring from other tools' sweep files and training scripts, for the hint their spelling can't give.
PARAMETER_ALIASES = {"batch_size": "per_device_train_batch_size", "train_batch_size": "per_device_train_batch_size",
                     "epochs": "num_train_epochs", "num_epochs": "num_train_epochs", "lr": "learning_rate",
                     "warmup": "warmup_ratio", "max_length": "max_seq_length", "model": "base_model", "model_name": "base_model",
                     "matryoshka_inner_loss": "inner_loss"}


def parameter_name_problem(name: str, source: str) -> str | None:
    """What is wrong with a parameter's name alone: checked with the schema too, so a file's mistakes come in one pass."""
    key = f"parameters.{name}"
    if looks_secret(name):
        return problem(source, key, "must not be a credential: parameters are logged to MLflow as params; "
                       "give it through the environment (e.g. HF_TOKEN) instead", name)
    if name in RUNNER_OWNED:
        return problem(source, key, "is set by the runner and can't be swept; remove it", name)
    if name in RUNNER_DECIDES:
        return problem(source, key, f"is decided by the runner ({RUNNER_DECIDES[name]}); remove it", name)
    if not is_settable(name):
        return problem(source, key, "must be base_model, loss, max_seq_length, a loss parameter or a SentenceTransformerTrainingArguments "
                       f"field{did_you_mean(name, settable_parameter_names(), PARAMETER_ALIASES)}", name)
    return None


def check_parameters(config: SweepConfig, source: str) -> list[str]:
    problems = []
    for name, spec in config.parameters.items():
        key = f"parameters.{name}"
        named_wrong = parameter_name_problem(name, source)
        if named_wrong:
            problems.append(named_wrong)
            continue
        if spec.distribution is not None and name in ("base_model", "loss", GUIDE_MODEL, INNER_LOSS):
            problems.append(problem(source, key, "takes `value` or `values`, not a distribution", spec.distribution))
            continue
        for value in spec.candidate_values():
            reason = value_problem(name, value)
            if reason:
                where = f"{key}.{'values' if spec.values is not None else ('value' if spec.is_fixed else 'min/max')}"
                problems.append(problem(source, where, reason, value))
                break
    batch = config.parameters.get(BATCH_SIZE)
    workers = config.resources.workers_per_trial
    if batch is not None and workers > 1 and AUTO_BATCH in batch.candidate_values():
        # An out-of-memory error on one rank would leave the others waiting in their all-reduce.
        problems.append(problem(source, f"parameters.{BATCH_SIZE}", f"must be a number when resources.workers_per_trial > 1 ({AUTO_BATCH!r} "
                                f"fits the batch inside one process)", f"{AUTO_BATCH} with workers_per_trial {workers}"))
    for loss_name in swept_losses(config.parameters):
        if loss_name not in LOSSES:
            problems.append(problem(source, "parameters.loss", f"must name a loss in {sorted(LOSSES)}{did_you_mean(str(loss_name), LOSSES)}", loss_name))
    if problems:
        return problems
    return check_loss_parameters(config, source) + check_conditions(config, source) + check_sampler(config, source)


def check_loss_parameters(config: SweepConfig, source: str) -> list[str]:
    problems = []
    losses = swept_losses(config.parameters)
    wrapped = any(LOSSES[loss].wraps_a_loss for loss in losses)
    for name in config.parameters:
        if name in loss_parameter_names() and not wrapped and not set(losses_accepting(name)) & set(losses):
            problems.append(problem(source, f"parameters.{name}", f"applies only with loss {' or '.join(losses_accepting(name))}, "
                                    "so the sweep's `parameters.loss` must include one", losses))
    if INNER_LOSS in config.parameters:
        wrappers = [loss for loss in losses if LOSSES[loss].wraps_a_loss]
        for inner in config.parameters[INNER_LOSS].candidate_values():
            if inner not in LOSSES or LOSSES[inner].wraps_a_loss:
                plain = sorted(loss for loss, spec in LOSSES.items() if not spec.wraps_a_loss)
                problems.append(problem(source, f"parameters.{INNER_LOSS}", f"must name a loss to wrap, one of {plain}"
                                        f"{did_you_mean(str(inner), plain)}", inner))
                continue
            for wrapper in wrappers:
                if not LOSSES[wrapper].can_wrap(LOSSES[inner]):
                    fits = sorted(loss for loss, spec in LOSSES.items() if LOSSES[wrapper].can_wrap(spec))
                    problems.append(problem(source, f"parameters.{INNER_LOSS}", f"must be a loss {wrapper} can wrap ({LOSSES[wrapper].wraps}: "
                                            f"{', '.join(fits)})", inner))
    return problems


def check_conditions(config: SweepConfig, source: str) -> list[str]:
    problems = []
    conditional = {name for name, spec in config.parameters.items() if spec.when}
    for name, spec in config.parameters.items():
        for ref, allowed in (spec.when or {}).items():
            key = f"parameters.{name}.when.{ref}"
            other = config.parameters.get(ref)
            if ref == name:
                problems.append(problem(source, key, "must name another parameter, not the one it conditions", ref))
                continue
            if other is None and ref != "loss":
                problems.append(problem(source, key, f"must name another parameter of the sweep{did_you_mean(ref, config.parameters)}", ref))
                continue
            if ref in conditional:
                problems.append(problem(source, key, "must name a parameter without its own `when`", ref))
                continue
            if other is not None and other.distribution is not None:
                problems.append(problem(source, key, "must name a parameter given by `value` or `values`, not a distribution", ref))
                continue
            candidates = other.candidate_values() if other is not None else swept_losses(config.parameters)
            unknown = [value for value in (allowed if isinstance(allowed, list) else [allowed]) if value not in candidates]
            if unknown:
                problems.append(problem(source, key, f"must list values that `parameters.{ref}` can take ({candidates})", unknown))
    return problems


def check_sampler(config: SweepConfig, source: str) -> list[str]:
    if config.sampler == "grid":
        continuous = [name for name, spec in config.parameters.items() if spec.distribution is not None]
        if continuous:
            return [problem(source, "sampler", "can be grid only when every searched parameter has `values`; these have a distribution", continuous)]
    return []


def resolve_base_models(config: SweepConfig, source: str, base_dir: Path, parameter: str = "base_model") -> tuple[dict[str, str], list[str]]:
    return resolve_references(config.parameters.get(parameter), source, base_dir, parameter, config.allow_custom_code)


def resolve_references(spec, source: str, base_dir: Path, parameter: str = "base_model",
                       allow_custom_code: bool = False) -> tuple[dict[str, str], list[str]]:
    """The model each of a parameter's values names (a ParameterSpec, or None), and a line for each that names none or
    names a folder that would not load (its weights cut short, code of its own without `allow_custom_code`)."""
    from sweeps.sweep_file.model_check import model_folder_problems

    resolved, problems = {}, []
    for reference in spec.candidate_values() if spec is not None else []:
        try:
            resolved[reference] = resolve_model(str(reference), base_dir)
        except ModelReferenceError as error:
            problems.append(f"{source}: `parameters.{parameter}` {error}")
            continue
        if Path(resolved[reference]).is_dir():
            problems += [problem(source, f"parameters.{parameter}", expected, str(reference))
                         for expected in model_folder_problems(Path(resolved[reference]), allow_custom_code)]
    return resolved, problems


def check_task(config: SweepConfig, source: str) -> list[str]:
    """The data's roles, the metric and every swept loss must belong to one task."""
    roles = list(config.data.columns)
    if config.task is None:
        _, mixed = infer_task(roles)
        return [problem(source, "data.columns", f"must map the roles of one task ({_task_roles(mixed)}), or `task` must say which",
                        roles)]
    task, problems = config.task_spec, []
    for role in roles:
        if role not in task.roles + task.optional_roles:
            problems.append(problem(source, f"data.columns.{role}", f"must be a role of task {task.name!r} "
                                    f"({', '.join(task.roles + task.optional_roles)})", role))
    if config.data.score_range is not None and task.name != "sts":
        problems.append(problem(source, "data.score_range", "applies to task 'sts' (scored pairs)", task.name))
    for key, names in (("metric.name", [config.metric.name]), ("metric.also", config.metric.also)):
        for name in names:
            if task.metric_key(name) is None:
                owners = [other for other in TASKS.values() if other.metric_key(name)]
                hint = (f" ({name} is task {owners[0].name!r}'s: set `task: {owners[0].name}` and map its columns)" if owners
                        else did_you_mean(str(name), task.metric_names()))
                problems.append(problem(source, key, f"must be a metric task {task.name!r} produces ({', '.join(task.metric_names())}){hint}", name))
    for loss_name in swept_losses(config.parameters):
        trained = [loss_name]
        if loss_name in LOSSES and LOSSES[loss_name].wraps_a_loss:
            inner = config.parameters.get(INNER_LOSS)
            trained = inner.candidate_values() if inner is not None else [DEFAULT_INNER_LOSS]
        for name in trained:
            if name in LOSSES and not LOSSES[name].wraps_a_loss and not task.fits(name):
                where = "parameters.loss" if name == loss_name else f"parameters.{INNER_LOSS}"
                fitting = [loss for loss in task.fitting_losses() if not LOSSES[loss].wraps_a_loss]
                problems.append(problem(source, where, f"must be a loss that fits task {task.name!r} ({', '.join(fitting)})", name))
    return problems


def check_guards(config: SweepConfig, source: str) -> list[str]:
    problems = []
    names = [guard.name for guard in config.guard]
    for index, guard in enumerate(config.guard):
        key = f"guard[{index}]"
        if names.count(guard.name) > 1 and names.index(guard.name) == index:
            problems.append(problem(source, f"{key}.name", "must be unique among the guards (it names their MLflow metrics)", guard.name))
        task_name = guard.task_name
        if task_name is None or task_name not in ("retrieval", "sts"):
            problems.append(problem(source, f"{key}.columns", "must map the roles of retrieval (anchor, positive) or sts (sentence1, "
                                    "sentence2, score), or `task` must say which", list(guard.columns)))
            continue
        task = TASKS[task_name]
        if guard.metric is not None and task.metric_key(guard.metric) is None:
            problems.append(problem(source, f"{key}.metric", f"must be a metric guard task {task_name!r} produces "
                                    f"({', '.join(name for name in task.metric_names() if name != 'triplet_accuracy')})", guard.metric))
        if guard.score_range is not None and task_name != "sts":
            problems.append(problem(source, f"{key}.score_range", "applies to a guard of task 'sts'", task_name))
    if config.data.hard_negatives is not None and config.task not in (None, "retrieval"):
        problems.append(problem(source, "data.hard_negatives", "are mined for retrieval rows (anchor, positive)", f"task {config.task!r}"))
    return problems


def _task_roles(task_names: list[str]) -> str:
    return "; ".join(f"{name}: {', '.join(TASKS[name].roles + TASKS[name].optional_roles)}" for name in task_names)


def check_callbacks(config: SweepConfig, source: str) -> list[str]:
    if not config.callbacks:
        return []
    from trainables.callbacks.custom_callbacks import NotACallback, callback_class

    problems = []
    for index, name in enumerate(config.callbacks):
        try:
            callback_class(name)
        except NotACallback as error:
            problems.append(problem(source, f"callbacks[{index}]", str(error), name))
    return problems


def check_stopping(config: SweepConfig, source: str) -> list[str]:
    if config.stop_when == "noise" and config.method == "grid":
        # A grid's points are fixed up front: there is no model of the space to bound what another point could gain.
        return [problem(source, "stop_when", "must be used with method random or optuna (a grid's points are fixed, so "
                        "nothing bounds what another one could gain)", f"{config.stop_when} with method grid")]
    return []


def check_soup(config: SweepConfig, source: str) -> list[str]:
    """A soup averages kept checkpoints of trials that can be averaged: the sweep must keep them, and plan two that share
    a base model and prompts (a grid's points are known; a search's draws are not, so it needs only two trials)."""
    soup = config.soup
    if soup is None:
        return []
    problems = []
    if config.keep_models < soup.top_k:
        problems.append(problem(source, "keep_models", f"must be at least soup.top_k ({soup.top_k}): the soup averages the kept "
                                "trials' checkpoints, and every other one is deleted", config.keep_models))
    if config.method == "grid":
        from collections import Counter

        from search_spaces.space import grid_points

        points = grid_points({name: spec.model_dump() for name, spec in config.parameters.items()})[: config.run_cap]
        shared = Counter((repr(point.get("base_model", config.parameters["base_model"].value)), repr(point.get(PROMPTS_PARAMETER)))
                         for point in points)
        if max(shared.values(), default=0) < 2:
            problems.append(problem(source, "soup", "needs two planned trials that share a base model and prompts (weights of "
                                    "different models can't be averaged)", f"{len(points)} grid points, none sharing them"))
    elif (config.run_cap or 0) < 2:
        problems.append(problem(source, "soup", "needs at least two trials to average (`run_cap` >= 2)", f"run_cap {config.run_cap}"))
    return problems


def check_serving(config: SweepConfig, source: str, models: dict[str, str]) -> list[str]:
    """The metric's variant must be one the sweep scores, and no size may exceed a base model's embedding dimension."""
    from sweeps.sweep_file.model_check import embedding_dimension

    problems, metric, serving = [], config.metric, config.serving
    if metric.variant is not None:
        if serving is None:
            problems.append(problem(source, "metric.dim", "must name a size the sweep scores, which a `serving` section lists "
                                    "(serving: {dims: [...], precisions: [...]})", metric.dim))
        else:
            if metric.dim not in serving.dims:
                problems.append(problem(source, "metric.dim", f"must be one of serving.dims {serving.dims}", metric.dim))
            if metric.variant.precision not in serving.precisions:
                problems.append(problem(source, "metric.precision", f"must be one of serving.precisions {serving.precisions}",
                                        metric.variant.precision))
    sizes = [("serving.dims", dim) for dim in (serving.dims if serving else [])]
    spec = config.parameters.get("matryoshka_dims")
    for value in spec.candidate_values() if spec is not None else []:
        sizes += [("parameters.matryoshka_dims", dim) for dim in (value if isinstance(value, list) else [value]) if isinstance(dim, int)]
    for reference, path in models.items():
        dimension = embedding_dimension(Path(path)) if Path(path).is_dir() else None
        for key, dim in dict.fromkeys(sizes):
            if dimension is not None and dim > dimension:
                problems.append(problem(source, key, f"must be at most the embedding dimension of base model {reference} ({dimension})", dim))
    return problems


def check_sweep(config: SweepConfig, sweep_file: str | Path) -> tuple[dict[str, str], dict[str, str]]:
    """Every check that needs no data, all problems at once. Returns the base and guide models' paths."""
    source, base_dir = str(sweep_file), Path(sweep_file).resolve().parent
    problems = (check_task(config, source) + check_guards(config, source) + check_parameters(config, source) + check_callbacks(config, source)
                + check_stopping(config, source) + check_soup(config, source))
    models, model_problems = resolve_base_models(config, source, base_dir)
    guides, guide_problems = resolve_base_models(config, source, base_dir, GUIDE_MODEL)
    problems += model_problems + guide_problems + check_serving(config, source, models)
    if problems:
        raise SweepInputError(problems)
    return models, guides
