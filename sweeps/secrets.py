"""Secrets stay out of everything a sweep writes: params, tags, logs, artifacts, Tune's state, printed text.

A password in the tracking URI moves into MLflow's own environment variables before anything else sees
the URI (local Ray workers inherit them; on a cluster, set them on each node). A parameter named like a
credential is refused: a sweep file's parameters are logged as params by design. Cloud credentials in the
driver's environment are kept from Ray Tune, which would copy them into a runtime env that Ray logs.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import tempfile
from contextlib import contextmanager
from urllib.parse import urlparse, urlunparse

SECRET_NAME = re.compile(r"(token|password|passwd|secret|api_key|access_key|private_key)$", re.IGNORECASE)

# Ray Tune copies these from the driver's environment into each trial actor's runtime env
# (ray/tune/execution/class_cache.py), and Ray's runtime-env agent logs that env in plain text at INFO,
# in every node's session logs and so in the dashboard.
SHARED_CREDENTIALS_FILE = "AWS_SHARED_CREDENTIALS_FILE"
CREDENTIALS_FOLDER_PREFIX = "sweeps-aws-"
CREDENTIALS_TUNE_PROPAGATES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SECURITY_TOKEN", "AWS_SESSION_TOKEN")


def looks_secret(name: str) -> bool:
    return bool(SECRET_NAME.search(name))


def move_credentials_to_env(uri: str) -> str:
    """`http://user:pass@host` -> `http://host`, with MLFLOW_TRACKING_USERNAME/PASSWORD set for this process and its children."""
    parsed = urlparse(uri)
    if not parsed.password and not parsed.username:
        return uri
    if parsed.username:
        os.environ["MLFLOW_TRACKING_USERNAME"] = parsed.username
    if parsed.password:
        os.environ["MLFLOW_TRACKING_PASSWORD"] = parsed.password
    host = parsed.hostname + (f":{parsed.port}" if parsed.port else "")
    return urlunparse(parsed._replace(netloc=host))


@contextmanager
def credentials_kept_from_tune():
    """While Tune creates trial actors, the driver's cloud credentials are out of its environment: Tune finds none to copy.

    Trial processes still have them, by paths Ray doesn't log: a local cluster's workers inherit the
    environment the driver had when it started Ray (so enter this after `ray.init`); on a cluster, each
    node has what `ray start` was given, or the standard credential files and instance roles.

    The driver itself still needs them meanwhile: Tune writes its state to an object store through filesystems
    it copies, and a copy looks for credentials anew. So for that while they sit in a credentials file only
    this user can read (AWS's own format, found through AWS_SHARED_CREDENTIALS_FILE), deleted afterwards.
    """
    hidden = {name: os.environ.pop(name) for name in CREDENTIALS_TUNE_PROPAGATES if name in os.environ}
    previous_file = os.environ.get(SHARED_CREDENTIALS_FILE)
    folder = _write_credentials_file(hidden) if {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} <= set(hidden) else None
    try:
        yield
    finally:
        os.environ.update(hidden)
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
            if previous_file is None:
                os.environ.pop(SHARED_CREDENTIALS_FILE, None)
            else:
                os.environ[SHARED_CREDENTIALS_FILE] = previous_file


def _write_credentials_file(credentials: dict[str, str]) -> str:
    _remove_files_of_killed_drivers()
    folder = tempfile.mkdtemp(prefix=f"{CREDENTIALS_FOLDER_PREFIX}{os.getpid()}-")  # 0700
    path = os.path.join(folder, "credentials")
    lines = [f"[{os.environ.get('AWS_PROFILE', 'default')}]", f"aws_access_key_id = {credentials['AWS_ACCESS_KEY_ID']}",
             f"aws_secret_access_key = {credentials['AWS_SECRET_ACCESS_KEY']}"]
    token = credentials.get("AWS_SESSION_TOKEN") or credentials.get("AWS_SECURITY_TOKEN")
    if token:
        lines.append(f"aws_session_token = {token}")
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write("\n".join(lines) + "\n")
    os.environ[SHARED_CREDENTIALS_FILE] = path
    return folder


def _remove_files_of_killed_drivers() -> None:
    """A driver killed with SIGKILL can't delete its file; the next one here does, once that driver's process is gone."""
    for path in glob.glob(os.path.join(tempfile.gettempdir(), f"{CREDENTIALS_FOLDER_PREFIX}*-*")):
        pid = os.path.basename(path)[len(CREDENTIALS_FOLDER_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True
