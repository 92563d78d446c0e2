"""A ConcurrencyLimiter that also decides when no more trials start, and keeps what it decides by in Tune's searcher
checkpoint, beside the inner searcher's own state: Tune restores a searcher from the object it pickled when the sweep
began, then from that file, so without it a resumed sweep would forget."""

from __future__ import annotations

import pickle
import tempfile
from pathlib import Path

from ray.tune.search import ConcurrencyLimiter


class StatefulLimiter(ConcurrencyLimiter):
    def own_state(self) -> dict:
        raise NotImplementedError

    def set_own_state(self, state: dict) -> None:
        raise NotImplementedError

    def save(self, checkpoint_path: str) -> None:
        super().save(checkpoint_path)
        inner = Path(checkpoint_path).read_bytes()
        Path(checkpoint_path).write_bytes(pickle.dumps({"inner": inner, **self.own_state()}))

    def restore(self, checkpoint_path: str) -> None:
        state = pickle.loads(Path(checkpoint_path).read_bytes())
        self.set_own_state(state)
        with tempfile.TemporaryDirectory() as folder:
            inner = Path(folder) / "searcher.pkl"
            inner.write_bytes(state["inner"])
            super().restore(str(inner))
