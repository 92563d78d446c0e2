"""What a sweep started from, recorded on its parent run, so `--resume` can refuse a changed world: other data (a
trial would carry on from a checkpoint trained on the old rows), another search (a new grid point would never run),
or another base model. One line per difference, before anything starts."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from sweeps.errors import problem

WORLD_ARTIFACT = "resume/world.json"
# The sweep file's keys that decide what is searched, and how it is judged; `name`, `mlflow`, `resources`,
# `storage_path`, `max_concurrent` and the like may change on a resume (another cluster, another store address).
SEARCH_KEYS = ("task", "method", "sampler", "metric", "parameters", "early_terminate", "evaluations_per_trial", "run_cap", "seed",
               "data", "guard", "serving")


def sweep_world(config, data_fingerprint: str, model_paths: dict[str, str]) -> dict:
    search = config.model_dump(include=set(SEARCH_KEYS), mode="json", exclude_none=True)
    search.get("data", {}).pop("source", None)  # where the data is may move; what it holds is the fingerprint
    return {"data_fingerprint": data_fingerprint, "search": search,
            "base_models": {str(reference): model_digest(path) for reference, path in sorted(model_paths.items())}}


def model_digest(path: str) -> str:
    """A local folder by the content of its config and weights (sha256); a hub id by its name."""
    folder = Path(path)
    if not folder.is_dir():
        return path
    digest = hashlib.sha256()
    for file in sorted(folder.rglob("*")):
        if file.is_file() and (file.suffix in (".safetensors", ".bin", ".json", ".txt", ".model")):
            digest.update(str(file.relative_to(folder)).encode())
            with open(file, "rb") as handle:
                digest.update(hashlib.file_digest(handle, "sha256").digest())
    return digest.hexdigest()


def world_differences(recorded: dict, now: dict, source: str) -> list[str]:
    """One line per key whose value is not what the interrupted sweep started with."""
    lines = []
    if recorded.get("data_fingerprint") != now["data_fingerprint"]:
        lines.append(problem(source, "data", "must hold the rows the interrupted sweep trained on for --resume (its data fingerprint "
                             f"was {recorded.get('data_fingerprint')}); a trial would carry on from a checkpoint of other data",
                             f"fingerprint {now['data_fingerprint']}"))
    for key, was, is_now in _changed(recorded.get("search", {}), now["search"], ""):
        lines.append(problem(source, key, f"must be as the interrupted sweep had it for --resume ({json.dumps(was)}); run without "
                             "--resume to start a new sweep", is_now))
    was_models, now_models = recorded.get("base_models", {}), now["base_models"]
    for reference in sorted(set(was_models) | set(now_models)):
        if was_models.get(reference) != now_models.get(reference):
            found = "not in the sweep file" if reference not in now_models else "other weights or config"
            lines.append(problem(source, "parameters.base_model", f"must be the models the interrupted sweep trained for --resume "
                                 f"({reference} changed)", found))
    return lines


def _changed(was, now, key: str):
    if isinstance(was, dict) and isinstance(now, dict):
        for name in sorted(set(was) | set(now)):
            yield from _changed(was.get(name), now.get(name), f"{key}.{name}" if key else name)
    elif was != now:
        yield key, was, now
