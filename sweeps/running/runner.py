"""Run a prepared sweep on Ray Tune, logging to MLflow, and show where the results are."""

from __future__ import annotations

import os

from rich.console import Console

from sweeps.cli.tracking_uri import DEFAULT_TRACKING_URI
from sweeps.data_check.data_card import CARD_JSON, CARD_PAGE
from sweeps.planning.resources import TrialResources
from sweeps.prepared_sweep import PreparedSweep
from sweeps.reports.leaderboard import fine_tuning_hurt, guard_lines, leaderboard_columns, leaderboard_rows, mark_the_noise, print_leaderboard
from sweeps.reports.search_report import log_search_report
from sweeps.reports.budget import budget_use
from sweeps.reports.target import target_line
from sweeps.reports.time_breakdown import soup_seconds, time_summary, trial_runs, trial_time_totals
from sweeps.running.disk_use import human
from sweeps.running.live_callbacks import register
from sweeps.running.model_keeper import ModelKeeper
from sweeps.running.node_scratch import clear_every_node_scratch
from sweeps.running.progress import SweepProgress
from sweeps.running.stopped_trials import StoppedTrialRecorder
from sweeps.running.train_runs import TrainRunEnder
from sweeps.running.trial_deaths import StorageLost, TrialDeathRecorder, storage_gone
from sweeps.running.tuner import new_tuner, restored_tuner
from sweeps.secrets import credentials_kept_from_tune
from sweeps.tracking.baselines import log_baselines
from sweeps.tracking.parent_run import SweepRun
from sweeps.tracking.store import absolute_tracking_uri, redact_uri
from sweeps.tracking.sweep_world import WORLD_ARTIFACT
from sweeps.tracking.ui_view import runs_page, runs_view, show_sweep_in_ui, view_key
from trainables.contract import mlflow_names as names
from trainables.contract.context import TRAIN_RUNS, TrialContext
from trainables.contract.metrics import GUARD_PREFIX, ranking_key
from trainables.storage import Storage


LOCAL_UI = "http://127.0.0.1:5000"  # where `mlflow ui` serves by default


def run_sweep(sweep: PreparedSweep, console: Console, resources: TrialResources, resume_run_id: str | None = None) -> list[dict]:
    """Run the sweep, or carry on with the unfinished one whose parent run is `resume_run_id`. Returns the leaderboard's rows."""
    config = sweep.config
    say = lambda text: console.print(text, highlight=False, soft_wrap=True)  # noqa: E731
    sweep_run = SweepRun(config.mlflow.tracking_uri, config.experiment_name, config.name, resume_run_id)
    status, results = "FAILED", None
    swept = [name for name, spec in config.parameters.items() if not spec.is_fixed]
    progress = SweepProgress(console, sweep.plan.num_samples, config.metric.key, config.metric.mode, config.evaluations_per_trial, tuple(swept))
    try:
        if resume_run_id is None:
            _describe_parent_run(sweep_run, sweep, resources)
        show_sweep_in_ui(sweep_run.client, sweep_run.experiment_id, view_key(config.name, sweep_run.run_id),
                         runs_view(sweep_run.run_id, config.metric.key, config.metric.mode.maximizes, swept))
        if config.baselines and not any(child.data.tags.get(names.ROLE) == names.BASELINE_ROLE for child in sweep_run.children()):
            log_baselines(sweep_run.tracking(), sweep.data, config.parameters, sweep.models, config.allow_custom_code, say, sweep.guards)
        # From here on the driver's cloud credentials are out of its environment, where Tune would copy them
        # into a runtime env that Ray logs; the storage is opened within, from the file they moved to.
        with credentials_kept_from_tune():
            results = _tune(sweep, sweep_run, resources, progress, resume_run_id, say)
        status = "FINISHED"
    except KeyboardInterrupt:
        status = "KILLED"
        raise
    finally:
        progress.stop()  # else the table's last redraw would land over what follows: the resume hint, an error
        sweep_run.close(status)
    # The sweep's end reads its runs once, the parent closed: one leaderboard (with its paired tests) feeds the search
    # report, the logged tables and the printed one.
    children = sweep_run.children()
    columns = leaderboard_columns(config.metric.key, config.task_spec, config.guard, tuple(config.metric.also_keys))
    rows = mark_the_noise(leaderboard_rows(children, config.metric.key, config.metric.mode, columns), sweep_run.client,
                          config.metric.key, config.promote.alpha)
    if results is not None:
        log_search_report(sweep_run, results, config, sweep.plan, rows, children, say, resources.trial_weight)
        _say_where_the_time_went(sweep_run, children, say)
    print_leaderboard(console, rows, config.metric.key, columns)
    hurt = fine_tuning_hurt(rows, config.metric.key, config.metric.mode)
    if hurt:
        say(hurt)
    for line in guard_lines(rows):
        say(line)
    say(f"MLflow: {_where_to_look(config.mlflow.tracking_uri, sweep_run)}  (experiment {config.experiment_name!r}, parent run {sweep_run.run_id})")
    if "promote" in config.model_fields_set:  # the file says where the champion goes: say how to send it there
        store = "" if config.mlflow.tracking_uri == DEFAULT_TRACKING_URI else f" --tracking-uri {redact_uri(absolute_tracking_uri(config.mlflow.tracking_uri))}"
        say(f"promote: sweeps promote {sweep_run.run_id}{store}  (registers {config.registered_model}@{config.promote.alias} behind its guards)")
    return rows


