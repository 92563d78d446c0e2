"""One promotion at a time per MLflow store on this machine: two `sweeps promote` started together must not both
register the same run (they made versions 1 and 2 of one run)."""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def promotion_lock(tracking_uri: str) -> Iterator[None]:
    """An advisory file lock named after the store (its URI, which carries no password by now). The kernel releases it
    when the process dies, so a killed promote never blocks the next one."""
    folder = Path(tempfile.gettempdir()) / f"embedding-sweeps-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    path = folder / f"promote-{hashlib.sha256(tracking_uri.encode()).hexdigest()[:16]}.lock"
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
