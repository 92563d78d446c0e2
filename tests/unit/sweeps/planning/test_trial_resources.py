"""What a trial asks of the cluster, how many run at once, and the precision it trains in: no Ray."""

import math
from pathlib import Path

import pytest

from sweeps.errors import SweepInputError
from sweeps.planning.resources import NodeShape, check_tracking_reaches_every_node, plan_resources
from sweeps.planning.storage_preflight import check_every_node_sees
from sweeps.sweep_file.schema import ResourcesConfig
from sweep_file_cases import GOOD, problems_of
from trainables.precision import agreed_precision, precision_arguments, resolve_precision
from trainables.training_arguments import effective_batch_size, share_of_run, training_arguments

CPU_BOX = [NodeShape(2.0, memory_bytes=1e10)]
GPU_BOX = [NodeShape(16.0, 1.0)]
# A 16-CPU head without GPUs and two 8-CPU nodes with one GPU each: 32 CPUs and 2 GPUs in all.
MIXED = [NodeShape(16.0, 0.0, 64 * 2**30), NodeShape(8.0, 1.0, 32 * 2**30), NodeShape(8.0, 1.0, 32 * 2**30)]


def plan(nodes, max_concurrent=None, **resources):
    return plan_resources(ResourcesConfig(**resources), max_concurrent, nodes, "F")


def test_one_worker_on_a_cpu_box_takes_every_core_one_trial_at_a_time():
    planned = plan(CPU_BOX)
    assert (planned.workers, planned.cpus_per_worker, planned.gpus_per_worker, planned.concurrency) == (1, 2.0, 0.0, 1)
    assert planned.tune_request() == {"cpu": 2.0, "gpu": 0.0}


def test_max_concurrent_splits_the_cores():
    planned = plan(CPU_BOX, max_concurrent=2)
    assert (planned.cpus_per_worker, planned.concurrency) == (1.0, 2)


def test_a_max_concurrent_above_what_fits_gets_a_warning_and_runs_what_fits():
    planned = plan(CPU_BOX, max_concurrent=16)
    assert (planned.cpus_per_worker, planned.concurrency) == (1.0, 2)
    assert planned.concurrency_warning() == ("warning: max_concurrent is 16, but the cluster fits 2 trial(s) of 1 CPU at once; "
                                             "2 will run at a time")
    assert plan(CPU_BOX, max_concurrent=2).concurrency_warning() is None and plan(CPU_BOX).concurrency_warning() is None


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
    assert caught.value.problems == ["F: `resources.cpus_per_worker` must fit the cluster's nodes: a trial needs 2 worker(s) of (2 CPU), "
                                     "each on one node, and the nodes have room for 1 (nodes: 1 x (2 CPU, 9.3 GiB)), but got 2.0"]
    with pytest.raises(SweepInputError) as caught:
        plan(CPU_BOX, gpus_per_worker=1)
    assert caught.value.problems == ["F: `resources.gpus_per_worker` must fit the cluster's nodes: a trial needs 1 worker(s) of (1 CPU, 1 GPU), "
                                     "each on one node, and the nodes have room for 0 (nodes: 1 x (2 CPU, 9.3 GiB)), but got 1.0"]


def test_gpu_workers_ask_for_their_own_nodes_share_of_cpus_not_the_clusters():
    one = plan(MIXED)
    assert (one.gpus_per_worker, one.cpus_per_worker, one.concurrency) == (1.0, 8.0, 2)
    two = plan(MIXED, workers_per_trial=2)
    assert (two.gpus_per_worker, two.cpus_per_worker, two.concurrency) == (1.0, 8.0, 1)


def test_cpu_workers_are_sized_to_fit_a_node_and_the_wanted_concurrency():
    cpu_nodes = [NodeShape(16.0), NodeShape(8.0), NodeShape(8.0)]
    assert plan(cpu_nodes, workers_per_trial=2, gpus_per_worker=0).cpus_per_worker == 8.0  # 16 each would fit one worker only
    four = plan(cpu_nodes, max_concurrent=4, gpus_per_worker=0)
    assert (four.cpus_per_worker, four.concurrency) == (8.0, 4)


