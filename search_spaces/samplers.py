"""The Optuna samplers a sweep file may name (`sampler:`), by name; the random method is Optuna's RandomSampler."""

from __future__ import annotations

SAMPLER_CLASSES = {"tpe": "TPESampler", "random": "RandomSampler", "gp": "GPSampler", "cmaes": "CmaEsSampler",
                   "grid": "GridSampler", "qmc": "QMCSampler"}


def build_sampler(name: str | None, seed: int, parameters: dict[str, dict]):
    import optuna

    from search_spaces.space import optuna_distributions

    name = name or "tpe"
    sampler_class = getattr(optuna.samplers, SAMPLER_CLASSES[name])
    if name == "grid":
        grid = {param: list(distribution.choices) for param, distribution in optuna_distributions(parameters).items()}
        return sampler_class(grid, seed=seed)
    return sampler_class(seed=seed)


def grid_sampler_size(parameters: dict[str, dict]) -> int:
    from search_spaces.space import optuna_distributions

    size = 1
    for distribution in optuna_distributions(parameters).values():
        size *= len(distribution.choices)
    return size
