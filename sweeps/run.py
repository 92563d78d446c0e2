"""`python -m sweeps.run grid.yaml`: validate a sweep file, then search, train, evaluate and log."""

from __future__ import annotations

import argparse
import os
import sys

from rich.console import Console

from sweeps.cli import ExitCode, add_tracking_uri_option


def parse_args(argv: list[str] | None, prog: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Run a hyperparameter sweep of sentence-transformers fine-tuning: Ray Tune schedules the trials, "
                    "MLflow records them (one parent run per sweep, one child run per trial).",
    )
    parser.add_argument("sweep_file", help="the sweep YAML (see grid.yaml)")
    parser.add_argument("--dry-run", action="store_true", help="validate everything (YAML, data, models) and print the trial plan; train nothing")
    parser.add_argument("--address", default=os.environ.get("RAY_ADDRESS"), help="an existing Ray cluster: HOST:PORT, or auto for one `ray start` began on this machine (default: $RAY_ADDRESS, else a fresh local one)")
    parser.add_argument("--resume", action="store_true",
                        help="carry on with the latest unfinished sweep of this name: same parent run, finished trials kept, "
                             "interrupted ones restarted from their last evaluation")
    parser.add_argument("--verbose", action="store_true", help="show the libraries' logs (Ray's, MLflow's, Optuna's, transformers') and the "
                        "workers' output here, instead of in the log file the sweep names")
    add_tracking_uri_option(parser, from_sweep_file=True)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None, prog: str = "python -m sweeps.run") -> int:
    args = parse_args(argv, prog)
    # Promotion and the leaderboard read per-query scores back from MLflow: no download bars between the result lines.
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    if not args.verbose:
        # Encoding, mining and datasets' map draw tqdm bars of their own; tqdm reads this when it is first imported, so here.
        os.environ.setdefault("TQDM_DISABLE", "1")
    # Off a terminal (CI, a log file) rich would wrap the leaderboard at 80 columns.
    console = Console(width=None if sys.stdout.isatty() else 200)
    errors = Console(stderr=True)
    from sweeps.errors import SweepInputError

    try:
        sweep = prepare(args.sweep_file, console, args.tracking_uri)
        if args.dry_run:
            lines = [*sweep.plan.describe(sweep.config), *resource_plan(sweep, args.address)]
    except SweepInputError as error:
        return _refuse(errors, error)
    if args.dry_run:
        for line in lines:
            console.print(line, highlight=False, markup=False)
        console.print("dry run: nothing mined, trained or logged", highlight=False)
        return 0
    from sweeps.cli.termination import exit_code, interrupt_on_termination, signal_name
    from sweeps.running.cluster import connect_cluster

    interrupt_on_termination()
    try:
        resume_run_id = resumable(sweep.config, sweep.source, sweep.world()) if args.resume else None
        if not args.verbose:
            from sweeps.running.library_logs import library_log_file, send_library_logs_to

            log_file = library_log_file(sweep.config.local_folder, sweep.config.name)
            send_library_logs_to(log_file)
            console.print(f"logs of Ray, MLflow, Optuna and transformers: {log_file} (--verbose shows them here)", highlight=False, soft_wrap=True)
        runner = _import_meanwhile(RUNNER)
        resources = connect_cluster(sweep, args.address, args.verbose)
        runner.join()
        interrupt_on_termination()
        sweep = sweep.with_hard_negatives(lambda line: console.print(line, highlight=False, markup=False, soft_wrap=True))
    except SweepInputError as error:
        return _refuse(errors, error)
    except KeyboardInterrupt as interruption:  # before the parent run exists: nothing to mark, nothing to resume
        errors.print(f"interrupted by {signal_name(interruption)} before the sweep started; nothing was logged", soft_wrap=True)
        return exit_code(interruption)
    from sweeps.running.runner import run_sweep
    from sweeps.running.trial_deaths import StorageLost

    try:
        rows = run_sweep(sweep, console, resources, resume_run_id)
    except StorageLost as lost:  # the parent run is FAILED by now; one line, no traceback
        errors.print(f"error: {lost}", highlight=False, markup=False, soft_wrap=True)
        return ExitCode.REFUSED
    except KeyboardInterrupt as interruption:
        errors.print(f"interrupted by {signal_name(interruption)}: the sweep's MLflow runs are marked KILLED; carry on with: {prog} {args.sweep_file} --resume",
                     soft_wrap=True)
        return exit_code(interruption)
    from trainables.contract.mlflow_names import TRIAL_ROLE

    trials = [row for row in rows if row["role"] == TRIAL_ROLE]
    return ExitCode.OK if trials and any(row["status"] == "FINISHED" for row in trials) else ExitCode.REFUSED


