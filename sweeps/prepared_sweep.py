"""A sweep ready to run: its file read and checked, its models found, its data read, split and shaped for every
swept loss, and its trials planned. All of it happens before any worker starts, so bad input costs nothing."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sweeps.data.prepare import PreparedData, prepare_data
from sweeps.data.training_sets import training_sets
from sweeps.errors import SweepInputError, problem
from sweeps.planning.trial_plan import TrialPlan, plan_trials
from sweeps.sweep_file.schema import SweepConfig
from sweeps.sweep_file.validation import check_sweep
from trainables.metrics import metric_key
from trainables.prompts import PROMPTS_PARAMETER, Prompts, prompts_in_model_folder
from trainables.tasks import LABEL_RANKING_KEYS
from trainables.trial_data import TrialData


@dataclass(frozen=True)
class PreparedSweep:
    config: SweepConfig
    source: str  # the sweep file, as every problem names it
    data: PreparedData
    training_sets: dict[str, dict[str, list]]  # data format -> rows, for every format a swept loss trains on
    reshape_notes: list[str]
    models: dict[str, str]  # base_model reference -> path or hub id
    guide_models: dict[str, str]
    plan: TrialPlan

    @property
    def model_paths(self) -> dict[str, str]:
        """Every model a trial may load: its base model and, for GISTEmbedLoss, its guide."""
        return {**self.guide_models, **self.models}

    def prompt_lines(self) -> list[str]:
        """The prompts each base model's trials and baseline use: the sweep's `prompts`, else the model's own."""
        swept = self.config.parameters.get(PROMPTS_PARAMETER)
        if swept is not None:
            return [f"prompts (the sweep's): {' | '.join(Prompts.from_parameter(value).describe() for value in swept.candidate_values())}"]
        return [f"prompts of {reference} (its own): {Prompts.from_model_config(prompts_in_model_folder(path)).describe()}"
                for reference, path in self.models.items()]

    def task_line(self) -> str:
        task, metric = self.config.task_spec, self.config.metric
        logged = ", ".join(dict.fromkeys([metric.key, *metric.also_keys]))
        return f"task: {task.name} (picks by {metric.goal} eval {logged}; judged by {task.judged_by})"

    def trial_data(self) -> TrialData:
        return TrialData(self.training_sets, self.data.eval, self.data.test, self.data.fingerprint)


def metric_problems(config: SweepConfig, data: PreparedData, source: str) -> list[str]:
    """Metrics the task names but this data can't give: ranking the label names needs labels that are text."""
    if config.task != "classification" or data.eval.get("label_names"):
        return []
    keys = [(where, name) for where, names in (("metric.name", [config.metric.name]), ("metric.also", config.metric.also)) for name in names]
    return [problem(source, where, "ranks the label names, so the data's labels must be text; with integer labels use "
                    "triplet_accuracy or knn_accuracy", name) for where, name in keys if metric_key(name) in LABEL_RANKING_KEYS]


def prepare_sweep(config: SweepConfig, sweep_file: str | Path) -> PreparedSweep:
    """Check everything and read the data once; every problem found is raised together."""
    source = str(sweep_file)
    models, guides = check_sweep(config, sweep_file)
    data = prepare_data(config.data.model_dump(), config.seed, source, Path(sweep_file).resolve().parent, config.task,
                        (config.metric.key, *config.metric.also_keys))
    problems = metric_problems(config, data, source)
    sets, notes, loss_problems = training_sets(data.train, config.parameters, config.seed, source)
    problems += loss_problems
    if problems:
        raise SweepInputError(problems)
    return PreparedSweep(config, source, data, sets, notes, models, guides, plan_trials(config))
