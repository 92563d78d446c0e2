"""Faults on purpose, for the tests that prove nothing is lost: off unless SWEEPS_INJECT_FAULTS is set.

SWEEPS_INJECT_FAULTS='{"0.003": "raise_once", "0.001": "nan_loss"}' maps a trial's learning rate to a fault:
raise_once / raise_always (an exception after the first checkpoint), kill_once (SIGKILL of the trial's
process after the first checkpoint), nan_loss (the loss turns NaN from the second step), and
sleep:<seconds> (a pause after each checkpoint, so a test can interrupt a trial that is mid-way).
"""

from __future__ import annotations

import json
import os
import signal
import time

from transformers import TrainerCallback

ENV = "SWEEPS_INJECT_FAULTS"


class InjectedFault(RuntimeError):
    pass


def planned_fault(config: dict) -> str | None:
    faults = json.loads(os.environ.get(ENV) or "{}")
    return faults.get(str(config.get("learning_rate")))


class FaultInjector(TrainerCallback):
    def __init__(self, fault: str, marker: str):
        self.fault = fault
        self.marker = marker  # exists once a once-only fault has fired: the retry runs clean

    def on_save(self, args, state, control, **kwargs):
        if self.fault.startswith("sleep:"):
            time.sleep(float(self.fault.split(":", 1)[1]))
        elif self.fault in ("raise_once", "kill_once") and not os.path.exists(self.marker):
            open(self.marker, "w").close()
            if self.fault == "kill_once":
                os.kill(os.getpid(), signal.SIGKILL)
            raise InjectedFault(f"injected fault at step {state.global_step}")
        elif self.fault == "raise_always":
            raise InjectedFault(f"injected fault at step {state.global_step} (every attempt)")


def poison_loss(loss):
    """The loss turns NaN from its second call: a diverging run, on demand."""
    calls = {"n": 0}
    original = loss.forward

    def forward(*args, **kwargs):
        calls["n"] += 1
        value = original(*args, **kwargs)
        return value * float("nan") if calls["n"] > 1 else value

    loss.forward = forward
    return loss
