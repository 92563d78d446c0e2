"""`warm_start: {from: SWEEP, top_k: 3}`: start from what an earlier sweep in the same MLflow store learned.

- Its best `top_k` configurations are tried first (Optuna: enqueued on the study; a grid: its matching points first).
- Optuna's sampler gets its finished trials as observations, each one whose parameters this sweep's space can hold;
  each one it can't gets a line saying why.
- A grid skips the points the earlier sweep finished on the same data (the same data fingerprint), and says so.

The earlier sweep must exist and have this sweep's metric and task: otherwise one line each, before anything starts.
Its parameters are read back through its recorded sweep file (sweeps.tracking.sweep_world), which types its trials'
params (MLflow keeps them as text).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from search_spaces.space import choice_label, draws_integers
from sweeps.errors import SweepInputError, did_you_mean, problem
from trainables.contract import mlflow_names as names
from trainables.contract.metrics import ranking_key


@dataclass(frozen=True)
class SourceTrial:
    name: str
    config: dict[str, Any]  # the earlier sweep's parameters, typed
    value: float  # its kept checkpoint's eval metric


@dataclass
class WarmStart:
    source: str  # the earlier sweep's name
    parent_run_id: str
    same_data: bool
    trials: list[SourceTrial]
    enqueued: list[dict[str, Any]] = field(default_factory=list)  # tried first
    observations: list[tuple[dict[str, Any], float]] = field(default_factory=list)  # for Optuna's sampler
    lines: list[str] = field(default_factory=list)

    @property
    def tag(self) -> str:
        return f"{self.source} (parent run {self.parent_run_id})"


def read_warm_start(config, data_fingerprint: str, source_file: str) -> WarmStart:
    """The earlier sweep's finished trials, typed and ranked by this sweep's metric; SweepInputError when it can't be used."""
    from mlflow.tracking import MlflowClient

    from sweeps.tracking.parent_run import recorded_world
    from sweeps.tracking.store import absolute_tracking_uri

    wanted, key = config.warm_start.from_, "warm_start.from"
    uri = absolute_tracking_uri(config.mlflow.tracking_uri)
    # A sqlite store not there yet holds no sweep: opening it would create it, and bad input writes nothing.
    database = Path(uri.removeprefix("sqlite:///")) if uri.startswith("sqlite:///") else None
    client = None if database is not None and not database.exists() else MlflowClient(uri)
    sweeps = [] if client is None else client.search_runs(
        [experiment.experiment_id for experiment in client.search_experiments()],
        filter_string=f"tags.`{names.ROLE}` = '{names.SWEEP_ROLE}'", order_by=["attributes.start_time DESC"])
    named = [run for run in sweeps if run.info.run_name == wanted and run.info.status == "FINISHED"]
    if not named:
        known = sorted({run.info.run_name for run in sweeps if run.info.status == "FINISHED"})
        raise SweepInputError([problem(source_file, key, f"must name a finished sweep in this MLflow store ({len(known)} there"
                                       f"{': ' + ', '.join(known[:5]) if known else ''}){did_you_mean(wanted, known)}", wanted)])
    parent = named[0]
    problems = []
    their_metric = parent.data.tags.get(names.METRIC)
    if their_metric != config.metric.key:
        problems.append(problem(source_file, key, f"must name a sweep judged by this sweep's metric {config.metric.key}", f"{wanted} (metric {their_metric})"))
    their_task = parent.data.params.get(names.ParentParam.TASK)
    if their_task != config.task:
        problems.append(problem(source_file, key, f"must name a sweep of this sweep's task {config.task!r}", f"{wanted} (task {their_task!r})"))
    world = recorded_world(config.mlflow.tracking_uri, parent.info.run_id)
    if world is None:
        problems.append(problem(source_file, key, "must name a sweep that recorded its sweep file (sweeps since resume/world.json)", wanted))
    if problems:
        raise SweepInputError(problems)
    their_parameters = world["search"].get("parameters", {})
    children = client.search_runs([parent.info.experiment_id], filter_string=f"tags.`mlflow.parentRunId` = '{parent.info.run_id}'")
    metric = ranking_key(config.metric.key)
    trials = []
    for run in children:
        value = run.data.metrics.get(metric)
        if run.data.tags.get(names.ROLE) != names.TRIAL_ROLE or run.info.status != "FINISHED" or value is None or not math.isfinite(value):
            continue
        trials.append(SourceTrial(run.info.run_name, {name: typed(spec, run.data.params[name]) for name, spec in their_parameters.items()
                                                      if name in run.data.params}, value))
    trials.sort(key=lambda trial: trial.value, reverse=config.metric.mode.maximizes)
    return WarmStart(wanted, parent.info.run_id, world.get("data_fingerprint") == data_fingerprint, trials)