def prepare(sweep_file: str, console: Console, tracking_uri: str | None = None):
    """Every check, before any worker starts: the file, the store, the parameters, the models and the data."""
    from sweeps.errors import SweepInputError
    from sweeps.prepared_sweep import prepare_sweep
    from sweeps.secrets import move_credentials_to_env
    from sweeps.sweep_file.loading import load_sweep_file
    from sweeps.tracking.store import check_tracking_uri

    config = load_sweep_file(sweep_file)
    if tracking_uri:
        config = config.model_copy(update={"mlflow": config.mlflow.model_copy(update={"tracking_uri": tracking_uri})})
    # From here on the URI carries no password: it is stored, pickled and printed in many places.
    clean_uri = move_credentials_to_env(config.mlflow.tracking_uri)
    config = config.model_copy(update={"mlflow": config.mlflow.model_copy(update={"tracking_uri": clean_uri})})
    check_tracking_uri(config.mlflow.tracking_uri, sweep_file)
    with console.status("checking parameters, models and data"):
        sweep = prepare_sweep(config, sweep_file)
    from sweeps.planning.storage_room import storage_room_problems

    room = storage_room_problems(config.storage_location, sweep.models, config.max_concurrent or 1, config.keep_models, sweep_file)
    if room:
        raise SweepInputError(room)
    console.print(sweep.task_line(), highlight=False, markup=False, soft_wrap=True)
    for line in sweep.data_check.lines():
        console.print(line, highlight=False, markup=False, soft_wrap=True)
    console.print(f"data: {sweep.data.summary()}", highlight=False, soft_wrap=True)
    for note in sweep.data.notes:
        console.print(f"data: {note}", highlight=False, soft_wrap=True)
    for note in sweep.reshape_notes:
        console.print(f"reshaped: {note}", highlight=False, soft_wrap=True)
    for reference, path in sweep.model_paths.items():
        console.print(f"model: {reference} -> {path}", highlight=False, soft_wrap=True)
    for line in [*sweep.prompt_lines(), *sweep.plan_lines(), *(sweep.plan.warm_start.lines if sweep.plan.warm_start else [])]:
        console.print(line, highlight=False, markup=False, soft_wrap=True)
    return sweep


RUNNER = ".running.runner"  # the module `run_sweep` comes from, relative to this package


def _import_meanwhile(module: str):
    """Import `module` on a thread of its own: starting Ray is mostly waiting on the processes it spawns, and the runner's
    imports (torch, sentence-transformers, Tune: about 5 s) go on meanwhile. A failed import is left for the main
    thread's own import of the module to raise."""
    import importlib
    import threading

    def load() -> None:
        try:
            importlib.import_module(module, __package__)
        except BaseException:  # noqa: BLE001 - raised again where the main thread imports it
            pass

    thread = threading.Thread(target=load, name=f"import {module} early", daemon=True)
    thread.start()
    return thread


def resumable(config, source: str, world: dict | None = None) -> str:
    """The parent run id of the interrupted sweep to carry on with; one line when there is none, its state is gone, or
    it started from another world (data, search or base models), one line per difference."""
    from sweeps.errors import SweepInputError, problem
    from sweeps.tracking.parent_run import recorded_world, resumable_sweep
    from sweeps.tracking.sweep_world import world_differences
    from trainables.storage import Storage

    run_id = resumable_sweep(config.mlflow.tracking_uri, config.experiment_name, config.name, source)
    recorded = recorded_world(config.mlflow.tracking_uri, run_id)
    differences = world_differences(recorded, world, source) if recorded is not None and world is not None else []
    if differences:
        raise SweepInputError(differences)
    state = config.state_location(run_id)
    try:
        found = Storage.at(state).exists()
    except (OSError, ValueError) as error:  # pyarrow's: no such bucket, no credentials, no endpoint
        raise SweepInputError([problem(source, "storage_path", f"must be storage the driver can read for --resume (reading it failed: {error})",
                                       config.storage_location)]) from None
    if not found:
        name = state.rsplit("/", 1)[-1]
        raise SweepInputError([problem(source, "storage_path", f"must hold the interrupted sweep's state ({name}) for --resume, "
                                       "run from the same folder as before", config.storage_location)])
    return run_id


def resource_plan(sweep, address: str | None) -> list[str]:
    """What each trial and worker asks for, and where it can go: on the cluster at `address`, else on this machine."""
    from sweeps.planning.resources import cluster_nodes, plan_resources

    nodes, where = cluster_nodes(address)
    resources = plan_resources(sweep.config.resources, sweep.config.max_concurrent, nodes, sweep.source)
    warning = resources.concurrency_warning()
    return [f"resources on {where}: {resources.describe()}", *resources.placement(nodes), *([warning] if warning else [])]


def _refuse(errors: Console, error) -> int:
    from sweeps.cli.output import scrub

    for line in error.problems:
        errors.print(f"error: {scrub(line)}", highlight=False, markup=False, soft_wrap=True)
    return ExitCode.BAD_INPUT


if __name__ == "__main__":
    from sweeps.cli.process_exit import exit_process

    exit_process(main())
