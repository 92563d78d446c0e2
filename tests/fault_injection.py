"""Faults on purpose, for the tests that prove nothing is lost. Test code only: a sweep file adds it through the
product's extension point, `callbacks: [fault_injection.InjectedFaults]` with `allow_custom_code: true`, and the
tests put this folder on the Python path of the driver and of Ray's workers (FAULTS_PYTHONPATH).

SWEEPS_TEST_FAULTS='{"0.003": "raise_once", "0.001": "nan_loss"}' maps a trial's learning rate to a fault:
raise_once / raise_always (an exception after the first checkpoint), raise_at_start (an exception before the first
step, so no scheduler can stop the trial first), kill_once (SIGKILL of the trial's
process after the first checkpoint), nan_loss (the weights turn NaN after the first step, so the loss is NaN
from the second), and sleep:<seconds> (a pause after each checkpoint, so a test can interrupt a trial mid-way).
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

from transformers import TrainerCallback

ENV = "SWEEPS_TEST_FAULTS"
FAULTS_PYTHONPATH = str(Path(__file__).resolve().parent)
CALLBACK = "fault_injection.InjectedFaults"
SWEEP_FILE_LINES = f"allow_custom_code: true\ncallbacks: [{CALLBACK}]\n"


class InjectedFault(RuntimeError):
    pass


def fault_variables(faults: dict[str, str], env: dict | None = None) -> dict:
    """The variables that plan `faults` and make this folder importable, on top of `env` (default: this process's)."""
    path = (os.environ if env is None else env).get("PYTHONPATH")
    return {ENV: json.dumps(faults), "PYTHONPATH": os.pathsep.join(filter(None, [FAULTS_PYTHONPATH, path]))}


def environment(faults: dict[str, str], env: dict) -> dict:
    return {**env, **fault_variables(faults, env)}


class InjectedFaults(TrainerCallback):
    def __init__(self):
        self.fault: str | None = None

    def on_train_begin(self, args, state, control, **kwargs):
        self.fault = json.loads(os.environ.get(ENV) or "{}").get(str(args.learning_rate))
        if self.fault == "raise_at_start":
            raise InjectedFault("injected fault before the first step")

    def on_step_end(self, args, state, control, model=None, **kwargs):
        if self.fault == "nan_loss" and state.global_step == 1:
            import torch

            with torch.no_grad():
                for parameter in model.parameters():
                    parameter.fill_(float("nan"))

    def on_save(self, args, state, control, **kwargs):
        fault = self.fault or ""
        # Exists once a once-only fault has fired, so the retry runs clean. Beside the trial's scratch folder (which a
        # restart replaces with its checkpoint), in the sweep's scratch on this node, which the sweep clears at its end.
        scratch = os.path.dirname(args.output_dir)
        marker = scratch + ".fault-fired"
        if fault.startswith("sleep:"):
            time.sleep(float(fault.split(":", 1)[1]))
        elif fault in ("raise_once", "kill_once") and not os.path.exists(marker):
            open(marker, "w").close()
            if fault == "kill_once":
                os.kill(os.getpid(), signal.SIGKILL)
            raise InjectedFault(f"injected fault at step {state.global_step}")
        elif fault == "raise_always":
            raise InjectedFault(f"injected fault at step {state.global_step} (every attempt)")
