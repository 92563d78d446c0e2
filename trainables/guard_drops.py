"""A trial's drop on each guard set: its untrained baseline's value (the same settings) minus its own, so a positive drop
means something was forgotten; and why it is over a guard's max_drop. The trial logs and reports them, so the driver
keeps the models of trials within every limit, and promotion passes over the others."""

from __future__ import annotations

from trainables.contract.metrics import DROP, guard_key


def guard_drops(guards, metrics: dict, baseline_metrics: dict) -> tuple[dict[str, float], list[str]]:
    """(`guard_<name>_drop` for each guard the trial and its baseline were judged on, a reason per guard it is over)."""
    drops, over = {}, []
    for guard in guards:
        key = guard_key(guard.name, guard.metric_key)
        ours, theirs = metrics.get(key), baseline_metrics.get(key)
        if ours is None or theirs is None:
            continue
        drop = theirs - ours
        drops[guard_key(guard.name, DROP)] = drop
        if guard.max_drop is not None and drop > guard.max_drop:
            over.append(f"guard {guard.name} {guard.metric_key} dropped {drop:.4f} (from {theirs:.4f} untrained to {ours:.4f}), "
                        f"over its max_drop {guard.max_drop:g}")
    return drops, over
