"""A cluster without a shared folder: two Ray nodes with a temp dir each, checkpoints and Tune's state in a local S3
(moto's server), MLflow's artifacts there too, through `mlflow server`. The sweep's driver is killed mid-way and
the sweep resumed. The one test of several Ray nodes per sweep."""

import signal
import subprocess
import sys
import time

import pytest
from fault_injection import fault_variables
from leak_check import PLANTED, find_leaks, files_under, ray_session_logs, ray_temp_dir, wait_for_ray_to_exit
from loopback_cluster import loopback_cluster
from mlflow.tracking import MlflowClient
from object_store import keys, read, s3_server
from subprocess_cli import run_module
from sweep_files import WITH_FAULTS, small_sweep, write_sweep
from sweep_runs import runs_by_role

PASSWORD = "PLANTEDpassword7890"
BUCKET = "sweeps"
STORAGE = "team-a/sweeps"


def objstore_sweep(model, tracking_uri: str, bucket: str, **sections) -> dict:
    """Two trials at once (one CPU each, one per node), their checkpoints and Tune's state in the bucket."""
    return small_sweep("objstore", model, [1.0e-3, 1.0e-4], evaluations_per_trial=3, resources={"cpus_per_trial": 1},
                       max_concurrent=2, keep_models=1, mlflow={"tracking_uri": tracking_uri}, storage_path=f"s3://{bucket}/{STORAGE}",
                       **sections)


# What a trial's node-local copy and a checkpoint hold: none may be left on a node's disk.
CHECKPOINT_FILES = ("model.safetensors", "optimizer.pt", "trainer_state.json", "sweeps_best.json")


def mid_way(client, s3_env) -> bool:
    """Both trials evaluated once, and each one's checkpoint in the bucket: `<sweep>/<trial dir>/checkpoint_…/resume/…`."""
    _, trials = runs_by_role(client, "objstore")
    evaluated = [run for run in trials if "curves/ndcg_at_10" in run.data.metrics]
    stored = {key.split("/")[3] for key in keys(s3_env, BUCKET, STORAGE) if key.endswith("trainer_state.json")}
    return len(evaluated) == 2 and len(stored) == 2


