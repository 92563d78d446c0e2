"""Before the first trial: every node must reach the sweep's storage and see its local model folders.

Trials on any node store their checkpoints under `storage_path` (a shared folder, or an object store reached
with each node's own credentials), and a restarted trial reads them back wherever it lands. So the driver
writes a marker there, and a zero-CPU task on each node looks for it and for every local model folder,
before anything is logged.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable

from sweeps.errors import SweepInputError, problem
from trainables.storage import Storage, is_uri, join

MARKER_PREFIX = ".sweeps-preflight-"

# (node label, paths) -> the paths that node can't see
Probe = Callable[[str, list[str]], list[str]]


def check_every_node_sees(storage: str, model_folders: dict[str, str], nodes: list[str], probe: Probe, source: str) -> None:
    """One line per node and path it can't see. `storage` is the sweep's storage location (a folder or a URI);
    `model_folders` maps each `base_model` reference to its local folder. With no `nodes`, only the driver's own
    write to the storage is checked."""
    marker = join(storage, f"{MARKER_PREFIX}{uuid.uuid4().hex}")
    created = not is_uri(storage) and not os.path.exists(storage)
    try:
        Storage.at(marker).touch("written by the sweep's driver; each node looks for it\n")
    except (OSError, ValueError) as error:  # pyarrow's: no such bucket, no credentials, no endpoint; a URI it can't parse
        raise SweepInputError([problem(source, "storage_path", "must be storage the driver can write to (for an object store: a bucket "
                                       "that exists, and credentials and endpoint in the standard environment, AWS_ACCESS_KEY_ID, "
                                       f"AWS_ENDPOINT_URL, ...; writing there failed: {error})", storage)]) from None
    try:
        wanted = {marker: ("storage_path", storage), **{path: ("parameters.base_model", reference) for reference, path in model_folders.items()}}
        problems = []
        for node in nodes:
            for path in probe(node, list(wanted)):
                key, shown = wanted[path]
                if key != "storage_path":
                    expected = "a model folder that every Ray node sees under the same path (a shared folder such as NFS)"
                elif is_uri(storage):
                    expected = "an object store every Ray node reaches (each with the credentials and endpoint in its environment)"
                else:
                    expected = "a folder that every Ray node sees under the same path (a shared folder such as NFS), or an object-store URI"
                problems.append(problem(source, key, f"must be {expected}, but node {node} can't see {path}", shown))
    finally:
        Storage.at(marker).remove()
        if created:
            _remove_if_empty(storage)
    if problems:
        raise SweepInputError(problems)


def missing(paths: list[str]) -> list[str]:
    """Those of `paths` (folders, files or URIs) this process can't see."""
    def seen(path: str) -> bool:
        if not is_uri(path):
            return os.path.exists(path)
        try:
            return Storage.at(path).exists()
        except (OSError, ValueError):  # no credentials, no such bucket, no endpoint
            return False

    return [path for path in paths if not seen(path)]


def local_model_folders(models: dict[str, str]) -> dict[str, str]:
    """The references that resolved to a folder on this machine (hub ids are fetched by each node itself)."""
    return {reference: path for reference, path in models.items() if os.path.isabs(path) and os.path.isdir(path)}


def ray_probe(nodes: list[dict]) -> tuple[list[str], Probe]:
    """Labels for `nodes` (alive entries of `ray.nodes()`), and a probe that runs a zero-CPU task pinned to each."""
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    missing_on_node = ray.remote(num_cpus=0)(missing)
    labels = {f"{node['NodeManagerAddress']} ({node['NodeID'][:8]})": node["NodeID"] for node in nodes}

    def probe(label: str, paths: list[str]) -> list[str]:
        pinned = missing_on_node.options(scheduling_strategy=NodeAffinitySchedulingStrategy(labels[label], soft=False))
        return ray.get(pinned.remote(paths), timeout=120)

    return list(labels), probe


def _remove_if_empty(folder: str) -> None:
    try:
        os.rmdir(folder)
    except OSError:
        pass
