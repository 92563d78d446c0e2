"""From the sweep's `resources` and the cluster's nodes to what one trial asks for and how many run at once.

Pure arithmetic, so every rule is unit-tested without Ray. A worker is one Ray process and must fit on one
node, so the plan works from each node's shape, never from the cluster's totals (a 16-CPU head and two
8-CPU GPU nodes can't host a 16-CPU GPU worker). Ray Tune can't see the workers a trial's TorchTrainer
starts, so the number of trials at once is decided here rather than left to Tune.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from dataclasses import dataclass

from sweeps.errors import SweepInputError, problem
from sweeps.search.trial_hours import trial_weight
from sweeps.sweep_file.schema import ResourcesConfig
from trainables.contract.context import WorkerShape

EPSILON = 1e-9  # fractional GPUs: 4 x 0.25 must fit in 1.0


@dataclass(frozen=True)
class NodeShape:
    cpus: float
    gpus: float = 0.0
    memory_bytes: float = 0.0

    @classmethod
    def from_ray(cls, node: dict) -> NodeShape:
        """One entry of `ray.nodes()`."""
        resources = node.get("Resources", {})
        return cls(float(resources.get("CPU", 0)), float(resources.get("GPU", 0)), float(resources.get("memory", 0)))

    def describe(self) -> str:
        memory = f", {self.memory_bytes / 2**30:.1f} GiB" if self.memory_bytes else ""
        return f"{self.cpus:g} CPU" + (f", {self.gpus:g} GPU" if self.gpus else "") + memory

    def workers_that_fit(self, cpus: float, gpus: float) -> int:
        by_cpu = math.floor(self.cpus / cpus + EPSILON)
        return min(by_cpu, math.floor(self.gpus / gpus + EPSILON)) if gpus > 0 else by_cpu


def describe_nodes(nodes: list[NodeShape]) -> str:
    return "; ".join(f"{count} x ({shape.describe()})" for shape, count in Counter(nodes).items())


@dataclass(frozen=True)
class TrialResources:
    workers: int
    cpus_per_worker: float
    gpus_per_worker: float
    precision: str
    concurrency: int
    asked_concurrency: int | None = None  # the sweep file's max_concurrent

    @property
    def distributed(self) -> bool:
        return self.workers > 1

    @property
    def trial_weight(self) -> float:
        """What an hour of one trial counts against `budget.trial_hours`: its GPUs, or 1 without GPUs."""
        return trial_weight(self.workers, self.gpus_per_worker)

    def tune_request(self) -> dict:
        """What the Tune trial itself holds. A distributed trial only waits on its TorchTrainer, whose workers hold the rest."""
        if self.distributed:
            # Tune refuses an empty request, and any CPU here would be missing from the workers' share.
            return {"cpu": 0, "memory": 2**20}
        return {"cpu": self.cpus_per_worker, "gpu": self.gpus_per_worker}

    def describe(self) -> str:
        gpus = f", {self.gpus_per_worker:g} GPU" if self.gpus_per_worker else ""
        shape = f"{self.workers} workers x ({self.cpus_per_worker:g} CPU{gpus})" if self.distributed else f"{self.cpus_per_worker:g} CPU{gpus}"
        return f"{shape} per trial, up to {self.concurrency} at once"

    def concurrency_warning(self) -> str | None:
        """A line for a max_concurrent the cluster can't run: the sweep goes on at what fits."""
        if self.asked_concurrency is None or self.asked_concurrency <= self.concurrency:
            return None
        return (f"warning: max_concurrent is {self.asked_concurrency}, but the cluster fits {self.concurrency} trial(s) of "
                f"{self.describe().split(' per trial')[0]} at once; {self.concurrency} will run at a time")

    def placement(self, nodes: list[NodeShape]) -> list[str]:
        """Where the workers can go: `--dry-run` prints it."""
        return [f"  {count} node(s) of {shape.describe()}: room for {shape.workers_that_fit(self.cpus_per_worker, self.gpus_per_worker)} worker(s) each"
                for shape, count in Counter(nodes).items()]

    def worker_shape(self) -> WorkerShape:
        """What each worker of a trial holds: the part of the plan a trial needs."""
        return WorkerShape(self.workers, self.cpus_per_worker, self.gpus_per_worker, self.precision)


