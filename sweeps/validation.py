"""Every check that needs more than the schema: names, values, losses, models, data. Runs before Ray starts."""

from __future__ import annotations

from pathlib import Path

from search_spaces.losses import LOSSES, incompatibility, swept_losses
from search_spaces.parameters import RUNNER_OWNED, settable_parameter_names, value_problem
from sweeps.config import SweepConfig
from sweeps.data.prepare import prepare_data
from sweeps.errors import SweepInputError, did_you_mean, problem
from sweeps.model_refs import ModelReferenceError, resolve_model


def check_parameters(config: SweepConfig, source: str) -> list[str]:
    problems = []
    known = settable_parameter_names()
    for name, spec in config.parameters.items():
        key = f"parameters.{name}"
        if name in RUNNER_OWNED:
            problems.append(problem(source, key, "is set by the runner and can't be swept; remove it", name))
            continue
        if name not in known:
            problems.append(problem(
                source, key,
                f"must be base_model, loss, max_seq_length or a SentenceTransformerTrainingArguments field{did_you_mean(name, known)}",
                name,
            ))
            continue
        if spec.distribution is not None and name in ("base_model", "loss"):
            problems.append(problem(source, key, "takes `value` or `values`, not a distribution", spec.distribution))
            continue
        for value in spec.candidate_values():
            reason = value_problem(name, value)
            if reason:
                where = f"{key}.{'values' if spec.values is not None else ('value' if spec.is_fixed else 'min/max')}"
                problems.append(problem(source, where, reason, value))
                break
    for loss_name in swept_losses(config.parameters):
        if loss_name not in LOSSES:
            problems.append(problem(source, "parameters.loss", f"must name a loss in {sorted(LOSSES)}{did_you_mean(str(loss_name), LOSSES)}", loss_name))
    return problems


def resolve_base_models(config: SweepConfig, source: str, base_dir: Path) -> tuple[dict[str, str], list[str]]:
    resolved, problems = {}, []
    for reference in config.parameters["base_model"].candidate_values():
        try:
            resolved[reference] = resolve_model(str(reference), base_dir)
        except ModelReferenceError as error:
            problems.append(f"{source}: `parameters.base_model` {error}")
    return resolved, problems


def validate_sweep(config: SweepConfig, sweep_file: str | Path) -> dict:
    """Check everything and read the data once. Returns what a run needs: data, model paths."""
    source, base_dir = str(sweep_file), Path(sweep_file).resolve().parent
    problems = check_parameters(config, source)
    models, model_problems = resolve_base_models(config, source, base_dir)
    problems += model_problems
    if problems:
        raise SweepInputError(problems)
    prepared = prepare_data(config.data.model_dump(), config.seed, source, base_dir)
    columns = list(prepared["train"])
    for loss_name in swept_losses(config.parameters):
        reason = incompatibility(loss_name, columns)
        if reason:
            problems.append(problem(source, "parameters.loss", f"must suit the data from `data.source` ({reason})", loss_name))
    if problems:
        raise SweepInputError(problems)
    return {"data": prepared, "models": models}
