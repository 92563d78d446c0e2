"""Turn W&B-style parameter specs into trial configs: grid points (a point's distribution parameters drawn
with the sweep's seed), or an Optuna define-by-run space (the optuna and random methods).
Conditional parameters appear only in trials where they apply.
"""

from __future__ import annotations

import itertools
import json
import math
import random
from typing import Any

from search_spaces.conditions import applies, effective_conditions, evaluation_order


def grid_points(parameters: dict[str, dict]) -> list[dict[str, Any]]:
    """Every combination of the `values` parameters that applies, in the order the sweep file lists them."""
    conditions = effective_conditions(parameters)
    fixed = {name: spec["value"] for name, spec in parameters.items() if _is_fixed(spec) and name not in conditions}
    points: list[dict[str, Any]] = [{}]
    for name in evaluation_order(parameters, conditions):
        values = parameters[name].get("values")
        if values is None:
            continue
        points = list(itertools.chain.from_iterable(
            [{**point, name: value} for value in values] if applies(name, {**fixed, **point}, conditions) else [point]
            for point in points
        ))
    return points


def complete_config(point: dict[str, Any], parameters: dict[str, dict], rng: random.Random) -> dict[str, Any]:
    """`point` plus every other applicable parameter: fixed values, and draws for the rest."""
    conditions = effective_conditions(parameters)
    config = dict(point)
    for name in evaluation_order(parameters, conditions):
        if name in config or not applies(name, config, conditions):
            continue
        config[name] = sample(parameters[name], rng)
    return {name: config[name] for name in parameters if name in config}


def grid_configs(parameters: dict[str, dict], seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [complete_config(point, parameters, rng) for point in grid_points(parameters)]


def sample(spec: dict, rng: random.Random) -> Any:
    if spec.get("values") is not None:
        return rng.choice(spec["values"])
    distribution = spec.get("distribution")
    if distribution is None:
        return spec["value"]
    low, high = spec["min"], spec["max"]
    if distribution == "uniform":
        return rng.uniform(low, high)
    if distribution == "log_uniform_values":
        return math.exp(rng.uniform(math.log(low), math.log(high)))
    if distribution == "int_uniform":
        return rng.randint(int(low), int(high))
    if distribution == "q_log_uniform_values":
        return quantize(spec, math.exp(rng.uniform(math.log(low), math.log(high))))
    return quantize(spec, rng.uniform(low, high))


def quantize(spec: dict, drawn: float) -> int | float:
    """A q_ distribution's draw on its grid of steps, kept within `min` and `max`; whole numbers stay ints."""
    step = spec.get("q") or 1.0
    lowest, highest = step_range(spec)
    steps = min(max(round(drawn / step), lowest), highest)
    if draws_integers(spec):
        return int(steps * step)
    return round(steps * step, 12)


def step_range(spec: dict) -> tuple[int, int]:
    """The first and last multiple of q (in steps) within `min` and `max`."""
    step = spec.get("q") or 1.0
    return math.ceil(spec["min"] / step - 1e-9), math.floor(spec["max"] / step + 1e-9)


def draws_integers(spec: dict) -> bool:
    """int_uniform, and a q_ distribution whose ends and step are whole numbers (batch sizes in steps of 8)."""
    if spec.get("distribution") == "int_uniform":
        return True
    return (spec.get("distribution") or "").startswith("q_") and all(
        float(number).is_integer() for number in (spec["min"], spec["max"], spec.get("q") or 1.0))


def choice_label(value: Any) -> Any:
    """Optuna's categorical choices must be None/bool/int/float/str: a list such as Matryoshka dims becomes JSON."""
    return value if value is None or isinstance(value, bool | int | float | str) else json.dumps(value)


def optuna_distributions(parameters: dict[str, dict]) -> dict[str, Any]:
    """The searched (non-fixed) parameters as Optuna distributions: for samplers, studies and plots."""
    import optuna.distributions as od

    distributions = {}
    for name, spec in parameters.items():
        if spec.get("values") is not None:
            distributions[name] = od.CategoricalDistribution([choice_label(v) for v in spec["values"]])
        elif spec.get("distribution") is not None:
            distributions[name] = _optuna_distribution(spec)
    return distributions


def _optuna_distribution(spec: dict):
    """Optuna has no log scale with a step: a q_log_uniform_values draw is made on the log scale and quantized after."""
    import optuna.distributions as od

    distribution, low, high, step = spec["distribution"], spec["min"], spec["max"], spec.get("q") or 1.0
    if distribution == "int_uniform" or (distribution == "q_log_uniform_values" and draws_integers(spec) and step == 1):
        return od.IntDistribution(int(low), int(high), log=distribution != "int_uniform")
    if distribution == "q_uniform":  # W&B's grid: the multiples of q between min and max
        lowest, highest = step_range(spec)
        if draws_integers(spec):
            return od.IntDistribution(int(lowest * step), int(highest * step), step=int(step))
        return od.FloatDistribution(round(lowest * step, 12), round(highest * step, 12), step=step)
    return od.FloatDistribution(low, high, log=distribution in ("log_uniform_values", "q_log_uniform_values"))


class OptunaSpace:
    """A define-by-run space for OptunaSearch: a class, not a closure, so Tune can pickle the searcher."""

    def __init__(self, parameters: dict[str, dict]):
        self.parameters = parameters
        self.conditions = effective_conditions(parameters)
        self.distributions = optuna_distributions(parameters)

    def __call__(self, trial) -> dict[str, Any]:
        config: dict[str, Any] = {}
        for name in evaluation_order(self.parameters, self.conditions):
            if not applies(name, config, self.conditions):
                continue
            spec = self.parameters[name]
            if name in self.distributions:
                config[name] = _decode(spec, _suggest(trial, name, self.distributions[name]))
            else:
                config[name] = spec["value"]
        # Returned values override what the trial captured: fixed values, and decoded list choices.
        return {name: config[name] for name in self.parameters if name in config}


def _suggest(trial, name: str, distribution) -> Any:
    import optuna.distributions as od

    if isinstance(distribution, od.CategoricalDistribution):
        return trial.suggest_categorical(name, distribution.choices)
    if isinstance(distribution, od.IntDistribution):
        return trial.suggest_int(name, distribution.low, distribution.high, step=distribution.step, log=distribution.log)
    return trial.suggest_float(name, distribution.low, distribution.high, log=distribution.log, step=distribution.step)


def _decode(spec: dict, suggested: Any) -> Any:
    if spec.get("distribution") == "q_log_uniform_values":
        return quantize(spec, suggested)
    if spec.get("values") is None:
        return suggested
    return next((value for value in spec["values"] if choice_label(value) == suggested), suggested)


def _is_fixed(spec: dict) -> bool:
    return spec.get("values") is None and spec.get("distribution") is None
