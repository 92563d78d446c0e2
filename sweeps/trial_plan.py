"""What Tune will run: the search algorithm, the parameter space, and how many trials."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from search_spaces.space import grid_points, sampled_space
from sweeps.config import SweepConfig


@dataclass
class TrialPlan:
    method: str
    num_samples: int
    param_space: dict[str, Any]
    grid: list[dict[str, Any]] = field(default_factory=list)
    grid_size: int = 0

    def describe(self, config: SweepConfig) -> list[str]:
        lines = [f"method: {self.method}, trials: {self.num_samples}, max concurrent: {config.max_concurrent}"]
        for name, spec in config.parameters.items():
            if spec.values is not None:
                shown = f"one of {spec.values}"
            elif spec.distribution is not None:
                shown = f"{spec.distribution}({spec.min}, {spec.max}{', q=' + str(spec.q) if spec.q else ''})"
            else:
                shown = repr(spec.value)
            lines.append(f"  {name}: {shown}")
        if self.method == "grid":
            capped = f" (capped from {self.grid_size} by run_cap)" if self.grid_size > len(self.grid) else ""
            lines.append(f"grid points{capped}:")
            lines += [f"  {index:3d}  {point}" for index, point in enumerate(self.grid)]
        return lines


def plan_trials(config: SweepConfig) -> TrialPlan:
    parameters = {name: spec.model_dump() for name, spec in config.parameters.items()}
    if config.method == "grid":
        points = grid_points(parameters)
        grid_size = len(points)
        if config.run_cap is not None:
            points = points[: config.run_cap]
        return TrialPlan("grid", len(points), sampled_space(parameters), points, grid_size)
    return TrialPlan(config.method, config.run_cap, sampled_space(parameters))


def search_algorithm(config: SweepConfig, plan: TrialPlan):
    from ray.tune.search import ConcurrencyLimiter
    from ray.tune.search.basic_variant import BasicVariantGenerator

    if config.method == "grid":
        # Grid points are ours (so run_cap can cut them); Tune samples any distributions per point.
        return BasicVariantGenerator(points_to_evaluate=plan.grid, random_state=config.seed, max_concurrent=config.max_concurrent)
    if config.method == "random":
        return BasicVariantGenerator(random_state=config.seed, max_concurrent=config.max_concurrent)
    import optuna
    from ray.tune.search.optuna import OptunaSearch

    searcher = OptunaSearch(metric=config.metric.key, mode=config.metric.mode, sampler=optuna.samplers.TPESampler(seed=config.seed))
    return ConcurrencyLimiter(searcher, max_concurrent=config.max_concurrent)
