"""A W&B sweep file, read as ours: its spellings of our forms, its top-level words and its hyperband keys, all here.
The schema calls these before it validates, so a W&B file runs as written and every later step sees our forms."""

from __future__ import annotations

import math
from typing import Any

# W&B's spellings of our forms: read as ours, so a W&B sweep file runs as written.
WANDB_FORMS = {"constant": "value", "categorical": "values"}
WANDB_EXPONENT_DISTRIBUTIONS = {"log_uniform": "log_uniform_values", "q_log_uniform": "q_log_uniform_values"}
WANDB_HYPERBAND_KEYS = {"min_iter", "max_iter", "eta", "s"}
# Accepted beside the schema's own keys (by mapping), and read as ours before it.
WANDB_WORDS = {"": ["project"], "early_terminate": sorted(WANDB_HYPERBAND_KEYS)}
# W&B's keys that have no meaning here, and what to do instead.
WANDB_ONLY_KEYS = {
    "program": "is W&B's way to start a training script; here the trial is built in (SentenceTransformerTrainer on the sweep's "
               "`data` and `parameters`): remove it",
    "entity": "is W&B's team or user, which MLflow has no place for: remove it (the experiment is `project` or `mlflow.experiment`)",
}
WANDB_ONLY_KEYS["command"] = WANDB_ONLY_KEYS["program"]


def as_our_parameter_form(data: dict) -> dict:
    """W&B's `constant` and `categorical` are our `value` and `values`; its log_uniform takes exponents (e^min to e^max);
    `min` and `max` alone are int_uniform when both are whole numbers, else uniform."""
    distribution = data.get("distribution")
    if "distribution" not in data and {"min", "max"} <= set(data) and not {"value", "values"} & set(data):
        whole = all(isinstance(data[end], int) and not isinstance(data[end], bool) for end in ("min", "max"))
        return {**data, "distribution": "int_uniform" if whole else "uniform"}  # W&B's default for min and max
    if distribution in WANDB_FORMS and WANDB_FORMS[distribution] in data:
        return {key: value for key, value in data.items() if key != "distribution"}
    if distribution in WANDB_EXPONENT_DISTRIBUTIONS:
        data = {**data, "distribution": WANDB_EXPONENT_DISTRIBUTIONS[distribution]}
        for end in ("min", "max"):
            if isinstance(data.get(end), int | float) and not isinstance(data.get(end), bool):
                data[end] = math.exp(data[end])
    return data


def as_our_top_level(data: Any) -> Any:
    """W&B's top-level words for ours. `method: bayes` is Bayesian optimisation by a model of the scores so far:
    Optuna's TPE sampler here. `project` is the MLflow experiment. Hyperband's `max_iter` is the trial's last
    evaluation."""
    if not isinstance(data, dict):
        return data
    if data.get("method") == "bayes":
        data = {**data, "method": "optuna", "sampler": data.get("sampler") or "tpe"}
    if "project" in data:
        mlflow = data.get("mlflow") if isinstance(data.get("mlflow"), dict) else {}
        if "experiment" in mlflow:
            raise ValueError(f"give one of `project` (W&B's) and `mlflow.experiment`, but got both (project={data['project']!r}, "
                             f"mlflow.experiment={mlflow['experiment']!r})")
        data = {key: value for key, value in data.items() if key != "project"} | {"mlflow": {**mlflow, "experiment": data["project"]}}
    stopping = data.get("early_terminate")
    if isinstance(stopping, dict) and "max_iter" in stopping:
        evaluations = data.get("evaluations_per_trial", stopping["max_iter"])
        if evaluations != stopping["max_iter"]:
            raise ValueError("`early_terminate.max_iter` is the trial's last evaluation, so it must equal `evaluations_per_trial`, "
                             f"but got (max_iter={stopping['max_iter']}, evaluations_per_trial={evaluations})")
        data = {**data, "evaluations_per_trial": evaluations}
    return data


def as_our_hyperband(data: Any) -> Any:
    """W&B's hyperband keys, in evaluations (W&B's iterations are the metric's reports): `min_iter` is the first
    band, `eta` the reduction factor (3 unless given, as in W&B), and `max_iter` with `s` puts the first band at
    max_iter / eta^s. `max_iter` itself is the trial's last evaluation, checked at the sweep's level."""
    if not isinstance(data, dict) or not WANDB_HYPERBAND_KEYS & set(data):
        return data
    data = dict(data)
    for wandb_key, ours in (("min_iter", "grace_period"), ("eta", "reduction_factor")):
        if wandb_key in data and ours in data:
            raise ValueError(f"give one of `{wandb_key}` (W&B's) and `{ours}`, but got both ({wandb_key}={data[wandb_key]}, {ours}={data[ours]})")
    eta = data.pop("eta", data.get("reduction_factor", 3))
    data["reduction_factor"] = eta
    max_iter, brackets = data.pop("max_iter", None), data.pop("s", None)
    if "min_iter" in data:
        if brackets is not None:
            raise ValueError(f"`s` goes with `max_iter` (the first band at max_iter / eta^s), but got min_iter={data['min_iter']}; "
                             "with `min_iter` the bands run up to the trial's last evaluation")
        data["grace_period"] = data.pop("min_iter")
    elif max_iter is not None:
        if brackets is None:
            raise ValueError(f"`max_iter` needs `s` (the first band at max_iter / eta^s), as in W&B, but got max_iter={max_iter} alone")
        if all(isinstance(number, int | float) for number in (max_iter, brackets, eta)) and eta > 1:
            data["grace_period"] = max(1, round(max_iter / eta**brackets))
    elif brackets is not None:
        raise ValueError(f"`s` goes with `max_iter`, but got s={brackets} alone")
    return data