def _tune(sweep: PreparedSweep, sweep_run: SweepRun, resources: TrialResources, progress: SweepProgress, resume_run_id: str | None,
          say):
    """Tune's part: the trials, then the kept models and what the sweep leaves in its storage. Returns Tune's results."""
    config = sweep.config
    context = trial_context(sweep, sweep_run, resources)
    state = Storage.at(context.storage)
    keeper = ModelKeeper(config.keep_models, ranking_key(config.metric.key), config.metric.mode, state, config.allow_custom_code)
    callbacks = register(*_callbacks(sweep, progress, context, state, resources, keeper))
    if resume_run_id is None:
        tuner = new_tuner(sweep, resources, sweep.trial_data(), context, state, callbacks)
    else:
        keeper.remember(sweep_run.children())
        progress.carried_over = {run.data.tags.get(names.TRIAL_ID, run.info.run_id) for run in trial_runs(sweep_run.children())
                                 if run.info.status != "RUNNING" and not run.data.tags.get(names.ENDED, "").startswith(names.INTERRUPTED)}
        tuner = restored_tuner(resources, sweep.trial_data(), context, state, config.seed)
    # Tune's own Ctrl-C handler ends fit() as if the sweep were done: the kept models would be logged
    # and the resume checkpoints deleted. Let KeyboardInterrupt through instead: runs KILLED, state kept.
    os.environ.setdefault("TUNE_DISABLE_SIGINT_HANDLER", "1")
    if warning := resources.concurrency_warning():
        say(warning)
    say(f"{'resuming' if resume_run_id else 'sweep'} {config.name!r}: {sweep.plan.num_samples} trials, {resources.describe()}, "
        f"up to {config.max_failures} retries each; MLflow parent run {sweep_run.run_id}")
    progress.start()
    try:
        results = tuner.fit()
    except Exception:  # Tune wraps what a callback raised: the storage line is the one to say, not Tune's traceback
        deaths = next((callback for callback in callbacks if isinstance(callback, TrialDeathRecorder)), None)
        if deaths is not None and deaths.lost:
            raise StorageLost(deaths.lost) from None
        raise
    if lost := storage_gone(state, "when the trials ended"):
        raise StorageLost(lost)
    if line := target_line(results, config, sweep.plan.num_samples):
        say(line)
    if noise_stop := sweep_run.client.get_run(sweep_run.run_id).data.tags.get(names.NOISE_STOP):
        say(noise_stop)
    if used := budget_use(results, config, sweep.plan.num_samples, resources.trial_weight):
        say(used.line)
        sweep_run.set_tags({names.BUDGET: used.line})
        sweep_run.log_metrics({names.TRIAL_HOURS_USED: used.used_hours})
    if config.soup is not None:
        _soup(sweep, sweep_run, results, keeper, say)
    try:
        _wrap_up(sweep, sweep_run, results, keeper, state, say)
    except FileNotFoundError as error:  # a kept trial's checkpoint went with the storage: nothing to log from there
        raise StorageLost(f"storage: a checkpoint to keep is gone from {state.path} ({error}): the sweep stops here, its MLflow "
                          "parent run FAILED") from None
    return results