def plan_resources(resources: ResourcesConfig, max_concurrent: int | None, nodes: list[NodeShape], source: str) -> TrialResources:
    workers = resources.workers_per_trial
    gpus = resources.gpus_per_worker
    if gpus is None:
        gpus = 1.0 if sum(node.gpus for node in nodes) >= workers else 0.0
    cpus = resources.cpus
    key = "resources.cpus_per_worker" if resources.cpus_per_worker is not None or workers > 1 else "resources.cpus_per_trial"
    if gpus > 0 and _slots(nodes, EPSILON, gpus) < workers:
        # Told apart from a CPU shortage: no CPU count would make this trial fit.
        raise SweepInputError([_does_not_fit(source, "resources.gpus_per_worker", workers, cpus or 1, gpus, nodes)])
    if cpus is None:
        cpus = _default_cpus(nodes, workers, gpus, max_concurrent)
    fit = _slots(nodes, cpus, gpus) // workers
    if fit == 0:
        raise SweepInputError([_does_not_fit(source, key, workers, cpus, gpus, nodes)])
    concurrency = min(fit, max_concurrent) if max_concurrent else fit
    return TrialResources(workers, float(cpus), float(gpus), resources.precision, concurrency, max_concurrent)


def _slots(nodes: list[NodeShape], cpus: float, gpus: float) -> int:
    return sum(node.workers_that_fit(cpus, gpus) for node in nodes)


def _default_cpus(nodes: list[NodeShape], workers: int, gpus: float, max_concurrent: int | None) -> float:
    if gpus > 0:
        # Each GPU worker takes its GPU's share of its node's CPUs, on the node with the fewest CPUs per GPU.
        hosts = [node for node in nodes if node.gpus >= gpus - EPSILON]
        return float(max(1, min(math.floor(node.cpus * gpus / node.gpus) for node in hosts)))
    # The most CPUs per worker that still runs `max_concurrent` trials (else one) at once, every worker on one node.
    wanted = max_concurrent or 1
    budget = max(1, math.floor(sum(node.cpus for node in nodes) / (workers * wanted)))
    for cpus in range(budget, 0, -1):
        if _slots(nodes, cpus, 0) // workers >= wanted:
            return float(cpus)
    for cpus in range(budget, 0, -1):
        if _slots(nodes, cpus, 0) >= workers:
            return float(cpus)
    return 1.0


def _does_not_fit(source: str, key: str, workers: int, cpus: float, gpus: float, nodes: list[NodeShape]) -> str:
    worker = f"{cpus:g} CPU" + (f", {gpus:g} GPU" if gpus else "")
    return problem(source, key,
                   f"must fit the cluster's nodes: a trial needs {workers} worker(s) of ({worker}), each on one node, and the nodes "
                   f"have room for {_slots(nodes, cpus, gpus)} (nodes: {describe_nodes(nodes)})",
                   float(gpus if key.endswith("gpus_per_worker") else cpus))


def check_tracking_reaches_every_node(tracking_uri: str, nodes: int, source: str) -> None:
    """A sqlite file (or a folder store) lives on one machine; workers on the others would write elsewhere or fail."""
    scheme = tracking_uri.split(":", 1)[0] if "://" in tracking_uri or tracking_uri.startswith("sqlite:") else ""
    if nodes > 1 and scheme in ("", "file", "sqlite"):
        raise SweepInputError([problem(
            source, "mlflow.tracking_uri",
            f"must be an MLflow tracking server (http://HOST:PORT, see `mlflow server`) when the Ray cluster has {nodes} nodes: "
            "workers on other machines can't write to this machine's local store",
            tracking_uri)])


def this_machine() -> NodeShape:
    """This machine as a one-node local Ray would count it, found without starting Ray (for `--dry-run`)."""
    import shutil
    import subprocess

    gpus = 0
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        gpus = len([device for device in visible.split(",") if device.strip() and device.strip() != "-1"])
    elif shutil.which("nvidia-smi"):
        listed = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=30)
        gpus = sum(line.startswith("GPU ") for line in listed.stdout.splitlines()) if listed.returncode == 0 else 0
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return NodeShape(float(os.cpu_count() or 1), float(gpus), float(memory))


def cluster_nodes(address: str | None) -> tuple[list[NodeShape], str]:
    """The nodes a sweep would run on, and how they were found: the cluster at `address`, else this machine."""
    if not address:
        return [this_machine()], "this machine, as a fresh local Ray would see it"
    import ray

    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    return [NodeShape.from_ray(node) for node in ray.nodes() if node.get("Alive")], f"the Ray cluster at {address}"
