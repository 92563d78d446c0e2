"""Run a validated sweep on Ray Tune, logging to MLflow, and show where the results are."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from rich.console import Console

from sweeps.baselines import log_baselines
from sweeps.config import SweepConfig
from sweeps.early_stopping import build_scheduler
from sweeps.search_report import log_search_report
from sweeps.secrets import credentials_kept_from_tune
from sweeps.stopped_trials import StoppedTrialRecorder
from sweeps.leaderboard import leaderboard_rows, print_leaderboard
from sweeps.metrics import ranking_key
from sweeps.model_keeper import ModelKeeper
from sweeps.progress import SweepProgress
from sweeps.disk_use import folder_size, human
from sweeps.tracking import SweepRun, absolute_tracking_uri, redact_uri
from trainables.trial_run import ROLE_TAG
from sweeps.storage_preflight import check_every_node_sees, local_model_folders, ray_probe
from sweeps.train_runs import TrainRunEnder
from sweeps.trial_resources import NodeShape, TrialResources, check_tracking_reaches_every_node, plan_resources
from sweeps.trial_plan import TrialPlan, search_algorithm


def connect_cluster(config: SweepConfig, validated: dict, source: str, address: str | None = None, verbose: bool = False) -> TrialResources:
    """Join (or start) the Ray cluster and decide what each trial asks of it; bad combinations fail here,
    before the sweep's MLflow run exists."""
    import ray

    _quiet_ray_logs(verbose)
    if not ray.is_initialized():
        # No address means a fresh local cluster; "auto" joins one that `ray start` left on this machine.
        ray.init(address=address or "local", include_dashboard=False, log_to_driver=verbose, logging_level=logging.WARNING)
    nodes = [node for node in ray.nodes() if node.get("Alive")]
    check_tracking_reaches_every_node(config.mlflow.tracking_uri, len(nodes), source)
    resources = plan_resources(config.resources, config.max_concurrent, [NodeShape.from_ray(node) for node in nodes], source)
    if len(nodes) > 1:  # on one node the driver's view is every worker's
        labels, probe = ray_probe(nodes)
        models = local_model_folders({**validated.get("guide_models", {}), **validated["models"]})
        check_every_node_sees(config.storage_folder, models, labels, probe, source)
    return resources


def run_sweep(config: SweepConfig, validated: dict, plan: TrialPlan, console: Console, resources: TrialResources,
              resume_run_id: str | None = None) -> list[dict]:
    """Run the sweep, or carry on with the unfinished one whose parent run is `resume_run_id`."""
    data = validated["data"]
    say = lambda text: console.print(text, highlight=False, soft_wrap=True)  # noqa: E731
    sweep_run = SweepRun(config.mlflow.tracking_uri, config.experiment_name, config.name, resume_run_id)
    status = "FAILED"
    try:
        if resume_run_id is None:
            sweep_run.log_params({
                "method": config.method, "metric": config.metric.key, "goal": config.metric.goal, "seed": config.seed,
                "planned_trials": plan.num_samples, "data_source": data["origin"], "data_fingerprint": data["fingerprint"],
                "train_rows": len(data["train"]["anchor"]), "workers_per_trial": resources.workers,
                "cpus_per_worker": resources.cpus_per_worker, "gpus_per_worker": resources.gpus_per_worker,
                "max_failures": config.max_failures,
            })
            sweep_run.set_tags({"sweeps.metric": config.metric.key, "sweeps.goal": config.metric.goal,
                                "sweeps.registered_model": config.registered_model, "sweeps.alias": config.promote.alias})
        if config.baselines and not any(child.data.tags.get(ROLE_TAG) == "baseline" for child in sweep_run.children()):
            log_baselines(sweep_run.context(), data, validated["models"], say)
        experiment_dir = config.state_folder(sweep_run.run_id)
        sweep = {**sweep_run.context(), "checkpoint_root": str(experiment_dir / "checkpoints"),
                 "train_storage": str(experiment_dir / "train"), "seed": config.seed,
                 "models": {**validated.get("guide_models", {}), **validated["models"]},
                 "threads": max(1, int(resources.cpus_per_worker)), "evaluations_per_trial": config.evaluations_per_trial,
                 "metric_key": config.metric.key, "mode": config.metric.mode, "resources": resources.to_dict()}
        keeper = ModelKeeper(config.keep_models, ranking_key(config.metric.key), config.metric.mode, sweep["checkpoint_root"])
        # In this order when a trial ends: a stop is recorded first (so a stopped trial's own failure handler leaves
        # its run alone), then a distributed trial's Train run is ended, then checkpoints nothing writes any more are pruned.
        callbacks = [SweepProgress(console, plan.num_samples, config.metric.key)]
        if config.early_terminate is not None:
            callbacks.append(StoppedTrialRecorder(sweep, config.early_terminate.type))
        if resources.distributed:
            callbacks.append(TrainRunEnder(sweep["checkpoint_root"]))
        callbacks.append(keeper)
        if resume_run_id is None:
            tuner = _new_tuner(config, plan, resources, data, sweep, experiment_dir, callbacks)
        else:
            keeper.remember(sweep_run.children(), sweep["checkpoint_root"])
            tuner = _restored_tuner(resources, data, sweep, experiment_dir, callbacks)
        # Tune's own Ctrl-C handler ends fit() as if the sweep were done: the kept models would be logged
        # and the resume checkpoints deleted. Let KeyboardInterrupt through instead: runs KILLED, state kept.
        os.environ.setdefault("TUNE_DISABLE_SIGINT_HANDLER", "1")
        verb = "resuming" if resume_run_id else "sweep"
        say(f"{verb} {config.name!r}: {plan.num_samples} trials, {resources.describe()}, up to {config.max_failures} retries each; "
            f"MLflow parent run {sweep_run.run_id}")
        with credentials_kept_from_tune():
            results = tuner.fit()
        keeper.log_kept_models(sweep_run, list(data["eval"]["queries"].values())[:3], say)
        log_search_report(sweep_run, results, config, plan, say)
        say(f"disk: checkpoints peaked at {human(keeper.peak_bytes)} (each trial's best model and resume state; deleted now), "
            f"{human(folder_size(str(experiment_dir)))} left in {experiment_dir}")
        status = "FINISHED"
    except KeyboardInterrupt:
        status = "KILLED"
        raise
    finally:
        sweep_run.close(status)
    rows = leaderboard_rows(sweep_run.children(), config.metric.key, config.metric.mode)
    print_leaderboard(console, rows, config.metric.key)
    say(f"MLflow: {_where_to_look(config.mlflow.tracking_uri, sweep_run)}  (experiment {config.experiment_name!r}, parent run {sweep_run.run_id})")
    return rows