def _soup(sweep: PreparedSweep, sweep_run: SweepRun, results, keeper: ModelKeeper, say) -> None:
    """The soup step, from the kept checkpoints before they go. A soup that fails is said and tagged; the trials stand."""
    from sweeps.soups import Ingredient, SoupSettings, make_sweep_soup

    config = sweep.config
    keeper.collect(results)
    configs = {result.metrics["trial_id"]: result.config for result in results if result.metrics and "trial_id" in result.metrics}
    children = sweep_run.children()
    runs = {run.data.tags.get(names.TRIAL_ID): run for run in trial_runs(children)}
    ingredients = [Ingredient(trial_id, runs[trial_id].info.run_id, runs[trial_id].info.run_name, keeper.finished[trial_id],
                              configs[trial_id], keeper.checkpoints[trial_id])
                   for trial_id in keeper.kept_by_eval() if trial_id in keeper.checkpoints and trial_id in runs and trial_id in configs]
    settings = SoupSettings(config.soup, config.metric.key, config.metric.mode, config.promote.alpha, sweep.trial_data(),
                            guard_baselines(children), sweep.model_paths, config.allow_custom_code)
    try:
        make_sweep_soup(settings, ingredients, sweep_run, len(runs), sweep.data.sample_texts(), say)
    except Exception as error:
        line = f"soup: failed ({type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}); the trials' results stand"
        sweep_run.set_tags({names.SOUP: line[:5000]})
        say(line)


def trial_context(sweep: PreparedSweep, sweep_run: SweepRun, resources: TrialResources) -> TrialContext:
    config = sweep.config
    return TrialContext(
        tracking=sweep_run.tracking(), model_paths=sweep.model_paths, seed=config.seed, metric_key=config.metric.key,
        mode=config.metric.mode.value, evaluations_per_trial=config.evaluations_per_trial, workers=resources.worker_shape(),
        storage=config.state_location(sweep_run.run_id), callbacks=tuple(config.callbacks), trust_remote_code=config.allow_custom_code,
        guard_baselines=guard_baselines(sweep_run.children()) if config.guard else {},
    )


def guard_baselines(children: list) -> dict[str, dict[str, float]]:
    """Each untrained baseline's guard metrics, by the encoding that pairs it with its trials."""
    return {run.data.tags[names.ENCODING]: {key: value for key, value in run.data.metrics.items() if key.startswith(GUARD_PREFIX)}
            for run in children if run.data.tags.get(names.ROLE) == names.BASELINE_ROLE and names.ENCODING in run.data.tags}


