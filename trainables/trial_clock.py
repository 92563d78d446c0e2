"""Where a trial's wall time goes: setup, training, evaluation, checkpoints, test, logging.

Sections nest and count exclusively: the second spent saving the best model inside an evaluation's
publishing counts once, as checkpoint time, and neither as evaluation nor as training. Whatever runs
outside every other section counts as setup, the clock's bottom section.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from trainables.contract.metrics import TIME_PHASES, time_key
from trainables.process_memory import PeakMemory

SETUP, TRAIN, EVAL, CHECKPOINT, TEST, LOGGING, SERVING_VARIANTS = TIME_PHASES


class TrialClock:
    def __init__(self):
        self.seconds = dict.fromkeys(TIME_PHASES, 0.0)
        self._open = [SETUP]
        self._since = time.perf_counter()
        self.memory = PeakMemory()

    def _charge(self) -> None:
        now = time.perf_counter()
        self.seconds[self._open[-1]] += now - self._since
        self._since = now

    def enter(self, phase: str) -> None:
        self._charge()
        self._open.append(phase)

    def leave(self, phase: str) -> None:
        """Close `phase` and whatever opened inside it and never closed (an evaluation that a NaN guard called off).
        A phase that isn't open is no error: HF may evaluate at moments the trial didn't announce."""
        if phase not in self._open[1:]:
            return
        self._charge()
        while self._open.pop() != phase:
            pass

    @contextmanager
    def section(self, phase: str) -> Iterator[None]:
        self.enter(phase)
        try:
            yield
        finally:
            self.leave(phase)

    def metrics(self) -> dict[str, float]:
        """`time_<phase>_s` so far for every phase, and the peak memory since the clock started."""
        self._charge()
        return {**{time_key(phase): round(seconds, 3) for phase, seconds in self.seconds.items()}, **self.memory.peaks()}
