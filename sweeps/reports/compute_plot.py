"""Where the sweep's compute went, as a picture: the best eval figure so far against the trial-seconds spent, trial by
trial in the order they ended, with the budget and the point where the sweep stopped starting trials drawn in."""

from __future__ import annotations

import math
from pathlib import Path

from sweeps.search.trial_hours import SECONDS_PER_HOUR, TIME_TOTAL
from trainables.contract.goal import Goal
from trainables.contract.report_keys import FINAL, OUTCOME


def compute_curve(results, metric_key: str, mode: str, weight: float) -> list[tuple[float, float | None, str]]:
    """(trial-seconds spent when each trial ended, the best finished eval figure by then or None, the trial), in the order
    the trials ended. A stopped or failed trial spends compute without giving a figure."""
    ended = sorted(results, key=lambda result: (result.metrics or {}).get("timestamp", 0))
    spent, best, curve = 0.0, None, []
    for result in ended:
        metrics = result.metrics or {}
        spent += float(metrics.get(TIME_TOTAL) or 0.0) * weight
        value = metrics.get(metric_key)
        if result.error is None and metrics.get(FINAL) and not metrics.get(OUTCOME) and isinstance(value, int | float) and math.isfinite(value):
            best = value if best is None or Goal(mode).better(value, best) else best
        curve.append((spent, best, str(metrics.get("trial_id", "?"))))
    return curve


def plot_compute(results, metric_key: str, mode: str, weight: float, budget_hours: float | None, stopped_by: str | None,
                 folder: Path) -> Path | None:
    """`compute.png`, or None before any trial has a finished figure."""
    curve = compute_curve(results, metric_key, mode, weight)
    drawn = [(spent, best) for spent, best, _ in curve if best is not None]
    if not drawn:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 4.5))
    axes.step([0.0] + [spent for spent, _ in drawn], [drawn[0][1]] + [best for _, best in drawn], where="post", label=f"best eval {metric_key}")
    axes.scatter([spent for spent, _ in drawn], [best for _, best in drawn], s=12)
    if budget_hours is not None:
        axes.axvline(budget_hours * SECONDS_PER_HOUR, color="red", linestyle="--", label=f"budget ({budget_hours:g} trial-hours)")
    if stopped_by:
        axes.axvline(curve[-1][0], color="grey", linestyle=":", label=f"no trial started after: {stopped_by}")
    axes.set_xlabel("trial-seconds spent (each trial's time x its GPUs, or x 1 without GPUs)")
    axes.set_ylabel(f"best eval {metric_key} so far")
    axes.legend(fontsize=8)
    path = folder / "compute.png"
    figure.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(figure)
    return path
