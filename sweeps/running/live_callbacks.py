"""The driver's Tune callbacks, kept out of what Tune pickles.

Tune pickles the callbacks of a RunConfig into its `tuner.pkl`, and `Tuner.restore` unpickles them: a resumed
sweep would run with copies that hold another process's console and no record of this run, while the runner
reads the live ones (the keeper's kept models, its disk peak). So each callback pickles as its name only, and
unpickles as the callback of that name this process registered, which the runner does before it restores.
"""

from __future__ import annotations

_REGISTERED: dict[str, object] = {}


class LiveCallback:
    """Mixed into a `ray.tune.Callback`: `live_name` is what Tune's state holds of it."""

    live_name: str

    def __reduce__(self):
        return live_callback, (self.live_name,)


def register(*callbacks: LiveCallback) -> list:
    """This process's callbacks, in Tune's call order; a restored Tuner's state resolves to these."""
    for callback in callbacks:
        _REGISTERED[callback.live_name] = callback
    return list(callbacks)


def live_callback(name: str):
    if name not in _REGISTERED:
        raise LookupError(f"the sweep's {name!r} callback must be registered (sweeps.running.live_callbacks.register) "
                          "before its Tune state is restored")
    return _REGISTERED[name]
