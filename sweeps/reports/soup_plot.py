"""The trade a blend with the base model makes, as a picture: the soup's eval metric at each α, and each guard's drop,
with the guard's limit and the α picked."""

from __future__ import annotations

import os


def plot_blend(points: list, picked, metric_key: str, guards, folder: str) -> str:
    """`blend.png` in `folder`: eval metric (left axis) and guard drops (right axis) against α."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from trainables.contract.metrics import DROP, guard_key

    alphas = [point.alpha for point in points]
    figure, axes = plt.subplots(figsize=(7, 4.5))
    axes.plot(alphas, [point.value for point in points], marker="o", color="tab:blue", label=f"eval {metric_key}")
    axes.axvline(picked.alpha, color="tab:blue", linestyle=":", linewidth=1, label=f"picked α {picked.alpha:g}")
    axes.set_xlabel("α: weight of the base model, (1 − α)·soup + α·base")
    axes.set_ylabel(f"eval {metric_key}")
    handles, labels = axes.get_legend_handles_labels()
    if guards:
        drops = axes.twinx()
        for guard, color in zip(guards, ("tab:red", "tab:orange", "tab:purple", "tab:brown")):
            key = guard_key(guard.name, DROP)
            drawn = [(point.alpha, point.guards[key]) for point in points if key in point.guards]
            if drawn:
                drops.plot([a for a, _ in drawn], [d for _, d in drawn], marker="s", color=color, label=f"{guard.name} drop")
                if guard.max_drop is not None:
                    drops.axhline(guard.max_drop, color=color, linestyle="--", linewidth=1, label=f"{guard.name} max_drop")
        drops.set_ylabel("guard drop against the untrained model (higher: more forgotten)")
        more_handles, more_labels = drops.get_legend_handles_labels()
        handles, labels = handles + more_handles, labels + more_labels
    axes.legend(handles, labels, fontsize=8, loc="best")
    axes.set_title("soup blended with the base model")
    path = os.path.join(folder, "blend.png")
    figure.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(figure)
    return path
