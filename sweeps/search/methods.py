"""The search methods a sweep file may name (`method:`), each with the trials it plans and the searcher it hands Tune.
W&B's `bayes` is Optuna's TPE: the schema turns it into `optuna` before it gets here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from search_spaces.samplers import build_sampler, grid_sampler_size
from search_spaces.space import OptunaSpace, grid_configs

# The schema names its methods from this table, so the builders take the sweep's config (a SweepConfig) untyped.
SweepConfig = Any


@dataclass(frozen=True)
class SearchMethod:
    """`plan(config, parameters)`: (trials, configs decided up front, grid size); `searcher(config, plan)`: Tune's
    searcher for a TrialPlan, before the concurrency limit; `sampler`: the Optuna sampler it draws with, if any."""

    plan: Callable[[SweepConfig, dict], tuple[int, list[dict[str, Any]], int]]
    searcher: Callable[[SweepConfig, Any], Any]
    sampler: Callable[[SweepConfig], str | None]


def _plan_grid(config: SweepConfig, parameters: dict) -> tuple[int, list[dict[str, Any]], int]:
    configs = grid_configs(parameters, config.seed)
    grid_size = len(configs)
    if config.run_cap is not None:
        configs = configs[: config.run_cap]
    return len(configs), configs, grid_size


def _plan_drawn(config: SweepConfig, parameters: dict) -> tuple[int, list[dict[str, Any]], int]:
    if config.sampler == "grid":
        size = grid_sampler_size(parameters)
        return min(size, config.run_cap or size), [], size
    return config.run_cap, [], 0


def _planned_searcher(config: SweepConfig, plan):
    from sweeps.search.planned_searcher import PlannedSearcher

    return PlannedSearcher(plan.configs, config.metric.key, config.metric.mode.value)


def _optuna_searcher(config: SweepConfig, plan):
    from sweeps.search.pruning_optuna_search import PruningOptunaSearch

    seed, warm = config.seed, {}
    if plan.warm_start is not None and (plan.warm_start.observations or plan.warm_start.enqueued):
        # OptunaSearch loads a study of this name from this storage: the earlier sweep's trials are in it already.
        warm = {"storage": warm_study(config, plan), "study_name": config.name}
        # The sweep's own seed would draw the earlier sweep's random first points again (seen: a warm start's third
        # trial repeated the earlier sweep's fourth learning rate to the digit).
        seed = config.seed + 1 + len(plan.warm_start.observations)
    sampler = build_sampler(METHODS[config.method].sampler(config), seed, plan.parameters)
    return PruningOptunaSearch(space=OptunaSpace(plan.parameters), metric=config.metric.key, mode=config.metric.mode.value,
                               sampler=sampler, **warm)


def warm_study(config: SweepConfig, plan):
    """An in-memory Optuna study holding an earlier sweep's finished trials as observations and its best ones enqueued."""
    import optuna

    from search_spaces.space import choice_label, optuna_distributions

    distributions = optuna_distributions(plan.parameters)
    storage = optuna.storages.InMemoryStorage()
    study = optuna.create_study(storage=storage, study_name=config.name, direction=config.metric.mode.optuna_direction)
    for params, value in plan.warm_start.observations:
        encoded = {name: choice_label(value) for name, value in params.items()}
        study.add_trial(optuna.trial.create_trial(params=encoded, distributions={name: distributions[name] for name in encoded}, value=value))
    for config_first in plan.warm_start.enqueued:
        study.enqueue_trial({name: choice_label(value) for name, value in config_first.items() if name in distributions})
    return storage


# Name -> what it plans and searches with; the schema takes its names from here.
METHODS: dict[str, SearchMethod] = {
    "grid": SearchMethod(_plan_grid, _planned_searcher, sampler=lambda config: None),
    # One random search, with Optuna's handling of conditions and seeds: Optuna's RandomSampler.
    "random": SearchMethod(_plan_drawn, _optuna_searcher, sampler=lambda config: "random"),
    "optuna": SearchMethod(_plan_drawn, _optuna_searcher, sampler=lambda config: config.sampler),
}