def test_a_worker_that_fits_no_node_is_refused_with_the_node_shapes():
    with pytest.raises(SweepInputError) as caught:
        plan(MIXED, cpus_per_worker=12)
    assert caught.value.problems == ["F: `resources.cpus_per_worker` must fit the cluster's nodes: a trial needs 1 worker(s) of (12 CPU, 1 GPU), "
                                     "each on one node, and the nodes have room for 0 (nodes: 1 x (16 CPU, 64.0 GiB); 2 x (8 CPU, 1 GPU, 32.0 GiB)), but got 12.0"]
    assert plan(MIXED, cpus_per_worker=12, gpus_per_worker=0).concurrency == 1  # on the head, without a GPU


def test_the_dry_run_shows_what_a_worker_asks_and_where_it_can_go():
    planned = plan(MIXED, workers_per_trial=2)
    assert planned.describe() == "2 workers x (8 CPU, 1 GPU) per trial, up to 1 at once"
    assert planned.placement(MIXED) == ["  1 node(s) of 16 CPU, 64.0 GiB: room for 0 worker(s) each",
                                        "  2 node(s) of 8 CPU, 1 GPU, 32.0 GiB: room for 1 worker(s) each"]


def test_the_storage_preflight_names_each_node_and_path_it_cannot_see(tmp_path):
    storage, model = tmp_path / "ray_results", tmp_path / "model"
    model.mkdir()
    probed = []

    def fake_probe(node, paths):  # node-b mounts no shared folder; node-a sees everything
        probed.append((node, paths))
        assert all(Path(path).exists() for path in paths), "the marker exists while nodes look for it"
        return paths if node == "node-b" else []

    with pytest.raises(SweepInputError) as caught:
        check_every_node_sees(str(storage), {"my-model": str(model)}, ["node-a", "node-b"], fake_probe, "F")
    marker = probed[0][1][0]
    assert caught.value.problems == [
        f"F: `storage_path` must be a folder that every Ray node sees under the same path (a shared folder such as NFS), or an object-store URI, "
        f"but node node-b can't see {marker}, but got {str(storage)!r}",
        f"F: `parameters.base_model` must be a model folder that every Ray node sees under the same path (a shared folder such as NFS), but node node-b can't see {model}, but got 'my-model'",
    ]
    assert [node for node, _ in probed] == ["node-a", "node-b"]
    assert not storage.exists(), "the folder the check made for its marker is gone again"
    check_every_node_sees(str(storage), {"my-model": str(model)}, ["node-a"], fake_probe, "F")


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


def test_cadences_are_shares_of_the_trainers_own_step_count_and_the_batch_grows_with_the_world():
    arguments = training_arguments({"per_device_train_batch_size": 16}, "MultipleNegativesRankingLoss", "/tmp/o", 1, evaluations=3)
    assert arguments["eval_steps"] == arguments["save_steps"] == 1 / 3 and arguments["logging_steps"] == 1 / 12
    once = training_arguments({}, "MultipleNegativesRankingLoss", "/tmp/o", 1, evaluations=1)["eval_steps"]
    assert 0 < once < 1 and all(math.ceil(steps * once) == steps for steps in (1, 7, 10**6)), "one evaluation: at the last step"
    assert share_of_run(2) == 0.5
    assert effective_batch_size(arguments, 2) == 32
    assert effective_batch_size({**arguments, "gradient_accumulation_steps": 4}, 2) == 128


def test_every_rank_takes_one_precision():
    assert agreed_precision("auto", cuda=True, bf16_by_rank=[True, True]) == "bf16"
    assert agreed_precision("auto", cuda=True, bf16_by_rank=[True, False]) == "fp16"  # no rank without a gradient scaler
    assert agreed_precision("auto", cuda=False, bf16_by_rank=[False, False]) == "fp32"
    assert agreed_precision("bf16", cuda=True, bf16_by_rank=[False]) == "bf16"  # asked for


def test_storage_is_a_folder_or_an_object_store(tmp_path):
    from sweeps.sweep_file.loading import load_sweep_file

    problems_of(tmp_path, GOOD + "storage_path: ftp://host/sweeps\n")  # writes the data file beside it
    (tmp_path / "sweep.yaml").write_text(GOOD + "storage_path: s3://bucket/sweeps\n")
    config = load_sweep_file(tmp_path / "sweep.yaml")
    assert config.state_location("0123456789abcdef") == f"s3://bucket/sweeps/{config.name}-01234567"
    assert config.local_folder == (Path.cwd() / "ray_results")
    assert problems_of(tmp_path, GOOD + "storage_path: ftp://host/sweeps\n") == [
        "F: `storage_path`: must be a folder or an object-store URI (s3://, gs://, gcs://, abfs://, abfss://, hdfs://, viewfs://), "
        "but got 'ftp://host/sweeps'"]
