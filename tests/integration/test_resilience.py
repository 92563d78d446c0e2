"""Nothing lost, in one sweep of four trials at once: trials that raise once, always raise, get their process killed
or diverge, then the driver SIGKILLed mid-trial and the sweep resumed into the same runs. Every metric Tune heard is
in MLflow, unchanged, and the secrets planted in the driver's environment are nowhere in what the sweep wrote."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import yaml
from fault_injection import environment
from leak_check import PLANTED, assert_nothing_leaked, ray_temp_dir
from mlflow.tracking import MlflowClient
from subprocess_cli import REPO, run_module
from sweep_files import SMALL_PYDOCS_DATA, WITH_FAULTS, small_sweep, write_sweep
from sweep_runs import runs_by_role

RATES = [0.001, 0.002, 0.003, 0.004, 0.005, 0.006]


def resilience_sweep(model, data=SMALL_PYDOCS_DATA["source"], name="resilience", rates=RATES, **sections) -> dict:
    """Trials with the injected faults below, retried once; four at once unless `sections` say otherwise."""
    sweep = small_sweep(name, model, rates, **{"evaluations_per_trial": 3, "max_failures": 1, **WITH_FAULTS, **sections})
    sweep["data"]["source"] = str(data)
    return sweep


# Keyed by learning rate; the last trial pauses after each checkpoint so the driver can be killed mid-trial.
FAULTS = {"0.002": "raise_once", "0.003": "raise_always", "0.004": "nan_loss", "0.005": "kill_once", "0.006": "sleep:120"}
BOOKKEEPING = {"step", "evaluation", "final", "best_step", "checkpoint_dir", "outcome"}


def trial_runs(tmp_path):
    client = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    parents, trials = runs_by_role(client, "resilience")
    by_rate = {run.data.params["learning_rate"]: run for run in trials}
    assert len(by_rate) == len(trials), "a trial has two child runs"
    return client, parents, by_rate


def histories(client, run):
    return {key: [(m.step, m.value) for m in client.get_metric_history(run.info.run_id, key)] for key in run.data.metrics}


def time_to_kill(tmp_path) -> bool:
    """Every other trial ended a while ago, and the last one past its first evaluation with its resume checkpoint written (the
    checkpoint follows the evaluation)."""
    try:
        _, _, trials = trial_runs(tmp_path)
    except Exception:  # the store is still being created
        return False
    # Ended 5 s ago at least: Tune's own state (saved every second) has them ended too, so a resume won't run them again.
    settled = time.time() * 1000 - 5000
    if len(trials) < 6 or any(run.info.status == "RUNNING" or not run.info.end_time or run.info.end_time > settled
                              for rate, run in trials.items() if rate != "0.006"):
        return False
    if "curves/ndcg_at_10" not in trials["0.006"].data.metrics:
        return False
    trial_id = trials["0.006"].data.tags["sweeps.trial_id"]
    return any((tmp_path / "ray_results").glob(f"*/*{trial_id}*/checkpoint_*/resume/checkpoint-*/trainer_state.json"))


def assert_every_report_is_in_mlflow(tmp_path, client, runs: dict) -> int:
    """Each evaluation's figures Tune wrote to a finished trial's result.json are MLflow's learning curves
    (curves/<key>) at that step; the final best_/test_ ones are bare. Returns how many were compared."""
    by_id = {run.data.tags["sweeps.trial_id"]: run for run in runs.values() if run.info.status == "FINISHED"}
    compared = 0
    for result_file in (tmp_path / "ray_results").rglob("result.json"):
        reports = [json.loads(line) for line in result_file.read_text().splitlines() if line.strip()]
        if not reports or reports[0]["trial_id"] not in by_id:
            continue
        run = by_id[reports[0]["trial_id"]]
        for report in reports:
            mlflow_key = {key: f"curves/{key}" if f"curves/{key}" in run.data.metrics else key for key in report}
            metrics = {key: value for key, value in report.items() if key not in BOOKKEEPING and mlflow_key[key] in run.data.metrics}
            if report.get("final"):  # the kept checkpoint's figures, logged as best_* and test_*
                for key in [key for key in metrics if key.startswith(("best_", "test_"))]:
                    assert run.data.metrics[key] == metrics[key], key
                    compared += 1
                continue
            for key, value in metrics.items():
                logged = {point.step: point.value for point in client.get_metric_history(run.info.run_id, mlflow_key[key])}
                assert logged[report["step"]] == value, (key, report["step"])
                compared += 1
    return compared


@pytest.mark.cluster  # a SIGKILLed trial process and a SIGKILLed driver
def test_faults_and_a_killed_driver_lose_nothing_and_leak_nothing(tmp_path, tiny_model_dir):
    sweep, data = tmp_path / "resilience.yaml", tmp_path / "pairs.jsonl"
    data.write_text((REPO / "examples/data/pydocs.jsonl").read_text())
    write_sweep(sweep, resilience_sweep(tiny_model_dir, data, resources={"cpus_per_trial": 0.5}, max_concurrent=4))
    ray_temp = ray_temp_dir()
    env = {**{k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}, **PLANTED, "RAY_TMPDIR": str(ray_temp),
           "HF_HUB_OFFLINE": "1", "MLFLOW_DISABLE_TELEMETRY": "true", "RAY_USAGE_STATS_ENABLED": "0"}
    first_output = open(tmp_path / "first-driver.log", "w")  # under tmp_path: searched for the secrets with the rest
    driver = subprocess.Popen([sys.executable, "-m", "sweeps.run", str(sweep)], cwd=tmp_path,
                              env=environment(FAULTS, env), stdout=first_output, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 600
    while not time_to_kill(tmp_path):
        assert driver.poll() is None and time.monotonic() < deadline, \
            "the sweep ended before the point to interrupt: " + (tmp_path / "first-driver.log").read_text()[-3000:]
        time.sleep(0.5)
    driver.send_signal(signal.SIGKILL)
    driver.wait(timeout=60)
    first_output.close()
    assert "0.5 CPU per trial, up to 4 at once" in (tmp_path / "first-driver.log").read_text()
    client, parents, before = trial_runs(tmp_path)
    ended_before = {rate: histories(client, run) for rate, run in before.items() if rate != "0.006"}
    # Four really ran at once: the first four to start all started before any of them ended.
    spans = sorted((run.info.start_time, run.info.end_time) for rate, run in before.items() if rate != "0.006")[:4]
    assert max(start for start, _ in spans) < min(end for _, end in spans), spans
    # A changed world is refused, one line per difference, before anything starts: rewritten data, a new grid point.
    rows, grid = data.read_text(), sweep.read_text()
    data.write_text(rows.replace("Return", "Give back"))
    changed = yaml.safe_load(grid)
    changed["parameters"]["learning_rate"]["values"].append(0.007)
    write_sweep(sweep, changed)
    refused = run_module("sweeps.run", sweep, "--resume", cwd=tmp_path, env=environment({}, env))
    lines = refused.stderr.strip().splitlines()
    assert refused.returncode == 2 and len(lines) == 2, refused.stdout[-2000:] + refused.stderr[-2000:]
    assert lines[0].startswith(f"error: {sweep}: `data` must hold the rows the interrupted sweep trained on for --resume")
    assert lines[1].startswith(f"error: {sweep}: `parameters.learning_rate.values` must be as the interrupted sweep had it")
    data.write_text(rows)
    sweep.write_text(grid)

    resumed = run_module("sweeps.run", sweep, "--resume", cwd=tmp_path, env=environment({}, env))  # the faults fired once
    assert resumed.returncode == 0, resumed.stdout[-3000:] + resumed.stderr[-3000:]
    assert_nothing_leaked(tmp_path, resumed, list(PLANTED.values()), ray_temp)
    assert "resuming 'resilience'" in resumed.stdout and "storage: checkpoints peaked at" in resumed.stdout

    client, parents_after, trials = trial_runs(tmp_path)
    assert [p.info.run_id for p in parents_after] == [parents[0].info.run_id] and parents_after[0].info.status == "FINISHED"
    assert {rate: run.info.run_id for rate, run in trials.items()} == {rate: run.info.run_id for rate, run in before.items()}
    status = {rate: run.info.status for rate, run in trials.items()}
    assert status == {"0.001": "FINISHED", "0.002": "FINISHED", "0.003": "FAILED", "0.004": "FAILED", "0.005": "FINISHED", "0.006": "FINISHED"}
    # Trials that had ended before the kill were not run again: every metric point is as it was.
    assert {rate: histories(client, trials[rate]) for rate in ended_before} == ended_before

    # The killed driver's trial carried on from its checkpoint, in its own child run.
    assert trials["0.006"].data.tags["sweeps.resumed_from"].startswith("checkpoint-")
    assert [m.step for m in client.get_metric_history(trials["0.006"].info.run_id, "curves/ndcg_at_10")][-1] == 6

    # Raised once, or its process killed once: retried in the same child run, from its checkpoint.
    for rate in ("0.002", "0.005"):
        tags = trials[rate].data.tags
        assert tags["sweeps.attempts"] == "2" and tags["sweeps.resumed_from"] == "checkpoint-2" and "sweeps.error" not in tags
        assert [m.step for m in client.get_metric_history(trials[rate].info.run_id, "curves/ndcg_at_10")][-1] == 6
    assert "injected fault at step 2" in trials["0.002"].data.tags["sweeps.previous_error"]

    # Raised every time: FAILED after max_failures retries, the error as a tag and as an artifact.
    failed = trials["0.003"]
    assert failed.data.tags["sweeps.attempts"] == "2" and "InjectedFault" in failed.data.tags["sweeps.error"]
    assert "InjectedFault: injected fault" in open(client.download_artifacts(failed.info.run_id, "error.txt", str(tmp_path))).read()

    # A NaN loss: stopped at once, FAILED with its reason, not retried.
    nan = trials["0.004"]
    assert nan.data.tags["sweeps.outcome"] == "nonfinite_loss" and "sweeps.attempts" not in nan.data.tags
    assert nan.data.tags["sweeps.error"].startswith("training loss became nan at step 2 (learning_rate=0.004)")

    assert not any((tmp_path / "ray_results").rglob("checkpoint-*")), "resume states are deleted at the end"
    # 4 finished trials: 2 evaluations x 6 figures before the final one, and 10 best/test figures each.
    assert assert_every_report_is_in_mlflow(tmp_path, client, trials) >= 4 * (2 * 6 + 10)
    promoted = run_module("sweeps.promote", "resilience", cwd=tmp_path)
    assert promoted.returncode == 0, promoted.stdout + promoted.stderr
    champion = client.get_model_version_by_alias("resilience-model", "champion")
    assert champion.run_id in {trials[rate].info.run_id for rate in ("0.001", "0.002", "0.005", "0.006")}

    again = run_module("sweeps.run", sweep, "--resume", cwd=tmp_path, env=environment({}, env))
    assert again.returncode == 2 and "FINISHED; run without --resume to start a new one" in again.stderr


@pytest.mark.sweep
def test_a_worker_killed_from_outside_is_retried_and_sigterm_ends_the_sweep_as_ctrl_c_does(tmp_path, tiny_model_dir):
    """One trial that pauses after each checkpoint. Its worker process is SIGKILLed from outside (as Ray's memory
    killer or a lost node would end it): the driver records the cause, the trial is retried from its checkpoint. Then
    the driver gets what Kubernetes, Slurm and `ray job stop` send: exit 143, the runs KILLED as interrupted, the
    --resume line."""
    sweep = tmp_path / "terminated.yaml"
    write_sweep(sweep, resilience_sweep(tiny_model_dir, name="terminated", rates=[0.006]))
    env = {**{k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"},
           "HF_HUB_OFFLINE": "1", "MLFLOW_DISABLE_TELEMETRY": "true", "RAY_USAGE_STATS_ENABLED": "0"}
    driver = subprocess.Popen([sys.executable, "-m", "sweeps.run", str(sweep)], cwd=tmp_path, env=environment({"0.006": "sleep:120"}, env),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    client = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")

    def the_trial():
        try:
            trials = client.search_runs([client.get_experiment_by_name("terminated").experiment_id], "tags.`sweeps.role` = 'trial'")
        except Exception:  # the store is still being created
            return None
        return trials[0] if trials else None

    def wait_for(condition, what: str):
        deadline = time.monotonic() + 300
        while not condition(the_trial()):
            assert driver.poll() is None and time.monotonic() < deadline, f"the sweep ended before {what}"
            time.sleep(0.5)
        return the_trial()

    def checkpointed(run) -> bool:  # its first evaluation reported, with the checkpoint Ray stored: a retry resumes from it
        return run is not None and "curves/ndcg_at_10" in run.data.metrics and any((tmp_path / "ray_results").glob(
            f"*/*{run.data.tags['sweeps.trial_id']}*/checkpoint_*/resume/checkpoint-*/trainer_state.json"))

    first = wait_for(checkpointed, "its first checkpoint")
    (worker,) = first.data.tags["sweeps.worker_processes"].split(", ")
    os.kill(int(worker.rsplit(":", 1)[1]), signal.SIGKILL)  # the trial's own process, from outside
    retried = wait_for(lambda run: run.data.tags.get("sweeps.attempts") == "2" and "sweeps.resumed_from" in run.data.tags, "its retry")
    assert retried.data.tags.get("sweeps.previous_error", "").startswith("its worker process died"), retried.data.tags
    wait_for(lambda run: len(client.get_metric_history(run.info.run_id, "curves/ndcg_at_10")) >= 2, "its retry's evaluation")

    driver.send_signal(signal.SIGTERM)
    stdout, stderr = driver.communicate(timeout=120)
    assert driver.returncode == 143, stdout[-2000:] + stderr[-3000:]
    assert "Traceback" not in stderr and "SIGTERM received" not in stderr, stderr[-3000:]
    assert stderr.strip().splitlines()[-1] == f"interrupted by SIGTERM: the sweep's MLflow runs are marked KILLED; carry on with: python -m sweeps.run {sweep} --resume"
    runs = client.search_runs([client.get_experiment_by_name("terminated").experiment_id])
    parent = next(run for run in runs if run.data.tags["sweeps.role"] == "sweep")
    trial = next(run for run in runs if run.data.tags["sweeps.role"] == "trial")
    assert parent.info.status == trial.info.status == "KILLED"
    assert trial.data.tags["sweeps.ended"].startswith("interrupted"), trial.data.tags["sweeps.ended"]


@pytest.mark.sweep
def test_storage_deleted_mid_sweep_stops_it_with_one_line_and_the_parent_failed(tmp_path, tiny_model_dir):
    """`ray_results` removed under a running sweep: every later trial used to fail, the parent end FINISHED, and a FAILED
    trial rank first. Now the first trial to fail on it stops the sweep: one line, exit 1, the parent FAILED."""
    import shutil

    sweep = tmp_path / "storage.yaml"
    # One trial at a time: the first ends before the storage goes, the others would start after.
    write_sweep(sweep, resilience_sweep(tiny_model_dir, name="lost", rates=[0.001, 0.002, 0.003], evaluations_per_trial=2))
    env = {**{k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"},
           "HF_HUB_OFFLINE": "1", "MLFLOW_DISABLE_TELEMETRY": "true", "RAY_USAGE_STATS_ENABLED": "0"}
    driver = subprocess.Popen([sys.executable, "-m", "sweeps.run", str(sweep)], cwd=tmp_path, env=environment({}, env),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    client = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")

    def one_finished() -> bool:
        try:
            runs = client.search_runs([client.get_experiment_by_name("lost").experiment_id], "tags.`sweeps.role` = 'trial'")
        except Exception:  # the store is still being created
            return False
        return any(run.info.status == "FINISHED" for run in runs)

    deadline = time.monotonic() + 300
    while not one_finished():
        assert driver.poll() is None and time.monotonic() < deadline, "the sweep ended before its first trial finished"
        time.sleep(0.5)
    for state in (tmp_path / "ray_results").glob("lost-*"):
        shutil.rmtree(state)
    stdout, stderr = driver.communicate(timeout=300)
    lines = stderr.strip().splitlines()
    assert driver.returncode == 1 and len(lines) == 1 and "Traceback" not in stderr, stdout[-2000:] + stderr[-3000:]
    assert lines[0].startswith("error: storage: the sweep's storage at ") and "the sweep stops here, its MLflow parent run FAILED" in lines[0]
    runs = client.search_runs([client.get_experiment_by_name("lost").experiment_id])
    parent = next(run for run in runs if run.data.tags["sweeps.role"] == "sweep")
    trials = [run for run in runs if run.data.tags["sweeps.role"] == "trial"]
    assert parent.info.status == "FAILED" and len(trials) < 3, [(run.info.run_name, run.info.status) for run in trials]
