"""Conditional parameters: `when: {loss: TripletLoss}` means the parameter exists only in trials
where `loss` is TripletLoss. A loss's own parameters depend on that loss even without a `when`.
"""

from __future__ import annotations

from typing import Any

from search_spaces.losses import DEFAULT_INNER_LOSS, DEFAULT_LOSS, INNER_LOSS, LOSSES, loss_parameter_names, losses_accepting

# What a trial uses when the sweep file leaves a parameter out.
IMPLICIT_VALUES = {"loss": DEFAULT_LOSS}


def effective_conditions(parameters: dict[str, dict]) -> dict[str, dict[str, list]]:
    """name -> {parameter it depends on: the values under which it applies}."""
    conditions: dict[str, dict[str, list]] = {}
    for name, spec in parameters.items():
        condition = {ref: list(allowed) if isinstance(allowed, list) else [allowed] for ref, allowed in (spec.get("when") or {}).items()}
        if name in loss_parameter_names() and "loss" not in condition:
            accepting = losses_accepting(name)
            # A wrapper passes a parameter on only when every loss it may wrap takes it.
            inner = _candidates(parameters, INNER_LOSS) or [DEFAULT_INNER_LOSS]
            wrapper_takes = all(loss in accepting for loss in inner)
            swept = _candidates(parameters, "loss")
            applicable = [loss for loss in swept if loss in accepting or (loss in LOSSES and LOSSES[loss].wraps_a_loss and wrapper_takes)]
            if set(applicable) != set(swept):
                condition["loss"] = applicable
        if condition:
            conditions[name] = condition
    return conditions


def applies(name: str, config: dict[str, Any], conditions: dict[str, dict[str, list]]) -> bool:
    return all(config.get(ref, IMPLICIT_VALUES.get(ref)) in allowed for ref, allowed in conditions.get(name, {}).items())


def evaluation_order(parameters: dict[str, dict], conditions: dict[str, dict[str, list]]) -> list[str]:
    """Unconditional parameters first, so every condition reads a value that is already chosen."""
    return [name for name in parameters if name not in conditions] + [name for name in parameters if name in conditions]


def _candidates(parameters: dict[str, dict], name: str) -> list:
    spec = parameters.get(name)
    if spec is None:
        return [IMPLICIT_VALUES[name]] if name in IMPLICIT_VALUES else []
    if spec.get("values") is not None:
        return list(spec["values"])
    return [spec.get("value")]
