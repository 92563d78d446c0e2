"""A sweep ready to run: its file read and checked, its models found, its data read, split and shaped for every
swept loss, and its trials planned. All of it happens before any worker starts, so bad input costs nothing."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from sweeps.data.guard_sets import guard_sets
from sweeps.data.hard_negatives import describe as describe_mining
from sweeps.data.hard_negatives import mine
from sweeps.data.prepare import PreparedData, data_problems, prepare_data
from sweeps.data.training_sets import training_sets
from sweeps.data_check import DataCheck, check_data
from sweeps.errors import SweepInputError, problem
from sweeps.planning.trial_plan import TrialPlan, plan_trials
from sweeps.sweep_file.schema import SweepConfig
from sweeps.sweep_file.validation import check_sweep
from trainables.contract.metrics import metric_key
from trainables.contract.tasks import LABEL_RANKING_KEYS
from trainables.contract.trial_data import GuardSet, TrialData
from trainables.prompts import PROMPTS_PARAMETER, Prompts, prompts_in_model_folder


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
    guards: tuple[GuardSet, ...] = ()
    mining_stats: dict | None = None  # what the hard-negative miner found, once it has run (not in a dry run)
    data_check: DataCheck | None = None  # what the data check found, and dropped

    def world(self) -> dict:
        """What this sweep starts from, as `--resume` compares it: before mining, whose output follows from it."""
        from sweeps.tracking.sweep_world import sweep_world

        return sweep_world(self.config, self.read_fingerprint, self.model_paths)

    @property
    def read_fingerprint(self) -> str:
        return self.data.source_fingerprint or self.data.fingerprint

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
        return TrialData(self.training_sets, self.data.eval, self.data.test, self.data.fingerprint, self.guards)

    def mining_model(self) -> tuple[str, str]:
        """(the reference, its path) of the model that mines hard negatives: data.hard_negatives.model, else the first base model."""
        reference = self.config.data.hard_negatives.model or self.config.parameters["base_model"].candidate_values()[0]
        if reference in self.models:
            return reference, self.models[reference]
        from sweeps.sweep_file.model_refs import resolve_model

        return reference, resolve_model(str(reference), Path(self.source).resolve().parent)

    def mining_options(self) -> dict:
        options = self.config.data.hard_negatives.model_dump()
        swept = self.config.parameters.get("max_seq_length")
        if options["max_seq_length"] is None and swept is not None and swept.is_fixed:
            options["max_seq_length"] = int(swept.value)
        return options

    def plan_lines(self) -> list[str]:
        """What the run will do beyond the trials: mining, guards."""
        lines = []
        if self.config.data.hard_negatives is not None:
            reference, _ = self.mining_model()
            lines.append("hard negatives: " + describe_mining(self.mining_options(), reference, self.data) + " (mined when the sweep runs)")
        serving = self.config.serving
        if serving is not None:
            plan = self.data.eval.serving
            picked = self.config.metric.variant
            calibration = (f"; int8 ranges from {len(plan.query_texts) + len(plan.document_texts)} training texts (none held out)"
                           if plan.calibrates else "")
            lines.append(f"serving: every evaluation also scored at {', '.join(map(str, serving.dims))} dimensions in "
                         f"{', '.join(serving.precisions)} ({len(plan.variants)} variants, from the same encoding{calibration}); "
                         + (f"picked at {picked.label} ({picked.bytes_per_vector} bytes a vector)" if picked else "picked at full size"))
        soup = self.config.soup
        if soup is not None:
            blend = f", blended toward the base at α {', '.join(f'{alpha:g}' for alpha in soup.blend_base)} (picked on eval within the guards)" if soup.blend_base else ""
            lines.append(f"soup: {soup.method} over the {soup.top_k} best kept trials after the trials{blend}, judged as a trial")
        for guard, prepared in zip(self.config.guard, self.guards):
            limit = f"max_drop {guard.max_drop:g}" if guard.max_drop is not None else "no max_drop (reported only)"
            lines.append(f"guard {guard.name}: {guard.source} ({guard.split}), {guard.metric_key} against the untrained baseline, {limit}"
                         f"{', at every evaluation' if guard.every_evaluation else ''}; {guard_size(prepared.evaluation_set)}")
        return lines

    def with_hard_negatives(self, say) -> PreparedSweep:
        """The sweep training on mined hard negatives (mined now, or read from the cache)."""
        if self.config.data.hard_negatives is None:
            return self
        options = self.mining_options()
        reference, path = self.mining_model()
        say("hard negatives: " + describe_mining(options, reference, self.data))
        mined = mine(self.data, options, path, Prompts.from_model_config(prompts_in_model_folder(path)),
                     self.config.local_folder / "hard_negatives")
        stats = mined.stats
        say(f"hard negatives: {'reused the cached mining' if mined.cached else 'mined'}: {stats['training_rows']} of "
            f"{stats['training_rows_before']} training rows got {options['num_negatives']} ({stats['pairs_with_too_few']} relevant pairs "
            f"had too few); query-positive similarity p50 {stats['positive_score'].get('p50', float('nan')):.3f}, "
            f"query-negative p50 {stats['negative_score'].get('p50', float('nan')):.3f}")
        sets, notes, problems = training_sets(mined.data.train, self.config.parameters, self.config.seed, self.source)
        if problems:
            raise SweepInputError(problems)
        return dataclasses.replace(self, data=mined.data, training_sets=sets, reshape_notes=notes, mining_stats=stats)


def metric_problems(config: SweepConfig, data: PreparedData, source: str) -> list[str]:
    """Metrics the task names but this data can't give: ranking the label names needs labels that are text."""
    if config.task != "classification" or data.eval.label_names:
        return []
    keys = [(where, name) for where, names in (("metric.name", [config.metric.name]), ("metric.also", config.metric.also)) for name in names]
    return [problem(source, where, "ranks the label names, so the data's labels must be text; with integer labels use "
                    "triplet_accuracy or knn_accuracy", name) for where, name in keys if metric_key(name) in LABEL_RANKING_KEYS]