@pytest.mark.cluster
@pytest.mark.timeout(900)
def test_a_sweep_with_object_storage_resumes_after_a_driver_kill_and_leaves_nothing_on_the_nodes(tmp_path, tiny_model_dir):
    ray_temp = ray_temp_dir()
    credentials = {name: PLANTED[name] for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    # The driver's other secrets: a hub token, API keys (the AWS session tokens would be sent to the S3 server).
    others = {name: value for name, value in PLANTED.items() if not name.startswith("AWS_")}
    # A pause after each checkpoint, so the driver can be killed with both trials mid-way.
    faults = fault_variables({"0.001": "sleep:3", "0.0001": "sleep:3"})
    with s3_server(tmp_path, BUCKET, credentials) as s3_env, \
            loopback_cluster(tmp_path, ray_temp, share_nothing=True, node_env={**s3_env, **faults},
                             artifacts=f"s3://{BUCKET}/mlflow") as (address, mlflow_url, env):
        (ray_temp / "driver").mkdir()
        driver_env = {**env, **s3_env, **faults, **others, "TMPDIR": str(ray_temp / "driver"), "HF_HUB_OFFLINE": "1",
                      "MLFLOW_DISABLE_TELEMETRY": "true", "RAY_USAGE_STATS_ENABLED": "0"}
        # A sqlite file can't be reached from other machines, and a bucket that isn't there: a line each, in one
        # pass, before anything is logged.
        local = tmp_path / "local.yaml"
        write_sweep(local, objstore_sweep(tiny_model_dir, "sqlite:///mlflow.db", "no-such-bucket"))
        refused = run_module("sweeps.run", local, "--address", address, cwd=tmp_path, env=driver_env)
        lines = refused.stderr.strip().splitlines()
        assert refused.returncode == 2 and len(lines) == 2 and "Traceback" not in refused.stderr, refused.stdout[-2000:] + refused.stderr[-2000:]
        assert any("`mlflow.tracking_uri` must be an MLflow tracking server (http://HOST:PORT, see `mlflow server`) when the Ray cluster has 2 nodes" in line for line in lines)
        (bucket_line,) = [line for line in lines if "`storage_path`" in line]
        assert bucket_line.startswith("error: " + str(local) + ": `storage_path` must be storage the driver can write to (for an object store: a bucket that exists")
        assert bucket_line.endswith(f"but got 's3://no-such-bucket/{STORAGE}'")
        assert not (tmp_path / "mlflow.db").exists() and MlflowClient(mlflow_url).get_experiment_by_name("objstore") is None

        # With a password in the URI (the server ignores it): it goes to MLflow's env variables, nowhere else.
        sweep = tmp_path / "objstore.yaml"
        write_sweep(sweep, objstore_sweep(tiny_model_dir, mlflow_url.replace("http://", f"http://alice:{PASSWORD}@"), BUCKET, **WITH_FAULTS))
        client = MlflowClient(mlflow_url)
        output = open(tmp_path / "first-driver.log", "w")
        driver = subprocess.Popen([sys.executable, "-m", "sweeps.run", str(sweep), "--address", address], cwd=tmp_path, env=driver_env,
                                  stdout=output, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 600
        while not mid_way(client, s3_env):
            assert driver.poll() is None and time.monotonic() < deadline, \
                "the sweep ended before the point to interrupt: " + (tmp_path / "first-driver.log").read_text()[-3000:]
            time.sleep(0.5)
        # Tune records a checkpoint in its state within a second (TUNE_GLOBAL_CHECKPOINT_S=1); a driver killed sooner
        # comes back without it, and that trial trains its last stretch again. Both trials now sleep 3 s after it.
        time.sleep(1.5)
        driver.send_signal(signal.SIGKILL)
        driver.wait(timeout=60)
        output.close()
        _, before = runs_by_role(client, "objstore")
        # One CPU per node and two trials at once: one trial on each node.
        assert len({run.data.tags["sweeps.node_id"] for run in before}) == 2

        resumed = run_module("sweeps.run", sweep, "--resume", "--address", address, cwd=tmp_path, env=driver_env)
        assert resumed.returncode == 0, resumed.stdout[-3000:] + resumed.stderr[-3000:]
        assert "resuming 'objstore'" in resumed.stdout and f"left in s3://{BUCKET}/{STORAGE}/objstore-" in resumed.stdout
        assert f"MLflow: {mlflow_url}/#/experiments/" in resumed.stdout and "alice" not in resumed.stdout

        parents, trials = runs_by_role(client, "objstore")
        assert len(parents) == 1 and parents[0].info.status == "FINISHED"
        assert sorted(run.info.run_id for run in trials) == sorted(run.info.run_id for run in before)  # no run twice
        assert sorted(run.data.params["learning_rate"] for run in trials) == ["0.0001", "0.001"]
        assert all(run.info.status == "FINISHED" and "test_ndcg_at_10" in run.data.metrics for run in trials)
        # The killed trials carried on from the checkpoints in the bucket, on whichever node they landed.
        assert all(run.data.tags.get("sweeps.resumed_from", "").startswith("checkpoint-") for run in trials)
        assert all([m.step for m in client.get_metric_history(run.info.run_id, "curves/ndcg_at_10")][-1] == 6 for run in trials)

        # The best model went to MLflow, whose artifacts are in the bucket; no checkpoint is left there.
        logged = [run for run in trials if run.data.tags.get("sweeps.model_logged") == "true"]
        assert len(logged) == 1
        assert any(key.endswith("model.safetensors") for key in keys(s3_env, BUCKET, "mlflow/"))
        assert not [key for key in keys(s3_env, BUCKET, STORAGE) if "/checkpoint_" in key or key.endswith("safetensors")]

        promoted = run_module("sweeps.promote", "objstore", "--tracking-uri", mlflow_url, cwd=tmp_path, env=driver_env)
        assert promoted.returncode == 0, promoted.stdout + promoted.stderr
        import mlflow.sentence_transformers

        mlflow.set_tracking_uri(mlflow_url)  # through the server, which alone holds the bucket's credentials here
        champion = mlflow.sentence_transformers.load_model("models:/objstore-model@champion")
        assert champion.encode(["how do I sort a list", "sorted(items)"]).shape[0] == 2

        bucket_objects = {key: read(s3_env, BUCKET, key) for key in keys(s3_env, BUCKET)}
    wait_for_ray_to_exit(ray_temp)
    # Nothing of the sweep on either node's disk, nor on the driver's: no model, no resume state, no scratch folder.
    local = files_under(ray_temp) + files_under(tmp_path)
    assert not [path for path in local if path.name in CHECKPOINT_FILES and "server-artifacts" not in str(path)]
    assert not [path for path in ray_temp.rglob("embedding-sweeps") if any(path.iterdir())]
    # The killed driver's credentials file (the AWS keys, while Tune ran) went with the driver that resumed.
    assert not list((ray_temp / "driver").glob("sweeps-aws-*"))
    assert not [path for path in files_under(tmp_path) if path.name in ("tuner.pkl", "experiment_state.json") or "experiment_state" in path.name]

    # The S3 server's own access log names the key id of every signed request, as S3's does: it is the store's, not the sweep's.
    written = [path for path in files_under(tmp_path) if path.name != "s3-server.log" and path.suffix != ".yaml"]  # the password's own line
    secrets = [PASSWORD, *credentials.values(), *others.values()]
    leaks = find_leaks(ray_session_logs(ray_temp) + written, secrets)
    leaks += [(key, secret) for key, body in bucket_objects.items() for secret in secrets if secret.encode() in body]
    leaks += [("printed output", secret) for secret in secrets if secret in resumed.stdout + resumed.stderr]
    assert leaks == [], f"secrets found (file, secret): {leaks}"
