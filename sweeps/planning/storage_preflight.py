"""Before the first trial: every node must see the sweep's storage folder and its local model folders.

Rank 0 of a trial may land on any node and writes best models and resume states under `storage_path`;
the driver reads them back. Ranks that see different folders would resume from different steps and hang
at their first collective. So the driver writes a marker there, and a zero-CPU task on each node looks
for it and for every local model folder, before anything is logged.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path

from sweeps.errors import SweepInputError, problem

MARKER_PREFIX = ".sweeps-preflight-"

# (node label, paths) -> the paths that node can't see
Probe = Callable[[str, list[str]], list[str]]


def check_every_node_sees(storage: Path, model_folders: dict[str, str], nodes: list[str], probe: Probe, source: str) -> None:
    """One line per node and path it can't see. `model_folders` maps each `base_model` reference to its local folder."""
    created = not storage.exists()
    storage.mkdir(parents=True, exist_ok=True)
    marker = storage / f"{MARKER_PREFIX}{uuid.uuid4().hex}"
    marker.write_text("written by the sweep's driver; each node looks for it\n")
    try:
        wanted = {str(marker): ("storage_path", str(storage)), **{path: ("parameters.base_model", reference) for reference, path in model_folders.items()}}
        problems = []
        for node in nodes:
            for path in probe(node, list(wanted)):
                key, shown = wanted[path]
                what = "a folder" if key == "storage_path" else "a model folder"
                problems.append(problem(source, key, f"must be {what} that every Ray node sees under the same path (a shared "
                                                     f"folder such as NFS), but node {node} can't see {path}", shown))
    finally:
        marker.unlink(missing_ok=True)
        if created:
            _remove_if_empty(storage)
    if problems:
        raise SweepInputError(problems)


def local_model_folders(models: dict[str, str]) -> dict[str, str]:
    """The references that resolved to a folder on this machine (hub ids are fetched by each node itself)."""
    return {reference: path for reference, path in models.items() if os.path.isabs(path) and os.path.isdir(path)}


def ray_probe(nodes: list[dict]) -> tuple[list[str], Probe]:
    """Labels for `nodes` (alive entries of `ray.nodes()`), and a probe that runs a zero-CPU task pinned to each."""
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    @ray.remote(num_cpus=0)
    def missing(paths: list[str]) -> list[str]:
        return [path for path in paths if not os.path.exists(path)]

    labels = {f"{node['NodeManagerAddress']} ({node['NodeID'][:8]})": node["NodeID"] for node in nodes}

    def probe(label: str, paths: list[str]) -> list[str]:
        pinned = missing.options(scheduling_strategy=NodeAffinitySchedulingStrategy(labels[label], soft=False))
        return ray.get(pinned.remote(paths), timeout=120)

    return list(labels), probe


def _remove_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass
