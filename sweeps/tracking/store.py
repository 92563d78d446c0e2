"""The MLflow store a sweep logs to: checked before anything starts, made absolute for the trials, printed without secrets.

No MLflow import here: `--dry-run` checks the store's URI without loading MLflow.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

from sweeps.errors import SweepInputError, problem


def redact_uri(uri: str) -> str:
    """`user:pass@host` -> `***@host`: a URI may be printed, never its password."""
    parsed = urlparse(uri)
    return uri.replace(f"{parsed.username}:{parsed.password}@", "***@") if parsed.password else uri


def check_tracking_uri(uri: str, source: str) -> None:
    """Fail before any worker starts when the store can't be reached."""
    expected = store_problem(uri)
    if expected:
        raise SweepInputError([problem(source, "mlflow.tracking_uri", expected, redact_uri(uri))])


def store_problem(uri: str) -> str | None:
    """What a store URI must be, when this one isn't that (a folder that isn't there, a server that doesn't answer)."""
    parsed = urlparse(uri)
    if parsed.scheme == "sqlite":
        database = Path(uri.removeprefix("sqlite:///")) if uri.startswith("sqlite:///") else None
        if database is not None and not database.expanduser().resolve().parent.is_dir():
            return "must point into an existing folder"
        return None
    if parsed.scheme in ("http", "https"):
        health = f"{parsed.scheme}://{parsed.hostname}{f':{parsed.port}' if parsed.port else ''}{parsed.path.rstrip('/')}/health"
        try:
            with urllib.request.urlopen(health, timeout=5) as response:
                response.read()
        except (urllib.error.URLError, OSError) as error:
            return f"must be a reachable MLflow server ({error})"
        return None
    if parsed.scheme not in ("", "file", "databricks", "postgresql", "mysql", "mssql"):
        return "must be sqlite:///…, http(s)://… or another MLflow store URI"
    return None


def absolute_tracking_uri(uri: str) -> str:
    """Ray runs trials in their own folders, so a relative sqlite path would open another database."""
    if uri.startswith("sqlite:///") and not uri.startswith("sqlite:////"):
        return "sqlite:///" + str(Path(uri.removeprefix("sqlite:///")).expanduser().resolve())
    return uri
