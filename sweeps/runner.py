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
from sweeps.stopped_trials import StoppedTrialRecorder
from sweeps.leaderboard import leaderboard_rows, print_leaderboard
from sweeps.metrics import ranking_key
from sweeps.model_keeper import ModelKeeper
from sweeps.progress import SweepProgress
from sweeps.tracking import SweepRun, absolute_tracking_uri, redact_uri
from sweeps.trial_resources import TrialResources, check_tracking_reaches_every_node, plan_resources
from sweeps.trial_plan import TrialPlan, search_algorithm


def connect_cluster(config: SweepConfig, source: str, address: str | None = None, verbose: bool = False) -> TrialResources:
    """Join (or start) the Ray cluster and decide what each trial asks of it; bad combinations fail here,
    before the sweep's MLflow run exists."""
    import ray

    _quiet_ray_logs(verbose)
    if not ray.is_initialized():
        # No address means a fresh local cluster; "auto" joins one that `ray start` left on this machine.
        ray.init(address=address or "local", include_dashboard=False, log_to_driver=verbose, logging_level=logging.WARNING)
    nodes = [node for node in ray.nodes() if node.get("Alive")]
    check_tracking_reaches_every_node(config.mlflow.tracking_uri, len(nodes), source)
    return plan_resources(config.resources, config.max_concurrent, ray.cluster_resources(), source)


def run_sweep(config: SweepConfig, validated: dict, plan: TrialPlan, console: Console, resources: TrialResources) -> list[dict]:
    from ray import tune

    from trainables.sentence_transformer_trial import train_sentence_transformer

    data = validated["data"]
    sweep_run = SweepRun(config.mlflow.tracking_uri, config.experiment_name, config.name)
    status = "FAILED"
    try:
        sweep_run.log_params({
            "method": config.method, "metric": config.metric.key, "goal": config.metric.goal, "seed": config.seed,
            "planned_trials": plan.num_samples, "data_source": data["origin"], "data_fingerprint": data["fingerprint"],
            "train_rows": len(data["train"]["anchor"]), "workers_per_trial": resources.workers,
            "cpus_per_worker": resources.cpus_per_worker, "gpus_per_worker": resources.gpus_per_worker,
        })
        sweep_run.set_tags({"sweeps.metric": config.metric.key, "sweeps.goal": config.metric.goal,
                            "sweeps.registered_model": config.registered_model, "sweeps.alias": config.promote.alias})
        if config.baselines:
            log_baselines(sweep_run.context(), data, validated["models"], lambda text: console.print(text, highlight=False))
        storage = Path(config.storage_path or "ray_results").expanduser().resolve()
        experiment_dir_name = f"{config.name}-{sweep_run.run_id[:8]}"
        sweep = {**sweep_run.context(), "checkpoint_root": str(storage / experiment_dir_name / "checkpoints"),
                 "train_storage": str(storage / experiment_dir_name / "train"), "seed": config.seed,
                 "models": {**validated.get("guide_models", {}), **validated["models"]},
                 "threads": max(1, int(resources.cpus_per_worker)), "evaluations_per_trial": config.evaluations_per_trial,
                 "metric_key": config.metric.key, "mode": config.metric.mode, "resources": resources.to_dict()}
        scheduler = build_scheduler(config)
        keeper = ModelKeeper(config.keep_models, ranking_key(config.metric.key), config.metric.mode)
        callbacks = [SweepProgress(console, plan.num_samples, config.metric.key), keeper]
        if scheduler is not None:
            callbacks.append(StoppedTrialRecorder(sweep, config.early_terminate.type))
        trainable = tune.with_resources(
            tune.with_parameters(train_sentence_transformer, data=data, sweep=sweep), resources.tune_request()
        )
        tuner = tune.Tuner(
            trainable,
            tune_config=tune.TuneConfig(
                metric=config.metric.key, mode=config.metric.mode, search_alg=search_algorithm(config, plan, resources.concurrency),
                scheduler=scheduler, num_samples=plan.num_samples,
                reuse_actors=True,
                trial_name_creator=lambda trial: f"{config.name}-{trial.trial_id.rsplit('_', 1)[-1]}",
            ),
            run_config=tune.RunConfig(
                name=experiment_dir_name, storage_path=str(storage), verbose=0,
                callbacks=callbacks,
            ),
        )
        console.print(f"sweep {config.name!r}: {plan.num_samples} trials, {resources.describe()}; MLflow parent run {sweep_run.run_id}", highlight=False)
        results = tuner.fit()
        keeper.log_kept_models(sweep_run, list(data["eval"]["queries"].values())[:3], lambda text: console.print(text, highlight=False))
        log_search_report(sweep_run, results, config, plan, lambda text: console.print(text, highlight=False))
        status = "FINISHED"
    except KeyboardInterrupt:
        status = "KILLED"
        raise
    finally:
        sweep_run.close(status)
    rows = leaderboard_rows(sweep_run.children(), config.metric.key, config.metric.mode)
    print_leaderboard(console, rows, config.metric.key)
    console.print(f"MLflow: {_where_to_look(config.mlflow.tracking_uri, sweep_run)}  (experiment {config.experiment_name!r}, parent run {sweep_run.run_id})", highlight=False, soft_wrap=True)
    return rows


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
