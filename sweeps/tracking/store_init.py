"""A new sqlite store, made once. MLflow creates a store's tables on first use, and two sweeps that start together
on a new file both try: one died with `table registered_model_tags already exists`. The first to lock the file
creates them; the others wait for it, then find them."""

from __future__ import annotations

from pathlib import Path


def initialise_store(uri: str) -> None:
    """Create the tables of the sqlite store at `uri` (absolute) unless they are there; other stores as MLflow does."""
    from mlflow.tracking import MlflowClient

    if not uri.startswith("sqlite:///"):
        return
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock to take, MLflow alone
        MlflowClient(uri).search_experiments(max_results=1)
        return
    path = Path(uri.removeprefix("sqlite:///"))
    path.parent.mkdir(parents=True, exist_ok=True)  # as MLflow itself does for a new store
    # sqlite locks with fcntl's record locks, which flock's whole-file lock on a descriptor of our own leaves alone.
    with open(path, "a") as database:
        fcntl.flock(database, fcntl.LOCK_EX)
        try:
            MlflowClient(uri).search_experiments(max_results=1)
        finally:
            fcntl.flock(database, fcntl.LOCK_UN)
