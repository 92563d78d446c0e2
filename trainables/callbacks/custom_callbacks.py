"""`callbacks:` in a sweep file: dotted names of transformers `TrainerCallback` classes that every trial adds to its
trainer (built with no arguments). Code from outside the runner, so only with `allow_custom_code: true`."""

from __future__ import annotations

import importlib


class NotACallback(ValueError):
    pass


def callback_class(dotted_name: str) -> type:
    """The class `package.module.Class` names; raises NotACallback saying why it can't be used."""
    from transformers import TrainerCallback

    module_name, _, class_name = dotted_name.rpartition(".")
    if not module_name:
        raise NotACallback("must be a dotted name package.module.Class")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise NotACallback(f"must be importable on the Python path of the driver and every worker ({error})") from None
    found = getattr(module, class_name, None)
    if not (isinstance(found, type) and issubclass(found, TrainerCallback)):
        raise NotACallback(f"must name a transformers.TrainerCallback subclass in {module_name}")
    return found


def build_callbacks(dotted_names: tuple[str, ...]) -> list:
    return [callback_class(name)() for name in dotted_names]
