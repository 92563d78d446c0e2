"""The trade-off a guard watches, as a picture: each trial's gain on its own domain (test, against its untrained
baseline) against its drop on each guard set, with the guard's limit drawn in."""

from __future__ import annotations

from pathlib import Path

from trainables.contract import mlflow_names as names
from trainables.contract.metrics import DROP, TEST_PREFIX, guard_key


def plot_forgetting(children: list, metric_key: str, guards: list, folder: Path) -> Path | None:
    """`forgetting.png`, or None when no finished trial has both a gain and a drop."""
    baselines = {run.data.tags.get(names.ENCODING): run for run in children if run.data.tags.get(names.ROLE) == names.BASELINE_ROLE}
    test_key = TEST_PREFIX + metric_key
    points = {guard.name: [] for guard in guards}
    for run in children:
        baseline = baselines.get(run.data.tags.get(names.ENCODING))
        if run.data.tags.get(names.ROLE) != names.TRIAL_ROLE or baseline is None:
            continue
        ours, theirs = run.data.metrics.get(test_key), baseline.data.metrics.get(test_key)
        for guard in guards:
            drop = run.data.metrics.get(guard_key(guard.name, DROP))
            if ours is not None and theirs is not None and drop is not None:
                points[guard.name].append((ours - theirs, drop, run.info.run_name))
    if not any(points.values()):
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 5))
    for guard in guards:
        if not points[guard.name]:
            continue
        drawn = axes.scatter([p[0] for p in points[guard.name]], [p[1] for p in points[guard.name]], label=f"{guard.name} ({guard.metric_key})")
        for gain, drop, run_name in points[guard.name]:
            axes.annotate(run_name.rsplit("-", 1)[-1], (gain, drop), fontsize=7, xytext=(3, 3), textcoords="offset points")
        if guard.max_drop is not None:
            axes.axhline(guard.max_drop, linestyle="--", color=drawn.get_facecolor()[0], linewidth=1, label=f"{guard.name} max_drop")
    axes.axhline(0, color="grey", linewidth=0.5)
    axes.axvline(0, color="grey", linewidth=0.5)
    axes.set_xlabel(f"domain gain: {test_key} minus the untrained baseline's")
    axes.set_ylabel("guard drop: the untrained baseline's minus the trial's (higher: more forgotten)")
    axes.set_title("forgetting: domain gain against guard drop, per trial")
    axes.legend(fontsize=8)
    path = folder / "forgetting.png"
    figure.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(figure)
    return path
