from types import SimpleNamespace

from sweeps.reports.serving_plot import pareto_front, plot_serving, serving_points
from trainables.contract.serving import ServingVariant, variants_of

VARIANTS = variants_of([384, 128], ["float32", "int8", "binary"])


def run(name, status, role, figures):
    metrics = {f"best_ndcg_at_10-{dim}d-{precision}": value for (dim, precision), value in figures.items()}
    return SimpleNamespace(info=SimpleNamespace(run_name=name, status=status),
                           data=SimpleNamespace(metrics=metrics, tags={"sweeps.role": role}))


CHILDREN = [
    run("plain", "FINISHED", "trial", {(384, "float32"): 0.80, (384, "int8"): 0.79, (384, "binary"): 0.70,
                                       (128, "float32"): 0.74, (128, "int8"): 0.72, (128, "binary"): 0.50}),
    run("nested", "FINISHED", "trial", {(384, "float32"): 0.79, (384, "int8"): 0.78, (384, "binary"): 0.71,
                                        (128, "float32"): 0.77, (128, "int8"): 0.76, (128, "binary"): 0.55}),
    run("untrained", "FINISHED", "baseline", {(384, "float32"): 0.70, (128, "int8"): 0.60}),
    run("broken", "FAILED", "trial", {(128, "int8"): 0.99}),  # a failed trial is never drawn
]


def test_every_finished_run_is_a_point_at_every_variant_it_logged():
    points = serving_points(CHILDREN, "ndcg_at_10", VARIANTS)
    assert len(points) == 6 + 6 + 2 and "broken" not in {point.run for point in points}
    assert {point.bytes for point in points} == {1536, 384, 48, 512, 128, 16}


def test_the_front_keeps_the_points_no_smaller_vector_beats():
    front = pareto_front(serving_points(CHILDREN, "ndcg_at_10", VARIANTS))
    # 16 B: nested binary 0.55; 48 B: plain binary 0.70 ... nested 0.71 is better; 128 B: nested int8 0.76; 384 B: 0.78 no,
    # 0.79 (plain 384 int8); 512 B: 0.77 is beaten by 0.79 at fewer bytes; 1,536 B: plain float32 0.80
    assert [(point.run, point.variant) for point in front] == [
        ("nested", ServingVariant(128, "binary")), ("nested", ServingVariant(384, "binary")), ("nested", ServingVariant(128, "int8")),
        ("plain", ServingVariant(384, "int8")), ("plain", ServingVariant(384, "float32"))]


def test_the_picture_is_drawn_with_the_pick_and_not_without_points(tmp_path):
    path = plot_serving(CHILDREN, "ndcg_at_10", VARIANTS, ServingVariant(128, "int8"), True, tmp_path)
    assert path == tmp_path / "serving.png" and path.stat().st_size > 10_000
    assert plot_serving(CHILDREN[3:], "ndcg_at_10", VARIANTS, None, True, tmp_path / "none") is None
