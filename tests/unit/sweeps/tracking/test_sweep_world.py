"""`--resume` holds a sweep to the world it started from: its data, its search and its base models."""

from pathlib import Path

from sweeps.sweep_file import load_sweep_file
from sweeps.tracking.sweep_world import model_digest, sweep_world, world_differences

REPO = Path(__file__).resolve().parents[4]


def world(tmp_path, text: str, fingerprint: str = "abc", models=None):
    (tmp_path / "sweep.yaml").write_text(text)
    return sweep_world(load_sweep_file(tmp_path / "sweep.yaml"), fingerprint, models or {"all-MiniLM-L6-v2": "/nowhere/minilm"})


def test_the_same_world_passes_even_from_another_folder_and_cluster(tmp_path):
    grid = (REPO / "grid.yaml").read_text()
    moved = grid.replace("source: examples/data/pydocs.jsonl", "source: /elsewhere/pydocs.jsonl").replace("max_concurrent: 1", "max_concurrent: 4")
    assert world_differences(world(tmp_path, grid), world(tmp_path, moved), "grid.yaml") == []


def test_changed_data_a_new_grid_point_and_another_model_are_each_one_line(tmp_path):
    grid = (REPO / "grid.yaml").read_text()
    before = world(tmp_path, grid)
    after = world(tmp_path, grid.replace("[2.0e-5, 2e-4]", "[2.0e-5, 2e-4, 1e-3]"), fingerprint="def",
                  models={"all-MiniLM-L6-v2": str(tmp_path)})
    lines = world_differences(before, after, "grid.yaml")
    assert len(lines) == 3, lines
    assert lines[0].startswith("grid.yaml: `data` must hold the rows the interrupted sweep trained on for --resume (its data fingerprint was abc)")
    assert lines[0].endswith("but got 'fingerprint def'")
    assert lines[1] == ("grid.yaml: `parameters.learning_rate.values` must be as the interrupted sweep had it for --resume ([2e-05, 0.0002]); "
                        "run without --resume to start a new sweep, but got [2e-05, 0.0002, 0.001]")
    assert lines[2].startswith("grid.yaml: `parameters.base_model` must be the models the interrupted sweep trained for --resume")


def test_a_model_folder_is_known_by_its_content(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "model.safetensors").write_bytes(b"weights")
    first = model_digest(str(tmp_path))
    (tmp_path / "model.safetensors").write_bytes(b"retrained")
    assert model_digest(str(tmp_path)) != first and model_digest("org/model") == "org/model"


def test_changed_serving_variants_are_refused_on_resume(tmp_path):
    """The variants every evaluation scores, and the one that picks, are part of how the sweep judges."""
    grid = (REPO / "grid.yaml").read_text() + "serving: {dims: [384, 128], precisions: [float32, int8]}\n"
    before = world(tmp_path, grid)
    after = world(tmp_path, grid.replace("[384, 128]", "[384, 64]").replace("{name: ndcg@10, goal: maximize}",
                                                                             "{name: ndcg@10, goal: maximize, dim: 384, precision: int8}"))
    lines = world_differences(before, after, "grid.yaml")
    assert [line.split("`")[1] for line in lines] == ["metric.dim", "metric.precision", "serving.dims"], lines
