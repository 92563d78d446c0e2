from search_spaces.space import grid_points
from sweeps.sweep_file import load_sweep_file
from sweeps.trial_plan import plan_trials


def test_grid_enumerates_values_in_file_order_and_run_cap_cuts_it(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("name: g\nrun_cap: 3\ndata: {source: x.jsonl}\nparameters:\n  base_model: {value: m}\n"
                    "  learning_rate: {values: [1e-5, 1e-4]}\n  per_device_train_batch_size: {values: [16, 32]}\n"
                    "  warmup_ratio: {distribution: uniform, min: 0, max: 0.2}\n")
    plan = plan_trials(load_sweep_file(path))
    assert plan.grid_size == 4 and plan.num_samples == 3
    assert plan.grid == [
        {"learning_rate": 1e-5, "per_device_train_batch_size": 16},
        {"learning_rate": 1e-5, "per_device_train_batch_size": 32},
        {"learning_rate": 1e-4, "per_device_train_batch_size": 16},
    ]
    assert "grid points (capped from 4 by run_cap):" in plan.describe(load_sweep_file(path))


def test_fixed_values_are_not_grid_axes():
    assert grid_points({"a": {"value": 1}, "b": {"values": [1, 2]}}) == [{"b": 1}, {"b": 2}]
