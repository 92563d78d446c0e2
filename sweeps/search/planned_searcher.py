"""A Tune Searcher that hands out configs decided up front: the grid's points, in the sweep file's order.

Tune's own BasicVariantGenerator samples every key of the param space for every trial, so it can't
leave out a parameter that doesn't apply; this searcher hands Tune exactly the configs we planned.
"""

from __future__ import annotations

import pickle

from ray.tune.search import Searcher


class PlannedSearcher(Searcher):
    def __init__(self, configs: list[dict], metric: str, mode: str):
        super().__init__(metric=metric, mode=mode)
        self.configs = [dict(config) for config in configs]
        self.handed_out = 0

    def set_search_properties(self, metric, mode, config, **spec) -> bool:
        return True

    def suggest(self, trial_id: str):
        if self.handed_out >= len(self.configs):
            return Searcher.FINISHED
        config = self.configs[self.handed_out]
        self.handed_out += 1
        return dict(config)

    def on_trial_complete(self, trial_id: str, result=None, error: bool = False) -> None:
        pass

    def save(self, checkpoint_path: str) -> None:
        with open(checkpoint_path, "wb") as handle:
            pickle.dump({"configs": self.configs, "handed_out": self.handed_out}, handle)

    def restore(self, checkpoint_path: str) -> None:
        with open(checkpoint_path, "rb") as handle:
            state = pickle.load(handle)
        self.configs, self.handed_out = state["configs"], state["handed_out"]
