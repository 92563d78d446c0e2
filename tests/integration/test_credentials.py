"""Cloud credentials reach the trials but not Ray's logs: the mechanism on its own, in a few seconds."""

import hashlib
import os

import boto3
import pytest
from leak_check import PLANTED, find_leaks, ray_session_logs, ray_temp_dir, wait_for_ray_to_exit

from sweeps.secrets import CREDENTIALS_TUNE_PROPAGATES


@pytest.mark.sweep  # a local Ray and a Tune trial, no model
def test_trials_keep_the_drivers_cloud_credentials_and_ray_logs_none(tmp_path, monkeypatch):
    import ray
    from ray import tune

    from sweeps.secrets import credentials_kept_from_tune

    planted = {name: PLANTED[name] for name in CREDENTIALS_TUNE_PROPAGATES}

    def credentials_in_trial(config):  # nested, so Ray pickles it by value: the workers can't import this test module
        import hashlib

        seen = {name: hashlib.sha256(os.environ.get(name, "").encode()).hexdigest() for name in config["digests"]}
        tune.report({"credentials_seen": sum(seen[name] == digest for name, digest in config["digests"].items())})

    for name, value in planted.items():
        monkeypatch.setenv(name, value)
    # The trial is told digests, not the values: Tune keeps its config on disk, and that is searched too.
    digests = {name: hashlib.sha256(value.encode()).hexdigest() for name, value in planted.items()}
    ray_temp = ray_temp_dir()
    ray.init(num_cpus=1, include_dashboard=False, _temp_dir=str(ray_temp), logging_level="ERROR")
    try:
        with credentials_kept_from_tune():
            # Meanwhile the driver's own clients (Tune's storage, boto3) find them in a file only this user reads.
            credentials_file = os.environ["AWS_SHARED_CREDENTIALS_FILE"]
            assert not any(name in os.environ for name in planted) and os.stat(credentials_file).st_mode & 0o077 == 0
            found = boto3.Session().get_credentials()
            assert (found.access_key, found.secret_key, found.token) == (planted["AWS_ACCESS_KEY_ID"], planted["AWS_SECRET_ACCESS_KEY"],
                                                                         planted["AWS_SESSION_TOKEN"])
            results = tune.Tuner(credentials_in_trial, param_space={"digests": digests}, run_config=tune.RunConfig(storage_path=str(tmp_path), name="credentials", verbose=0)).fit()
    finally:
        ray.shutdown()
    assert all(os.environ[name] == value for name, value in planted.items()), "the driver gets its credentials back"
    assert not os.path.exists(credentials_file) and "AWS_SHARED_CREDENTIALS_FILE" not in os.environ
    assert results[0].metrics["credentials_seen"] == len(planted), "the trial inherited them from the cluster Ray started"

    wait_for_ray_to_exit(ray_temp)
    logs = ray_session_logs(ray_temp)
    assert any(path.name == "runtime_env_agent.log" for path in logs)
    assert find_leaks(logs + list(tmp_path.rglob("*.*")), list(planted.values())) == []


@pytest.mark.unit
def test_every_credential_tune_copies_into_a_runtime_env_is_kept_from_it():
    """Fails when a Ray upgrade starts copying another credential variable (GCP, Azure, ...) into trial actors."""
    from ray.tune.execution.class_cache import ENV_VARS_TO_PROPAGATE

    credentials = {name for name in ENV_VARS_TO_PROPAGATE if name.startswith(("AWS_", "GOOGLE_", "AZURE_")) or "SECRET" in name or "TOKEN" in name}
    assert credentials == set(CREDENTIALS_TUNE_PROPAGATES)