def _describe_parent_run(sweep_run: SweepRun, sweep: PreparedSweep, resources: TrialResources) -> None:
    config, data = sweep.config, sweep.data
    param = names.ParentParam
    sweep_run.log_params({
        param.METHOD: config.method, param.METRIC: config.metric.key, param.GOAL: config.metric.goal, param.SEED: config.seed,
        param.PLANNED_TRIALS: sweep.plan.num_samples, param.DATA_SOURCE: data.origin, param.DATA_FINGERPRINT: data.fingerprint,
        param.TRAIN_ROWS: data.train_rows, param.TASK: data.task, param.WORKERS_PER_TRIAL: resources.workers,
        param.CPUS_PER_WORKER: resources.cpus_per_worker, param.GPUS_PER_WORKER: resources.gpus_per_worker,
        param.MAX_FAILURES: config.max_failures, param.KEEP_MODELS: config.keep_models,
        **({param.BUDGET_TRIAL_HOURS: config.budget.trial_hours} if config.budget else {}),
    })
    sweep_run.log_dict(sweep.world(), WORLD_ARTIFACT)  # what --resume holds the sweep to
    if sweep.data_check is not None:
        card = sweep.data_check.card()
        sweep_run.log_dict(card.record, f"{names.DATA_CARD_ARTIFACTS}/{CARD_JSON}")
        sweep_run.log_text(card.to_markdown(), f"{names.DATA_CARD_ARTIFACTS}/{CARD_PAGE}")
    if sweep.mining_stats is not None:
        stats = sweep.mining_stats
        sweep_run.log_metrics({"hard_negatives_training_rows": stats["training_rows"], "hard_negatives_pairs_with_too_few": stats["pairs_with_too_few"],
                               **{f"hard_negatives_{kind}_{name}": value for kind in ("positive_score", "negative_score")
                                  for name, value in stats[kind].items()}})
        sweep_run.log_dict(stats, f"{names.HARD_NEGATIVES_ARTIFACTS}/stats.json")
    sweep_run.set_tags({names.METRIC: config.metric.key, names.GOAL: config.metric.goal,
                        names.REGISTERED_MODEL: config.registered_model, names.ALIAS: config.promote.alias,
                        names.ALPHA: config.promote.alpha, **({names.NOTE: config.description} if config.description else {}),
                        **({names.WARM_START_FROM: sweep.plan.warm_start.tag} if sweep.plan.warm_start else {})})


def _callbacks(sweep: PreparedSweep, progress: SweepProgress, context: TrialContext, state: Storage, resources: TrialResources,
               keeper: ModelKeeper) -> list:
    """In this order when a trial ends: a stop is recorded first (so a stopped trial's own failure handler leaves its run
    alone), then a distributed trial's Train run is ended, then checkpoints nothing writes any more are pruned."""
    config = sweep.config
    callbacks = [progress, TrialDeathRecorder(context.tracking, state)]
    if config.early_terminate is not None:
        callbacks.append(StoppedTrialRecorder(context.tracking, config.early_terminate.type))
    if resources.distributed:
        callbacks.append(TrainRunEnder(state))
    return [*callbacks, keeper]


def _wrap_up(sweep: PreparedSweep, sweep_run: SweepRun, results, keeper: ModelKeeper, state: Storage, say) -> None:
    """The sweep ran to its end: log the kept models, and say what is left in storage."""
    keeper.log_kept_models(sweep_run, results, sweep.data.sample_texts(), say)
    state.child(TRAIN_RUNS).remove()  # Train's restore snapshots of distributed trials: nothing is left to restore
    clear_every_node_scratch(state.name)
    say(f"storage: checkpoints peaked at {human(keeper.peak_bytes)} (each trial's best model and resume state; deleted now), "
        f"{human(state.size())} left in {sweep.config.state_location(sweep_run.run_id)}")


def _say_where_the_time_went(sweep_run: SweepRun, children: list, say) -> None:
    trials = trial_runs(children)
    totals = trial_time_totals(trials)
    sweep_run.log_metrics(totals)
    summary = time_summary(totals, len(trials), soup_seconds(children))
    if summary:
        say(summary)


def _where_to_look(uri: str, sweep_run: SweepRun) -> str:
    """The sweep's runs table on a server, else the `mlflow ui` command (absolute, so it works from any folder) and the
    page to open once it runs; secrets masked."""
    key = view_key(sweep_run.name, sweep_run.run_id)
    if uri.startswith(("http://", "https://")):
        return runs_page(redact_uri(uri), sweep_run.experiment_id, key)
    return (f"mlflow ui --backend-store-uri {redact_uri(absolute_tracking_uri(uri))}, then open "
            f"{runs_page(LOCAL_UI, sweep_run.experiment_id, key)}")
