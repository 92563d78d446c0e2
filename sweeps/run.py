"""`python -m sweeps.run grid.yaml`: validate a sweep file, then search, train, evaluate and log."""

from __future__ import annotations

import argparse
import os
import sys

from rich.console import Console

EXIT_BAD_INPUT = 2


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m sweeps.run",
        description="Run a hyperparameter sweep of sentence-transformers fine-tuning: Ray Tune schedules the trials, "
                    "MLflow records them (one parent run per sweep, one child run per trial).",
    )
    parser.add_argument("sweep_file", help="the sweep YAML (see grid.yaml)")
    parser.add_argument("--dry-run", action="store_true", help="validate everything (YAML, data, models) and print the trial plan; train nothing")
    parser.add_argument("--address", default=os.environ.get("RAY_ADDRESS"), help="an existing Ray cluster: HOST:PORT, or auto for one `ray start` began on this machine (default: $RAY_ADDRESS, else a fresh local one)")
    parser.add_argument("--resume", action="store_true",
                        help="carry on with the latest unfinished sweep of this name: same parent run, finished trials kept, "
                             "interrupted ones restarted from their last evaluation")
    parser.add_argument("--verbose", action="store_true", help="show Ray's and the workers' own logs")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # Off a terminal (CI, a log file) rich would wrap the leaderboard at 80 columns.
    console = Console(width=None if sys.stdout.isatty() else 200)
    errors = Console(stderr=True)
    from sweeps.errors import SweepInputError

    try:
        config, validated, plan = prepare(args.sweep_file, console)
    except SweepInputError as error:
        return _refuse(errors, error)
    if args.dry_run:
        for line in plan.describe(config):
            console.print(line, highlight=False, markup=False)
        try:
            lines = resource_plan(config, args.sweep_file, args.address)
        except SweepInputError as error:
            return _refuse(errors, error)
        for line in lines:
            console.print(line, highlight=False, markup=False)
        console.print("dry run: nothing trained, nothing logged", highlight=False)
        return 0
    from sweeps.runner import connect_cluster, run_sweep

    try:
        resume_run_id = resumable(config, args.sweep_file) if args.resume else None
        resources = connect_cluster(config, validated, args.sweep_file, args.address, args.verbose)
    except SweepInputError as error:
        return _refuse(errors, error)
    try:
        rows = run_sweep(config, validated, plan, console, resources, resume_run_id)
    except KeyboardInterrupt:
        errors.print(f"interrupted: the sweep's MLflow runs are marked KILLED; carry on with: python -m sweeps.run {args.sweep_file} --resume")
        return 130
    trials = [row for row in rows if row["role"] == "trial"]
    return 0 if trials and any(row["status"] == "FINISHED" for row in trials) else 1


def resumable(config, sweep_file: str) -> str:
    from sweeps.errors import SweepInputError, problem
    from sweeps.tracking import resumable_sweep

    run_id = resumable_sweep(config.mlflow.tracking_uri, config.experiment_name, config.name, sweep_file)
    state = config.state_folder(run_id)
    if not state.is_dir():
        raise SweepInputError([problem(sweep_file, "storage_path", f"must hold the interrupted sweep's state ({state.name}) for --resume, "
                                       "run from the same folder as before", str(state.parent))])
    return run_id


def resource_plan(config, sweep_file: str, address: str | None) -> list[str]:
    """What each trial and worker asks for, and where it can go: on the cluster at `address`, else on this machine."""
    from sweeps.trial_resources import cluster_nodes, plan_resources

    nodes, where = cluster_nodes(address)
    resources = plan_resources(config.resources, config.max_concurrent, nodes, sweep_file)
    return [f"resources on {where}: {resources.describe()}", *resources.placement(nodes)]


def _refuse(errors: Console, error) -> int:
    for line in error.problems:
        errors.print(f"error: {line}", highlight=False, markup=False, soft_wrap=True)
    return EXIT_BAD_INPUT


def prepare(sweep_file: str, console: Console):
    """Every check, before any worker starts. Returns the config, the read data and the plan."""
    from sweeps.data.prepare import data_summary
    from sweeps.secrets import move_credentials_to_env
    from sweeps.sweep_file import load_sweep_file
    from sweeps.tracking import check_tracking_uri
    from sweeps.trial_plan import plan_trials
    from sweeps.validation import validate_sweep

    config = load_sweep_file(sweep_file)
    # From here on the URI carries no password: it is stored, pickled and printed in many places.
    clean_uri = move_credentials_to_env(config.mlflow.tracking_uri)
    config = config.model_copy(update={"mlflow": config.mlflow.model_copy(update={"tracking_uri": clean_uri})})
    check_tracking_uri(config.mlflow.tracking_uri, sweep_file)
    with console.status("checking parameters, models and data"):
        validated = validate_sweep(config, sweep_file)
    console.print(f"data: {data_summary(validated['data'])}", highlight=False, soft_wrap=True)
    for note in validated.get("reshaped", []):
        console.print(f"reshaped: {note}", highlight=False, soft_wrap=True)
    for reference, path in {**validated["models"], **validated.get("guide_models", {})}.items():
        console.print(f"model: {reference} -> {path}", highlight=False, soft_wrap=True)
    return config, validated, plan_trials(config)


if __name__ == "__main__":
    sys.exit(main())
