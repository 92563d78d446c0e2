"""Sweeps that start at the same moment on a new sqlite store: each opens its parent run, none dies creating tables."""

import multiprocessing

CONTENDERS = 3


def open_a_sweep(uri: str, name: str, barrier, results) -> None:
    from sweeps.tracking.parent_run import SweepRun

    barrier.wait()
    try:
        results.put(("ok", SweepRun(uri, "together", name).run_id))
    except Exception as error:  # the test reports what a contender died of
        results.put(("failed", f"{type(error).__name__}: {str(error)[:300]}"))


def test_sweeps_starting_together_on_a_new_store_all_open_their_runs(tmp_path):
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{tmp_path}/mlflow.db"
    spawn = multiprocessing.get_context("spawn")
    barrier, results = spawn.Barrier(CONTENDERS), spawn.Queue()
    contenders = [spawn.Process(target=open_a_sweep, args=(uri, f"sweep-{index}", barrier, results)) for index in range(CONTENDERS)]
    for process in contenders:
        process.start()
    outcomes = [results.get(timeout=120) for _ in contenders]
    for process in contenders:
        process.join(timeout=60)
    assert [status for status, _ in outcomes] == ["ok"] * CONTENDERS, outcomes
    client = MlflowClient(uri)
    experiment = client.get_experiment_by_name("together")
    assert {run.info.run_name for run in client.search_runs([experiment.experiment_id])} == {f"sweep-{i}" for i in range(CONTENDERS)}

