"""Several processes per trial: real DDP (gloo) on a local cluster. Several nodes per sweep: test_object_storage.py."""

import psutil
import pytest
from fault_injection import fault_variables
from leak_check import ray_temp_dir
from loopback_cluster import wait_until
from mlflow.tracking import MlflowClient
from sweep_files import WITH_FAULTS, small_sweep, write_sweep
from sweep_runs import runs_by_role
from trial_metrics import finished_trial_metric_keys


def sweep_file(tmp_path, model, learning_rates: list[float], batch_size: int, rows: int, **sections):
    """Two workers per trial (DDP over gloo), one trial at a time, its batch gathered across the ranks."""
    sweep = small_sweep("ddp", model, learning_rates, parameters={"per_device_train_batch_size": {"value": batch_size},
                                                                  "gather_across_devices": {"value": True}},
                        resources={"workers_per_trial": 2, "cpus_per_worker": 1}, max_concurrent=1, keep_models=1, **sections)
    sweep["data"]["max_train_rows"] = rows
    # The rows as given, leaks kept (warned about): the seeded outcomes below are those of exactly `rows` rows.
    sweep["data"]["leaks"] = "warn"
    return write_sweep(tmp_path / "ddp.yaml", sweep)


def train_cleaner_processes() -> list[int]:
    return [process.pid for process in psutil.process_iter(["cmdline"]) if "PlacementGroupCleaner" in " ".join(process.info["cmdline"] or [])]


@pytest.mark.cluster
@pytest.mark.timeout(900)  # a stopped trial that held on to its workers hung the sweep here for good
def test_a_multi_worker_sweep_stops_retries_and_resumes_ddp_trials_and_leaves_no_placement_group(tmp_path, tiny_model_dir, monkeypatch):
    """Three 2-worker trials on 2 CPUs under ASHA: the first raises once after its first checkpoint and resumes
    in the same run; the second (a learning rate too small to learn anything) is stopped after its first
    evaluation, and the third starts cleanly after it. In-process, so the cluster can be asked what the sweep left behind."""
    import ray
    from ray.util.placement_group import placement_group_table

    from sweeps.run import main

    # 100 rows over 2 ranks of 4 leave uneven shards: the cadence must follow the trainer's own step count.
    # Grid order, each trial judged against those before it: the second can learn nothing and is below the
    # median; the third, a larger learning rate, beats the first at every evaluation (seeded tiny model).
    path = sweep_file(tmp_path, tiny_model_dir, [5.0e-4, 1.0e-8, 1.0e-3], batch_size=4, rows=100, evaluations_per_trial=3,
                      early_terminate={"type": "asha", "grace_period": 1}, max_failures=1, **WITH_FAULTS)
    # The tiny model evaluates every 0.4 s: the stopped trial pauses after each checkpoint, so ASHA's stop (Tune, then
    # the Train controller, then the workers) has time to land, as it has between a real model's evaluations.
    for name, value in fault_variables({"0.0005": "raise_once", "1e-08": "sleep:5"}).items():  # before ray.init: the workers inherit them
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    ray.init(num_cpus=2, include_dashboard=False, _temp_dir=str(ray_temp_dir()), logging_level="ERROR")
    try:
        assert main([str(path)]) == 0
        held = {group_id: entry["bundles"] for group_id, entry in placement_group_table().items() if entry["state"] != "REMOVED"}
        # Each Train run ended gracefully, stopping its detached cleaner actor (one process each, else alive until Ray stops).
        wait_until(lambda: not train_cleaner_processes(), "the exit of every Ray Train cleaner actor", timeout=20)
    finally:
        ray.shutdown()
    assert held == {}, "placement groups the sweep left reserved"

    client = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    (parent,), trials = runs_by_role(client, "ddp")
    assert parent.info.status == "FINISHED" and parent.data.params["workers_per_trial"] == "2"
    by_rate = {trial.data.params["learning_rate"]: trial for trial in trials}
    assert len(by_rate) == len(trials) == 3, "only rank 0 logs, and a retry carries on in its run: one child run per trial"

    stopped = by_rate["1e-08"]
    assert stopped.info.status == "KILLED", stopped.data.tags.get("sweeps.error")
    assert stopped.data.tags["sweeps.outcome"] == "stopped_early" and stopped.data.tags["sweeps.stopped_by"] == "asha after evaluation 1"
    # Its workers were ended with it: at most the evaluation already under way when ASHA decided landed, never its end.
    stopped_steps = [point.step for point in client.get_metric_history(stopped.info.run_id, "curves/ndcg_at_10")]
    assert 1 <= len(stopped_steps) <= 2 and not any(key.startswith("test_") for key in stopped.data.metrics), stopped_steps
    first_evaluation = stopped_steps[0]
    for rate in ("0.001", "0.0005"):
        trial = by_rate[rate]
        assert trial.info.status == "FINISHED", (rate, trial.info.status, trial.data.tags.get("sweeps.error"))
        assert trial.data.params["world_size"] == "2" and trial.data.params["effective_batch_size"] == "8"
        assert trial.data.params["precision"] == "fp32" and trial.data.params["gather_across_devices"] == "True"
        processes = trial.data.tags["sweeps.worker_processes"].split(", ")
        assert len(processes) == 2 and len(set(processes)) == 2, processes  # two ranks, two processes
        # Three evaluations at the trainer's own steps, the last at its last step, each logged once.
        steps = [point.step for point in client.get_metric_history(trial.info.run_id, "curves/ndcg_at_10")]
        last = int(trial.data.tags["sweeps.last_step"])
        assert len(steps) == 3 and steps == sorted(set(steps)) and steps[-1] == last and steps[0] == first_evaluation, steps

    # The retried trial: attempt 2 in the same run, resumed from its first checkpoint on both ranks.
    retried = by_rate["0.0005"]
    assert retried.data.tags["sweeps.attempts"] == "2", "rank 0 attaches to the run the trial opened; only the retry counts"
    assert retried.data.tags["sweeps.resumed_from"] == f"checkpoint-{first_evaluation}"
    assert "of 2: InjectedFault: injected fault at step" in retried.data.tags["sweeps.previous_error"]
    assert "sweeps.attempts" not in by_rate["0.001"].data.tags

    # The same metric keys as a one-worker trial (the default sweep's test checks those against the same list).
    assert set(retried.data.metrics) == finished_trial_metric_keys("retrieval")
    assert sum(trial.data.tags.get("sweeps.model_logged") == "true" for trial in trials) == 1