def typed(spec: dict, text: str) -> Any:
    """A trial's param, as MLflow keeps it (str(value)), back to the value its sweep file gave or drew."""
    if spec.get("values") is not None:
        return next((value for value in spec["values"] if str(value) == text or str(choice_label(value)) == text), text)
    if spec.get("distribution") is not None:
        return int(float(text)) if draws_integers(spec) else float(text)
    return spec.get("value", text)


def plan_warm_start(warm: WarmStart, method: str, parameters: dict[str, dict], top_k: int, grid: list[dict]) -> tuple[list[dict], WarmStart]:
    """(the grid's configs, in the order they run, without the points already finished on the same data; the warm start
    with what Optuna is given and its lines)."""
    lines = [f"warm start: from sweep {warm.tag}, {len(warm.trials)} finished trials"
             f"{'' if warm.same_data else ' on other data (another fingerprint)'}"]
    if not warm.trials:
        lines.append(f"warm start: {warm.source} has no finished trial to start from")
    best = warm.trials[:top_k]
    if method == "grid":
        finished = [comparable(trial.config, parameters) for trial in warm.trials] if warm.same_data else []
        kept = [point for point in grid if comparable(point, parameters) not in finished]
        if len(kept) < len(grid):
            lines.append(f"warm start: {len(grid) - len(kept)} of {len(grid)} grid points finished in {warm.source} on the same data: skipped")
        first = [comparable(trial.config, parameters) for trial in best]
        kept.sort(key=lambda point: first.index(comparable(point, parameters)) if comparable(point, parameters) in first else len(first))
        warm.lines = lines
        return kept, warm
    from search_spaces.space import optuna_distributions

    distributions = optuna_distributions(parameters)
    for trial in warm.trials:
        why = incompatibility(trial.config, parameters, distributions)
        if why:
            lines.append(f"warm start: trial {trial.name} is not given to the sampler: {why}")
        else:
            warm.observations.append(({name: trial.config[name] for name in distributions if name in trial.config}, trial.value))
    fitting = [trial for trial in warm.trials if not incompatibility(trial.config, parameters, distributions)]
    warm.enqueued = [{name: trial.config[name] for name in parameters if name in trial.config} for trial in fitting[:top_k]]
    lines.append(f"warm start: {len(warm.observations)} trials given to the sampler, the best {len(warm.enqueued)} tried first")
    warm.lines = lines
    return grid, warm


def comparable(config: dict, parameters: dict[str, dict]) -> str:
    """A config as this sweep's parameters see it; one an earlier sweep left at this sweep's fixed value counts as set."""
    return json.dumps({name: config.get(name, parameters[name].get("value")) for name in sorted(parameters)}, sort_keys=True, default=str)


def incompatibility(config: dict, parameters: dict[str, dict], distributions: dict) -> str | None:
    """Why this sweep's space can't hold an earlier trial, or None."""
    for name, value in config.items():
        if name not in parameters:
            return f"it set {name}={value!r}, which this sweep doesn't"
    for name, spec in parameters.items():
        if name not in config:
            continue
        value = config[name]
        if name in distributions:
            distribution = distributions[name]
            if hasattr(distribution, "choices"):
                if choice_label(value) not in distribution.choices:
                    return f"{name}={value!r} is not among this sweep's values {spec['values']}"
            elif not isinstance(value, int | float) or not distribution.low <= value <= distribution.high:
                return f"{name}={value!r} is outside this sweep's [{distribution.low:g}, {distribution.high:g}]"
        elif spec.get("value") != value:
            return f"{name}={value!r} where this sweep fixes {spec.get('value')!r}"
    return None
