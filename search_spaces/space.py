"""Turn W&B-style parameter specs into grid points or Ray Tune domains."""

from __future__ import annotations

import itertools
from typing import Any


def grid_points(parameters: dict[str, dict]) -> list[dict[str, Any]]:
    """Every combination of the `values` parameters, in the order the sweep file lists them."""
    listed = {name: spec["values"] for name, spec in parameters.items() if spec.get("values") is not None}
    names = list(listed)
    return [dict(zip(names, combination)) for combination in itertools.product(*listed.values())]


def tune_domain(spec: dict):
    from ray import tune

    if spec.get("values") is not None:
        return tune.choice(spec["values"])
    distribution = spec.get("distribution")
    if distribution is None:
        return spec["value"]
    low, high = spec["min"], spec["max"]
    if distribution == "uniform":
        return tune.uniform(low, high)
    if distribution == "log_uniform_values":
        return tune.loguniform(low, high)
    if distribution == "int_uniform":
        return tune.randint(int(low), int(high) + 1)
    return tune.quniform(low, high, spec["q"])


def sampled_space(parameters: dict[str, dict]) -> dict[str, Any]:
    """Tune's param_space. A grid's points override its `values` entries (see trial_plan)."""
    return {name: tune_domain(spec) for name, spec in parameters.items()}
