"""What Tune will run: the search algorithm, the configs or space it draws from, how many trials, and the scheduler."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from search_spaces.samplers import build_sampler
from search_spaces.space import OptunaSpace, grid_points
from sweeps.search.methods import METHODS
from sweeps.search.schedulers import build_scheduler
from sweeps.sweep_file.schema import SweepConfig

SUGGESTIONS_SHOWN = 5


@dataclass
class TrialPlan:
    method: str
    num_samples: int
    parameters: dict[str, dict]
    configs: list[dict[str, Any]] = field(default_factory=list)  # grid: decided up front
    grid_size: int = 0
    warm_start: Any = None  # sweeps.search.warm_start.WarmStart: what an earlier sweep gives this one

    def first_suggestions(self, config: SweepConfig, count: int = SUGGESTIONS_SHOWN) -> list[dict[str, Any]]:
        if self.method == "grid":
            return self.configs[:count]
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        study = optuna.create_study(sampler=build_sampler(sampler_name(config), config.seed, self.parameters),
                                    direction=config.metric.mode.optuna_direction)
        space = OptunaSpace(self.parameters)
        return [space(study.ask()) for _ in range(min(count, self.num_samples))]

    def describe(self, config: SweepConfig) -> list[str]:
        sampler = f" ({config.sampler or 'tpe'} sampler)" if self.method == "optuna" else ""
        stopping = ""
        if config.early_terminate is not None:
            stopping = f", early stopping: {config.early_terminate.type} (grace {config.early_terminate.grace_period} of {config.evaluations_per_trial} evaluations)"
        lines = [f"method: {self.method}{sampler}, trials: {self.num_samples}, max concurrent: {config.max_concurrent or 'as the cluster fits'}{stopping}",
                 "search space:"]
        for name, spec in config.parameters.items():
            if spec.values is not None:
                shown = f"one of {spec.values}"
            elif spec.distribution is not None:
                low, high = spec.candidate_values()
                shown = f"{spec.distribution}({low:g}, {high:g}{f', q={spec.q:g}' if spec.q else ''})"
            else:
                shown = repr(spec.value)
            when = f"  when {spec.when}" if spec.when else ""
            lines.append(f"  {name}: {shown}{when}")
        if self.method == "grid":
            capped = f", capped to {self.num_samples} by run_cap" if self.grid_size > self.num_samples else ""
            lines.append(f"grid points: {self.grid_size}{capped}")
            lines += [f"  {index:3d}  {point}" for index, point in enumerate(grid_points(self.parameters)[: self.num_samples])]
        else:
            lines.append(f"first suggestions ({min(SUGGESTIONS_SHOWN, self.num_samples)} of {self.num_samples}):")
            lines += [f"  {index:3d}  {suggestion}" for index, suggestion in enumerate(self.first_suggestions(config))]
        return lines


def plan_trials(config: SweepConfig, warm=None) -> TrialPlan:
    """`warm`: the earlier sweep `warm_start` names, read (sweeps.search.warm_start.read_warm_start)."""
    parameters = {name: spec.model_dump() for name, spec in config.parameters.items()}
    num_samples, configs, grid_size = METHODS[config.method].plan(config, parameters)
    if warm is not None:
        from sweeps.search.warm_start import plan_warm_start

        configs, warm = plan_warm_start(warm, config.method, parameters, config.warm_start.top_k, configs)
        if config.method == "grid":
            num_samples = len(configs)
    return TrialPlan(config.method, num_samples, parameters, configs, grid_size, warm)


def search_algorithm(config: SweepConfig, plan: TrialPlan, concurrency: int = 1, trial_weight: float = 1.0, tracking=None):
    """The searcher, limited to `concurrency` trials at once, stopping at `metric.target`, on `stop_when` and within
    `budget`. `trial_weight`: what an hour of one trial counts against the budget (sweeps.search.trial_hours);
    `tracking`: the sweep's SweepTracking, where `stop_when` records why it stopped."""
    from ray.tune.search import ConcurrencyLimiter

    searcher = METHODS[config.method].searcher(config, plan)
    limited = False
    if config.metric.target is not None:
        from sweeps.search.stop_at_target import StopAtTarget

        searcher, limited = StopAtTarget(searcher, concurrency, config.metric.target), True
    if config.stop_when == "noise":
        from sweeps.search.noise_stop import NoiseStop

        searcher, limited = NoiseStop(searcher, concurrency, plan.parameters, tracking, config.seed), True
    if config.budget is not None:
        from sweeps.search.budget_limiter import BudgetLimiter
        from sweeps.search.trial_hours import TrialHours

        searcher, limited = BudgetLimiter(searcher, concurrency, TrialHours(config.budget.trial_hours, trial_weight)), True
    return searcher if limited else ConcurrencyLimiter(searcher, max_concurrent=concurrency)


def sampler_name(config: SweepConfig) -> str | None:
    return METHODS[config.method].sampler(config)


def scheduler_for(config: SweepConfig):
    """`early_terminate` as a Tune scheduler, or None to run every trial to its end."""
    stopping = config.early_terminate
    if stopping is None:
        return None
    return build_scheduler(stopping.type, config.evaluations_per_trial, stopping.grace_period, stopping.reduction_factor,
                           stopping.min_samples_required)
