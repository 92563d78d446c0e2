"""SIGTERM and SIGHUP end a sweep as Ctrl-C does: what Kubernetes, Slurm and `ray job stop` send is an interruption,
with the runs marked KILLED and the `--resume` line printed, not a crash."""

from __future__ import annotations

import signal

RESUMABLE_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


class Terminated(KeyboardInterrupt):
    """Raised in the main thread where a KeyboardInterrupt would be, so every `except KeyboardInterrupt` treats it alike."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


# The last of them received: a library between the handler and the driver's `except` may raise a KeyboardInterrupt of
# its own in place of ours (Tune's fit does), and the exit code must still say which signal ended the sweep.
_received: list[int] = []


def _raise_terminated(signum, frame):
    _received.append(signum)
    raise Terminated(signum)


def interrupt_on_termination() -> None:
    """Install (again) after `ray.init`: Ray's core worker sets a handler of its own that dumps a stack and aborts (exit 134)."""
    for signum in RESUMABLE_SIGNALS:
        signal.signal(signum, _raise_terminated)


def signal_name(interruption: KeyboardInterrupt) -> str:
    return signal.Signals(_signum(interruption)).name


def exit_code(interruption: KeyboardInterrupt) -> int:
    """128 + the signal, as a shell reports it: 130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP."""
    return 128 + _signum(interruption)


def _signum(interruption: KeyboardInterrupt) -> int:
    if isinstance(interruption, Terminated):
        return interruption.signum
    return _received[-1] if _received else signal.SIGINT
