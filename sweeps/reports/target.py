"""Whether the sweep's `metric.target` was reached, and by which trial: one line after the sweep."""

from __future__ import annotations

import math

from sweeps.sweep_file.schema import SweepConfig


def target_line(results, config: SweepConfig, planned: int) -> str | None:
    target, key = config.metric.target, config.metric.key
    if target is None:
        return None
    reached = lambda value: config.metric.mode.reached(value, target)  # noqa: E731
    first = None
    for result in results:
        frame = result.metrics_dataframe
        if frame is None or key not in frame:
            continue
        for value, when in zip(frame[key], frame.get("timestamp", range(len(frame)))):
            if isinstance(value, int | float) and math.isfinite(value) and reached(value) and (first is None or when < first[0]):
                first = (when, value, result.metrics.get("trial_id", "?"))
    ran = sum(1 for _ in results)
    if first is None:
        return f"target: eval {key} {target:g} not reached in {ran} trials"
    return (f"target: eval {key} {target:g} reached by trial {first[2]} ({first[1]:.4g}); no trial started after it, "
            f"{ran} of {planned} planned trials ran")
