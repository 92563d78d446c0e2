"""A base model folder opened before anything starts: its config parses, each weights file's header and length are
whole (safetensors is checked without reading a tensor), and code of its own is allowed only by `allow_custom_code`.

A model that can't load used to pass `--dry-run` and fail only after Ray started: a 50-line traceback and FAILED
runs in MLflow."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

# Module types of sentence-transformers itself; anything else named in modules.json is code the folder brings.
LIBRARY_MODULE_PREFIX = "sentence_transformers."


def model_folder_problems(folder: Path, allow_custom_code: bool) -> list[str]:
    """What is wrong with a local model folder, each as the `expected (found)` part of one line; [] when it loads."""
    problems = []
    modules = _modules(folder, problems)
    for module_folder in [folder / module.get("path", "") for module in modules] or [folder]:
        config = module_folder / "config.json"
        if config.is_file():
            loaded = _json(config, problems)
            if isinstance(loaded, dict) and loaded.get("auto_map") and not allow_custom_code:
                problems.append(f"must be a model without modelling code of its own unless the sweep file says `allow_custom_code: true` "
                                f"({config.relative_to(folder)} maps {sorted(loaded['auto_map'])} to code in the folder)")
        problems += [_weights_problem(path, folder) for path in sorted(module_folder.glob("*.safetensors"))
                     + sorted(module_folder.glob("pytorch_model*.bin"))]
    custom = [module["type"] for module in modules if not str(module.get("type", "")).startswith(LIBRARY_MODULE_PREFIX)]
    if custom and not allow_custom_code:
        problems.append(f"must be a model of sentence-transformers' own modules unless the sweep file says `allow_custom_code: true` "
                        f"(modules.json names {custom}, code the folder brings)")
    return [problem for problem in problems if problem]


def _modules(folder: Path, problems: list[str]) -> list[dict]:
    path = folder / "modules.json"
    if not path.is_file():
        return []
    loaded = _json(path, problems)
    if loaded is None:
        return []
    if not isinstance(loaded, list) or not all(isinstance(module, dict) for module in loaded):
        problems.append("must be a model whose modules.json is a list of modules (sentence-transformers writes one)")
        return []
    return loaded


def _json(path: Path, problems: list[str]):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        problems.append(f"must be a model whose {path.name} is valid JSON ({error})")
        return None


def _weights_problem(path: Path, folder: Path) -> str | None:
    name = path.relative_to(folder)
    if path.suffix == ".safetensors":
        from safetensors import SafetensorError, safe_open

        try:
            with safe_open(str(path), "np") as weights:  # the header, its offsets against the file's length; no tensor read
                if not list(weights.keys()):
                    return f"must be a model whose weights load ({name} holds no tensors)"
        except (SafetensorError, OSError) as error:
            return f"must be a model whose weights load ({name}: {error}; {path.stat().st_size:,} bytes, truncated or not safetensors)"
        return None
    if not zipfile.is_zipfile(path):  # torch.save's format is a zip, whose directory sits at the end: a cut file has none
        return f"must be a model whose weights load ({name} is not a whole torch checkpoint; {path.stat().st_size:,} bytes)"
    return None


def embedding_dimension(folder: Path) -> int | None:
    """The size of the embeddings a sentence-transformers folder writes, read from its modules' configs without loading
    it (the transformer's hidden size, as pooling and any Dense layer after it reshape it); None where it can't be told."""
    modules = _modules(folder, [])
    dimension = None
    for module in modules or [{"type": "Transformer", "path": ""}]:
        kind, config = str(module.get("type", "")).rsplit(".", 1)[-1], _json_or_empty(folder / module.get("path", "") / "config.json")
        if kind == "Transformer":
            hidden = config.get("hidden_size", config.get("d_model", config.get("dim")))
            dimension = hidden if isinstance(hidden, int) else None
        elif kind == "Pooling":
            width = config.get("embedding_dimension", config.get("word_embedding_dimension", dimension))
            modes = config.get("pooling_mode")
            count = (len(modes) if isinstance(modes, list) else 1) if modes is not None else sum(
                bool(value) for key, value in config.items() if key.startswith("pooling_mode_") and key.endswith(("_token", "_tokens")))
            dimension = width * max(count, 1) if isinstance(width, int) else None
        elif kind == "Dense":
            dimension = config.get("out_features") if isinstance(config.get("out_features"), int) else None
        elif kind not in ("Normalize", "Dropout", "LayerNorm"):
            return None
    return dimension


def _json_or_empty(path: Path) -> dict:
    """A config's keys, or none where it is missing or unreadable (the load checks above say why, once)."""
    loaded = _json(path, []) if path.is_file() else None
    return loaded if isinstance(loaded, dict) else {}
