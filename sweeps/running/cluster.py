"""Join (or start) the Ray cluster and decide what each trial asks of it; bad combinations fail here,
before the sweep's MLflow run exists."""

from __future__ import annotations

import logging
import os

from sweeps.errors import SweepInputError
from sweeps.planning.resources import NodeShape, TrialResources, check_tracking_reaches_every_node, plan_resources
from sweeps.planning.storage_preflight import check_every_node_sees, local_model_folders, ray_probe
from sweeps.prepared_sweep import PreparedSweep


def connect_cluster(sweep: PreparedSweep, address: str | None = None, verbose: bool = False) -> TrialResources:
    import ray

    config = sweep.config
    quiet_ray_logs(verbose)
    if not ray.is_initialized():
        # No address means a fresh local cluster; "auto" joins one that `ray start` left on this machine.
        # Without --verbose, Ray's logger keeps the handler that sends its lines to the sweep's log file.
        ray.init(address=address or "local", include_dashboard=False, log_to_driver=verbose, logging_level=logging.WARNING,
                 configure_logging=verbose)
    nodes = [node for node in ray.nodes() if node.get("Alive")]
    labels, probe = ray_probe(nodes) if len(nodes) > 1 else ([], None)  # on one node the driver's view is every worker's
    problems: list[str] = []

    def collect(check):  # every problem of the cluster's in one pass, as the sweep file's are
        try:
            return check()
        except SweepInputError as error:
            problems.extend(error.problems)

    collect(lambda: check_tracking_reaches_every_node(config.mlflow.tracking_uri, len(nodes), sweep.source))
    resources = collect(lambda: plan_resources(config.resources, config.max_concurrent, [NodeShape.from_ray(node) for node in nodes], sweep.source))
    collect(lambda: check_every_node_sees(config.storage_location, local_model_folders(sweep.model_paths), labels, probe, sweep.source))
    if problems:
        raise SweepInputError(problems)
    return resources


def quiet_ray_logs(verbose: bool) -> None:
    if verbose:
        return
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
    for name in ("ray", "ray.tune", "ray.train", "ray.data"):
        logging.getLogger(name).setLevel(logging.WARNING)