def _trainable(resources: TrialResources, data: dict, sweep: dict):
    from ray import tune

    from trainables.sentence_transformer_trial import train_sentence_transformer

    return tune.with_resources(tune.with_parameters(train_sentence_transformer, data=data, sweep=sweep), resources.tune_request())


def _new_tuner(config: SweepConfig, plan: TrialPlan, resources: TrialResources, data: dict, sweep: dict, experiment_dir: Path, callbacks: list):
    from ray import tune

    # Tune saves the experiment's state at most every 10 s by default; a driver killed in that window
    # would come back without its newest trials. The state is a few KB per trial.
    os.environ.setdefault("TUNE_GLOBAL_CHECKPOINT_S", "1")

    return tune.Tuner(
        _trainable(resources, data, sweep),
        tune_config=tune.TuneConfig(
            metric=config.metric.key, mode=config.metric.mode, search_alg=search_algorithm(config, plan, resources.concurrency),
            scheduler=build_scheduler(config), num_samples=plan.num_samples,
            # A one-worker trial after the first skips the worker start and the torch import. A distributed trial's
            # actor only waits on its TorchTrainer, whose workers start anew anyway, and can't be handed on while a
            # stopped Train run still winds down in it (Tune then fails the next trial: "Could not re-use actor").
            reuse_actors=not resources.distributed,
            trial_name_creator=lambda trial: f"{config.name}-{trial.trial_id.rsplit('_', 1)[-1]}",
        ),
        run_config=tune.RunConfig(
            name=experiment_dir.name, storage_path=str(experiment_dir.parent), verbose=0, callbacks=callbacks,
            # A failed trial restarts in the same child run, from its own resume checkpoint.
            failure_config=tune.FailureConfig(max_failures=config.max_failures),
        ),
    )


def _restored_tuner(resources: TrialResources, data: dict, sweep: dict, experiment_dir: Path, callbacks: list):
    """Tune's restore: finished trials stay finished, the others restart (and pick up their own resume checkpoints)."""
    from ray import tune

    os.environ.setdefault("TUNE_GLOBAL_CHECKPOINT_S", "1")
    tuner = tune.Tuner.restore(str(experiment_dir), trainable=_trainable(resources, data, sweep),
                               resume_unfinished=True, resume_errored=False)  # a FAILED trial already had its retries
    # Tune restores the callbacks it pickled; ours hold this process's console and the keeper's record.
    tuner._local_tuner.get_run_config().callbacks = callbacks
    return tuner


def _quiet_ray_logs(verbose: bool) -> None:
    if verbose:
        return
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
    for name in ("ray", "ray.tune", "ray.train", "ray.data"):
        logging.getLogger(name).setLevel(logging.WARNING)


def _where_to_look(uri: str, sweep_run: SweepRun) -> str:
    """A server's page for the parent run, else the `mlflow ui` command (absolute, so it works from any folder); secrets masked."""
    if uri.startswith(("http://", "https://")):
        return f"{redact_uri(uri).rstrip('/')}/#/experiments/{sweep_run.experiment_id}/runs/{sweep_run.run_id}"
    return f"mlflow ui --backend-store-uri {redact_uri(absolute_tracking_uri(uri))}"
