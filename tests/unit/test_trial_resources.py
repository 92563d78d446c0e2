"""What a trial asks of the cluster, how many run at once, and the precision it trains in: no Ray."""

import pytest

from sweeps.config import ResourcesConfig
from sweeps.errors import SweepInputError
from sweeps.trial_resources import check_tracking_reaches_every_node, plan_resources
from trainables.precision import precision_arguments, resolve_precision
from trainables.sentence_transformer_trial import effective_batch_size, training_arguments
from tests.unit.test_sweep_file import GOOD, problems_of

CPU_BOX = {"CPU": 2.0, "memory": 1e10}
GPU_BOX = {"CPU": 16.0, "GPU": 1.0}


def plan(cluster, max_concurrent=None, **resources):
    return plan_resources(ResourcesConfig(**resources), max_concurrent, cluster, "F")


def test_one_worker_on_a_cpu_box_takes_every_core_one_trial_at_a_time():
    planned = plan(CPU_BOX)
    assert (planned.workers, planned.cpus_per_worker, planned.gpus_per_worker, planned.concurrency) == (1, 2.0, 0.0, 1)
    assert planned.tune_request() == {"cpu": 2.0, "gpu": 0.0}


def test_max_concurrent_splits_the_cores():
    planned = plan(CPU_BOX, max_concurrent=2)
    assert (planned.cpus_per_worker, planned.concurrency) == (1.0, 2)


def test_two_workers_hold_the_cores_and_the_tune_trial_holds_no_cpu():
    planned = plan(CPU_BOX, workers_per_trial=2, cpus_per_worker=1)
    assert planned.distributed and planned.concurrency == 1
    assert planned.tune_request()["cpu"] == 0  # else 2 workers x 1 CPU + the trial would never fit on 2 cores


def test_fractional_gpus_pack_trials_onto_one_gpu():
    planned = plan(GPU_BOX, gpus_per_worker=0.5)
    assert planned.concurrency == 2 and planned.cpus_per_worker == 8.0
    assert planned.tune_request() == {"cpu": 8.0, "gpu": 0.5}
    assert plan(GPU_BOX, gpus_per_worker=0.25, cpus_per_trial=2).concurrency == 4


def test_a_gpu_box_uses_its_gpu_unless_told_otherwise():
    assert plan(GPU_BOX).gpus_per_worker == 1.0
    assert plan(GPU_BOX, gpus_per_worker=0).gpus_per_worker == 0.0
    assert plan(GPU_BOX, workers_per_trial=2).gpus_per_worker == 0.0  # two whole GPUs are not there


def test_a_trial_bigger_than_the_cluster_is_refused_with_the_key():
    with pytest.raises(SweepInputError) as caught:
        plan(CPU_BOX, workers_per_trial=2, cpus_per_worker=2)
    assert caught.value.problems == ["F: `resources.cpus_per_worker` must fit the cluster: a trial needs 2 x 2 = 4 CPUs and the cluster has 2, but got 2.0"]
    with pytest.raises(SweepInputError) as caught:
        plan(CPU_BOX, gpus_per_worker=1)
    assert caught.value.problems == ["F: `resources.gpus_per_worker` must fit the cluster: a trial needs workers_per_trial x gpus_per_worker = 1 GPUs and the cluster has 0, but got 1.0"]


def test_a_local_store_is_refused_once_the_cluster_has_other_nodes():
    check_tracking_reaches_every_node("sqlite:///mlflow.db", 1, "F")
    check_tracking_reaches_every_node("http://127.0.0.1:5000", 3, "F")
    for local in ("sqlite:///mlflow.db", "./mlruns", "file:///tmp/mlruns"):
        with pytest.raises(SweepInputError) as caught:
            check_tracking_reaches_every_node(local, 2, "F")
        assert caught.value.problems[0].startswith("F: `mlflow.tracking_uri` must be an MLflow tracking server (http://HOST:PORT, see `mlflow server`) when the Ray cluster has 2 nodes")


@pytest.mark.parametrize("resources, message", [
    ("{cpus_per_trial: 1, cpus_per_worker: 1}", "F: `resources`: give one of `cpus_per_trial` and `cpus_per_worker`, but got both (cpus_per_trial=1, cpus_per_worker=1)"),
    ("{workers_per_trial: 2, cpus_per_trial: 1}", "F: `resources`: `cpus_per_trial` is for one-worker trials; with workers_per_trial > 1 give `cpus_per_worker`, but got (workers_per_trial=2, cpus_per_trial=1)"),
    ("{workers_per_trial: 2, gpus_per_worker: 0.5}", "F: `resources`: `gpus_per_worker` must be a whole number when workers_per_trial > 1 (NCCL can't put two ranks of one trial on one GPU), but got (workers_per_trial=2, gpus_per_worker=0.5)"),
    ("{precision: bf16, gpus_per_worker: 0}", "F: `resources`: `precision: bf16` needs a GPU, but got gpus_per_worker=0"),
    ("{precision: fp8}", "F: `resources.precision` must be 'auto', 'bf16', 'fp16' or 'fp32', but got 'fp8'"),
    ("{workers_per_trial: 0}", "F: `resources.workers_per_trial` must be greater than or equal to 1, but got 0"),
    ("{gpu_per_worker: 1}", "F: `resources.gpu_per_worker` is not a known key (did you mean `gpus_per_worker`?); expected one of ['cpus_per_trial', 'cpus_per_worker', 'gpus_per_worker', 'precision', 'workers_per_trial'], but got 1"),
])
def test_bad_resources_get_one_line_each(tmp_path, resources, message):
    assert problems_of(tmp_path, GOOD + f"resources: {resources}\n") == [message]


def test_precision_follows_the_hardware_unless_set():
    assert resolve_precision("auto", cuda=False, bf16_supported=False) == "fp32"
    assert resolve_precision("auto", cuda=True, bf16_supported=True) == "bf16"
    assert resolve_precision("auto", cuda=True, bf16_supported=False) == "fp16"
    assert resolve_precision("fp32", cuda=True, bf16_supported=True) == "fp32"
    assert precision_arguments("bf16") == {"bf16": True, "fp16": False}


def test_each_rank_takes_its_share_of_the_steps_and_the_batch_grows_with_the_world():
    one = training_arguments({"per_device_train_batch_size": 16}, 96, "MultipleNegativesRankingLoss", "/tmp/o", 1, evaluations=2)
    two = training_arguments({"per_device_train_batch_size": 16}, 96, "MultipleNegativesRankingLoss", "/tmp/o", 1, evaluations=2, world_size=2)
    assert (one["eval_steps"], two["eval_steps"]) == (3, 2)  # 6 steps vs 3 steps, two evaluations each
    assert effective_batch_size(two, 2) == 32
    assert effective_batch_size({**two, "gradient_accumulation_steps": 4}, 2) == 128


def test_storage_must_be_a_folder(tmp_path):
    assert problems_of(tmp_path, GOOD + "storage_path: s3://bucket/sweeps\n") == [
        "F: `storage_path`: must be a folder that every node sees (object-store URIs are not supported: the driver reads "
        "each trial's best checkpoint from this folder), but got 's3://bucket/sweeps'"]
