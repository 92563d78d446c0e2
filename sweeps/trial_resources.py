"""From the sweep's `resources` and the cluster's totals to what one trial asks for and how many run at once.

Pure arithmetic, so every rule is unit-tested without Ray. Ray Tune can't see the workers a trial's
TorchTrainer starts, so the number of trials at once is decided here rather than left to Tune.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from sweeps.config import ResourcesConfig
from sweeps.errors import SweepInputError, problem


@dataclass(frozen=True)
class TrialResources:
    workers: int
    cpus_per_worker: float
    gpus_per_worker: float
    precision: str
    concurrency: int

    @property
    def distributed(self) -> bool:
        return self.workers > 1

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

    def to_dict(self) -> dict:
        return asdict(self)


def plan_resources(resources: ResourcesConfig, max_concurrent: int | None, cluster: dict, source: str) -> TrialResources:
    """`cluster` is `ray.cluster_resources()`: {"CPU": 2.0, "GPU": 1.0, ...}."""
    workers = resources.workers_per_trial
    cluster_cpus, cluster_gpus = float(cluster.get("CPU", 0)), float(cluster.get("GPU", 0))
    gpus = resources.gpus_per_worker
    if gpus is None:
        gpus = 1.0 if cluster_gpus >= workers else 0.0
    gpu_fit = math.floor(cluster_gpus / (workers * gpus) + 1e-9) if gpus > 0 else None
    if gpu_fit == 0:
        raise SweepInputError([problem(source, "resources.gpus_per_worker",
                                       f"must fit the cluster: a trial needs workers_per_trial x gpus_per_worker = {workers * gpus:g} GPUs and the cluster has {cluster_gpus:g}",
                                       gpus)])
    cpus = resources.cpus
    key = "resources.cpus_per_worker" if resources.cpus_per_worker is not None or workers > 1 else "resources.cpus_per_trial"
    if cpus is None:
        wanted = max_concurrent or gpu_fit or 1
        cpus = max(1.0, math.floor(cluster_cpus / (workers * wanted)))
    cpu_fit = math.floor(cluster_cpus / (workers * cpus) + 1e-9)
    if cpu_fit == 0:
        raise SweepInputError([problem(source, key,
                                       f"must fit the cluster: a trial needs {workers} x {cpus:g} = {workers * cpus:g} CPUs and the cluster has {cluster_cpus:g}",
                                       cpus)])
    concurrency = min(limit for limit in (max_concurrent, cpu_fit, gpu_fit) if limit)
    return TrialResources(workers, float(cpus), float(gpus), resources.precision, concurrency)


def check_tracking_reaches_every_node(tracking_uri: str, nodes: int, source: str) -> None:
    """A sqlite file (or a folder store) lives on one machine; workers on the others would write elsewhere or fail."""
    scheme = tracking_uri.split(":", 1)[0] if "://" in tracking_uri or tracking_uri.startswith("sqlite:") else ""
    if nodes > 1 and scheme in ("", "file", "sqlite"):
        raise SweepInputError([problem(
            source, "mlflow.tracking_uri",
            f"must be an MLflow tracking server (http://HOST:PORT, see `mlflow server`) when the Ray cluster has {nodes} nodes: "
            "workers on other machines can't write to this machine's local store",
            tracking_uri)])
