"""Secrets stay out of everything a sweep writes: params, tags, logs, artifacts, Tune's state, printed text.

A password in the tracking URI moves into MLflow's own environment variables before anything else sees
the URI (local Ray workers inherit them; on a cluster, set them on each node). A parameter named like a
credential is refused: a sweep file's parameters are logged as params by design. Cloud credentials in the
driver's environment are kept from Ray Tune, which would copy them into a runtime env that Ray logs.
"""

from __future__ import annotations

import os
import re
from contextlib import contextmanager
from urllib.parse import urlparse, urlunparse

SECRET_NAME = re.compile(r"(token|password|passwd|secret|api_key|access_key|private_key)$", re.IGNORECASE)

# Ray Tune copies these from the driver's environment into each trial actor's runtime env
# (ray/tune/execution/class_cache.py), and Ray's runtime-env agent logs that env in plain text at INFO,
# in every node's session logs and so in the dashboard.
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
    """
    hidden = {name: os.environ.pop(name) for name in CREDENTIALS_TUNE_PROPAGATES if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(hidden)
