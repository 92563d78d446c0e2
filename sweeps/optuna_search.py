"""Ray Tune's OptunaSearch, told which trials the scheduler stopped early.

Tune reports a scheduler-stopped trial as complete with its last intermediate result; Optuna's
samplers should see it as PRUNED, not as a finished trial scored on a half-trained model.
"""

from __future__ import annotations

from ray.tune.search.optuna import OptunaSearch

SAMPLER_CLASSES = {"tpe": "TPESampler", "random": "RandomSampler", "gp": "GPSampler", "cmaes": "CmaEsSampler",
                   "grid": "GridSampler", "qmc": "QMCSampler"}


class PruningOptunaSearch(OptunaSearch):
    def on_trial_complete(self, trial_id: str, result: dict | None = None, error: bool = False) -> None:
        if result is not None and not error and not result.get("final"):
            result = None  # no value and no error: OptunaSearch tells the study PRUNED
        super().on_trial_complete(trial_id, result=result, error=error)


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
