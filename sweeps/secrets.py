"""Secrets stay out of everything a sweep writes: params, tags, logs, artifacts, Tune's state, printed text.

A password in the tracking URI moves into MLflow's own environment variables before anything else sees
the URI (local Ray workers inherit them; on a cluster, set them on each node). A parameter named like a
credential is refused: a sweep file's parameters are logged as params by design.
"""

from __future__ import annotations

import os
import re
from urllib.parse import urlparse, urlunparse

SECRET_NAME = re.compile(r"(token|password|passwd|secret|api_key|access_key|private_key)$", re.IGNORECASE)


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
