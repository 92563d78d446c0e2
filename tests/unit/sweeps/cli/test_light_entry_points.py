"""The CLIs load only what they use: help, a grid --dry-run and promotion never import Ray or transformers."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[4]
HEAVY = ("ray", "transformers", "torch", "sentence_transformers")
PROBE = """
import contextlib, io, json, sys
from {module} import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    try:
        code = main({argv!r})
    except SystemExit as exit_request:
        code = exit_request.code
print(json.dumps([code, sorted(name for name in {heavy!r} if name in sys.modules)]))
"""


def loaded_after(module: str, argv: list[str], cwd: Path) -> tuple[int, list[str]]:
    """Run `module`'s main(argv) in a fresh interpreter: its exit code and which heavy libraries it imported."""
    probe = PROBE.format(module=module, argv=argv, heavy=HEAVY)
    done = subprocess.run([sys.executable, "-c", probe], cwd=cwd, capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1", "MLFLOW_DISABLE_TELEMETRY": "true", "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stderr[-2000:]
    code, loaded = json.loads(done.stdout.strip().splitlines()[-1])
    return code, loaded


@pytest.mark.parametrize("module, argv", [
    ("sweeps.promote", ["--help"]), ("sweeps.run", ["--help"]), ("sweeps.evaluate", ["--help"]),
    ("sweeps.run", ["grid.yaml", "--dry-run"]), ("sweeps.cli.main", ["--help"]), ("sweeps.cli.main", ["run", "grid.yaml", "--dry-run"]),
], ids=["promote --help", "run --help", "evaluate --help", "grid --dry-run", "sweeps --help", "sweeps run grid --dry-run"])
def test_help_and_a_grid_dry_run_import_neither_ray_nor_transformers(module, argv):
    assert loaded_after(module, argv, REPO) == (0, [])


def test_promotion_reads_the_store_without_ray_or_transformers(tmp_path):
    from mlflow.tracking import MlflowClient

    MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}").search_experiments()  # an existing store with no sweep in it
    code, loaded = loaded_after("sweeps.promote", ["no-such-sweep", "--tracking-uri", f"sqlite:///{tmp_path / 'mlflow.db'}"], tmp_path)
    assert code == 2 and loaded == []  # refused after looking in the store, which loaded MLflow only