def prepare_sweep(config: SweepConfig, sweep_file: str | Path) -> PreparedSweep:
    """Check everything and read the data once; every problem found is raised together."""
    source = str(sweep_file)
    try:
        models, guides = check_sweep(config, sweep_file)
    except SweepInputError as error:  # the data's own problems too, in the same pass
        raise SweepInputError(error.problems + data_problems(config.data, config.seed, source, Path(sweep_file).resolve().parent,
                                                             config.task)) from None
    data = prepare_data(config.data, config.seed, source, Path(sweep_file).resolve().parent, config.task,
                        (config.metric.base_key, *config.metric.also_keys))
    unused = [f"data.{split}_fraction is unused: the source has its own {split} split" for split in data.own_splits
              if f"{split}_fraction" in config.data.model_fields_set]
    if unused:
        data = dataclasses.replace(data, notes=(*data.notes, *unused))
    problems = metric_problems(config, data, source)
    guards, guard_problems = guard_sets(config.guard, config.seed, source, Path(sweep_file).resolve().parent)
    # Before the losses' rows are shaped: they are shaped from the training rows the check leaves.
    data, checked = check_data(data, guards, config, models)
    if config.serving is not None:
        from sweeps.data.serving_calibration import serving_plan
        from trainables.contract.evaluation_sets import with_serving

        plan = serving_plan(config.serving.variants, data.train, config.task, [data.eval, data.test], config.seed,
                            config.serving.calibration_texts)
        data = dataclasses.replace(data, eval=with_serving(data.eval, plan), test=with_serving(data.test, plan))
    sets, notes, loss_problems = training_sets(data.train, config.parameters, config.seed, source)
    problems += loss_problems + guard_problems + checked.problems(source)
    warm = None
    if config.warm_start is not None and not problems:
        from sweeps.search.warm_start import read_warm_start

        try:
            warm = read_warm_start(config, data.fingerprint, source)
        except SweepInputError as error:
            problems += error.problems
    if problems:
        raise SweepInputError(problems)
    plan = plan_trials(config, warm)
    if plan.num_samples == 0:
        raise SweepInputError([problem(source, "warm_start.from", "must leave this grid a point to run (every one finished there on the "
                                       "same data)", config.warm_start.from_)])
    return PreparedSweep(config, source, data, sets, notes, models, guides, plan, guards, data_check=checked)


def guard_size(evaluation_set) -> str:
    return evaluation_set.size()
