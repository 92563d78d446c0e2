"""`--tracking-uri`, the same on every command."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"


def default_tracking_uri() -> str:
    """$MLFLOW_TRACKING_URI, as MLflow's own tools read it, else the file every sweep writes by default."""
    return os.environ.get("MLFLOW_TRACKING_URI") or DEFAULT_TRACKING_URI


def add_tracking_uri_option(parser: argparse.ArgumentParser, *, from_sweep_file: bool = False) -> None:
    if from_sweep_file:
        parser.add_argument("--tracking-uri", default=None,
                            help="the MLflow store, instead of the sweep file's `mlflow.tracking_uri` (default: the file's, "
                                 f"else {DEFAULT_TRACKING_URI})")
    else:
        parser.add_argument("--tracking-uri", default=default_tracking_uri(),
                            help=f"the MLflow store (default: $MLFLOW_TRACKING_URI, else {DEFAULT_TRACKING_URI})")


def open_tracking_uri(uri: str) -> tuple[str, str | None]:
    """For `promote` and `evaluate`, as `run` does it: a password in the URI moved into MLflow's environment variables
    (never printed, stored or passed on), and the store checked before MLflow's own retries could take minutes.
    (the URI without its password, the one line to print when the store can't be used, else None)."""
    from sweeps.secrets import move_credentials_to_env
    from sweeps.tracking.store import redact_uri, store_problem

    shown = redact_uri(uri)
    clean = move_credentials_to_env(uri)
    if clean.startswith("sqlite:///") and not Path(clean.removeprefix("sqlite:///")).expanduser().exists():
        return clean, f"`--tracking-uri` must point at an existing MLflow store, but got {shown!r} (no such file)"
    expected = store_problem(clean)
    return clean, (f"`--tracking-uri` {expected}, but got {shown!r}" if expected else None)
