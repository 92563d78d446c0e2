"""A trial whose process died: the cause in words, and a retry after a kill for memory at half the batch."""

from sweeps.running.trial_deaths import death_cause
from trainables.memory_retry import KILLED_FOR_MEMORY, after_a_memory_kill

# Ray's own words, as Tune keeps them in a trial's error file.
RAY_OOM = ("ray.exceptions.OutOfMemoryError: Task was killed due to the node running low on memory.\n"
           "Memory on the node (IP: 10.0.0.7, ID: 3f2a) where the task (actor ID: 9c1e, name=ImplicitFunc.__init__, pid=4242, "
           "memory used=4.1GB) was running was 22.8GB / 24.0GB (0.95), which exceeds the memory usage threshold of 0.95.")
RAY_ACTOR_DIED = ("ray.exceptions.ActorDiedError: The actor died unexpectedly before finishing this task.\n"
                  "The actor's worker process was killed by a signal: SIGKILL")


def test_each_death_is_named_and_an_exception_of_the_trial_is_not():
    assert death_cause(RAY_OOM).startswith(KILLED_FOR_MEMORY)
    assert death_cause(RAY_ACTOR_DIED) == "its worker process died (killed from outside?)"
    assert death_cause("ray.exceptions.NodeDiedError: the node died") == "its node was lost"
    assert death_cause("fault_injection.InjectedFault: injected fault at step 2") is None


def test_a_retry_after_a_memory_kill_halves_the_batch_and_keeps_the_effective_batch():
    config = {"learning_rate": 1e-4, "per_device_train_batch_size": 8, "gradient_accumulation_steps": 2}
    halved, line = after_a_memory_kill(config, f"{KILLED_FOR_MEMORY} (Ray's out-of-memory killer): ...")
    assert halved == {"learning_rate": 1e-4, "per_device_train_batch_size": 4, "gradient_accumulation_steps": 4}
    assert line == ("killed for memory: retried at per_device_train_batch_size 4 (was 8) with gradient_accumulation_steps 4 (was 2), "
                    "the same effective batch")
    assert after_a_memory_kill({"per_device_train_batch_size": 1}, KILLED_FOR_MEMORY)[1].endswith("can't be halved, so the retry runs as before")
    assert after_a_memory_kill(config, "InjectedFault: boom") == (config, None)
    assert after_a_memory_kill(config, None) == (config, None)


def test_a_trial_failing_on_the_sweeps_storage_stops_the_sweep_with_one_line(tmp_path):
    """Ray's words when the storage folder was deleted under the sweep; a trial's own error is not a storage failure."""
    from sweeps.running.trial_deaths import storage_failure, storage_gone
    from trainables.storage import Storage

    state = Storage.at(str(tmp_path / "sweep-1234"))
    ray_error = ("RuntimeError: Unable to set up cluster storage with the following settings:\nStorageContext<\n"
                 f"  storage_filesystem='local',\n  storage_fs_path='{tmp_path}',")
    line = storage_failure(ray_error, state, "when trial demo-1 failed")
    assert line.startswith(f"storage: the sweep's storage at {tmp_path / 'sweep-1234'} failed (Unable to set up cluster storage, "
                           "when trial demo-1 failed): the sweep stops here")
    assert storage_failure("fault_injection.InjectedFault: injected fault at step 2", state, "when trial demo-1 failed") is None
    assert storage_gone(state, "when the trials ended").startswith(f"storage: the sweep's state at {tmp_path / 'sweep-1234'} is gone")
    (tmp_path / "sweep-1234").mkdir()
    assert storage_gone(state, "when the trials ended") is None
