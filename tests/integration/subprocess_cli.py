"""Run the project's CLIs the way a user does: a fresh Python process, offline."""

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run_module(module: str, *args, cwd, timeout: int = 900, env: dict | None = None):
    # mlflow.set_tracking_uri in an earlier test exports MLFLOW_TRACKING_URI; a CLI must find its store itself.
    env = {key: value for key, value in (env or os.environ).items() if key != "MLFLOW_TRACKING_URI"}
    env.update({"HF_HUB_OFFLINE": "1", "MLFLOW_DISABLE_TELEMETRY": "true", "RAY_USAGE_STATS_ENABLED": "0"})
    return subprocess.run([sys.executable, "-m", module, *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)
