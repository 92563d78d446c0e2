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
    """`plan(config, parameters)`: (trials, configs decided up front, grid size); `searcher(config, configs,
    parameters)`: Tune's searcher, before the concurrency limit; `sampler`: the Optuna sampler it draws with, if any."""

    plan: Callable[[SweepConfig, dict], tuple[int, list[dict[str, Any]], int]]
    searcher: Callable[[SweepConfig, list[dict[str, Any]], dict], Any]
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


def _planned_searcher(config: SweepConfig, configs: list[dict[str, Any]], parameters: dict):
    from sweeps.search.planned_searcher import PlannedSearcher

    return PlannedSearcher(configs, config.metric.key, config.metric.mode.value)


def _optuna_searcher(config: SweepConfig, configs: list[dict[str, Any]], parameters: dict):
    from sweeps.search.pruning_optuna_search import PruningOptunaSearch

    return PruningOptunaSearch(space=OptunaSpace(parameters), metric=config.metric.key, mode=config.metric.mode.value,
                               sampler=build_sampler(METHODS[config.method].sampler(config), config.seed, parameters))


# Name -> what it plans and searches with; the schema takes its names from here.
METHODS: dict[str, SearchMethod] = {
    "grid": SearchMethod(_plan_grid, _planned_searcher, sampler=lambda config: None),
    # One random search, with Optuna's handling of conditions and seeds: Optuna's RandomSampler.
    "random": SearchMethod(_plan_drawn, _optuna_searcher, sampler=lambda config: "random"),
    "optuna": SearchMethod(_plan_drawn, _optuna_searcher, sampler=lambda config: config.sampler),
}
