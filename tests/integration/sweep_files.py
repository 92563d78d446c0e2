"""Sweep files for the integration tests, built as dicts and written with yaml.safe_dump: the small retrieval sweep on
the tiny BERT that most of them vary. (The W&B files and the issue's STS file stay as their authors wrote them.)"""

import copy
from pathlib import Path

import yaml
from fault_injection import CALLBACK

REPO = Path(__file__).resolve().parents[2]
# 96 training pairs, eval and test sets of 30 queries over 80 passages.
SMALL_PYDOCS_DATA = {"source": str(REPO / "examples/data/pydocs.jsonl"), "columns": {"anchor": "query", "positive": "passage"},
                     "max_train_rows": 96, "eval_corpus_size": 80, "max_eval_queries": 30}
# The test-only callback that injects faults (tests/fault_injection.py), through the product's extension point.
WITH_FAULTS = {"allow_custom_code": True, "callbacks": [CALLBACK]}


def small_sweep(name: str, model, learning_rates: list[float], **sections) -> dict:
    """A grid over `learning_rates` on `model`, no baselines, a local sqlite store; `sections` replace the defaults
    (`parameters` is merged into the default parameters)."""
    sweep = {
        "name": name, "method": "grid", "seed": 42, "data": copy.deepcopy(SMALL_PYDOCS_DATA),
        "parameters": {"base_model": {"value": str(model)}, "learning_rate": {"values": list(learning_rates)},
                       "per_device_train_batch_size": {"value": 16}},
        "baselines": False, "mlflow": {"tracking_uri": "sqlite:///mlflow.db"}, "storage_path": "ray_results",
    }
    sweep["parameters"].update(sections.pop("parameters", {}))
    sweep.update(sections)
    return sweep


def write_sweep(path: Path, sweep: dict) -> Path:
    path.write_text(yaml.safe_dump(sweep, sort_keys=False))
    return path
