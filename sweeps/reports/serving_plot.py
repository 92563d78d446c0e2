"""Quality against the bytes a served vector takes: one point per finished trial (and untrained baseline, and soup) and
serving variant, from each run's kept checkpoint's eval figures, with the front no smaller vector beats."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from trainables.contract import mlflow_names as names
from trainables.contract.metrics import ranking_key
from trainables.contract.serving import ServingVariant


@dataclass(frozen=True)
class ServingPoint:
    run: str
    role: str
    variant: ServingVariant
    value: float

    @property
    def bytes(self) -> int:
        return self.variant.bytes_per_vector


def serving_points(children: list, base_key: str, variants: tuple[ServingVariant, ...]) -> list[ServingPoint]:
    """Every finished run's eval figure at every variant it logged (`best_ndcg_at_10-128d-int8`)."""
    points = []
    for run in children:
        if run.info.status != "FINISHED":
            continue
        for variant in variants:
            value = run.data.metrics.get(ranking_key(variant.key(base_key)))
            if value is not None:
                points.append(ServingPoint(run.info.run_name, run.data.tags.get(names.ROLE, names.TRIAL_ROLE), variant, value))
    return points


def pareto_front(points: list[ServingPoint], maximizes: bool = True) -> list[ServingPoint]:
    """The points no other beats at as few bytes or fewer, smallest first."""
    front, best = [], None
    for point in sorted(points, key=lambda point: (point.bytes, -point.value if maximizes else point.value)):
        if best is None or (point.value > best if maximizes else point.value < best):
            front.append(point)
            best = point.value
    return front


def plot_serving(children: list, base_key: str, variants: tuple[ServingVariant, ...], picked: ServingVariant | None,
                 maximizes: bool, folder: Path) -> Path | None:
    """`serving.png`, or None when no run logged a variant."""
    points = serving_points(children, base_key, variants)
    if not points:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    markers = {"float32": "o", "int8": "s", "uint8": "D", "binary": "^", "ubinary": "v"}
    runs = list(dict.fromkeys(point.run for point in points))
    colours = plt.get_cmap("tab10")
    figure, axes = plt.subplots(figsize=(8, 5))
    for index, run in enumerate(runs):
        mine = [point for point in points if point.run == run]
        untrained = mine[0].role == names.BASELINE_ROLE
        for precision in dict.fromkeys(point.variant.precision for point in mine):
            drawn = [point for point in mine if point.variant.precision == precision]
            axes.scatter([point.bytes for point in drawn], [point.value for point in drawn], marker=markers.get(precision, "o"),
                         color="grey" if untrained else colours(index % 10), alpha=0.8, s=30,
                         label=f"{run}{' (untrained)' if untrained else ''}" if precision == mine[0].variant.precision else None)
    front = pareto_front(points, maximizes)
    axes.step([point.bytes for point in front], [point.value for point in front], where="post", color="black", linewidth=1,
              linestyle="--", label="front: best at each size")
    if picked is not None:
        chosen = [point for point in points if point.variant == picked]
        if chosen:
            best = max(chosen, key=lambda point: point.value if maximizes else -point.value)
            axes.scatter([best.bytes], [best.value], s=160, facecolors="none", edgecolors="red", linewidths=1.5,
                         label=f"picked: {best.run} at {picked.label}")
    for precision, marker in markers.items():
        if any(point.variant.precision == precision for point in points):
            axes.scatter([], [], marker=marker, color="black", label=precision)
    axes.set_xscale("log", base=2)
    axes.set_xlabel("bytes per vector (log scale)")
    axes.set_ylabel(f"eval {base_key}")
    axes.set_title("quality against the bytes a served vector takes")
    axes.legend(fontsize=7, loc="lower right")
    path = folder / "serving.png"
    figure.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(figure)
    return path
