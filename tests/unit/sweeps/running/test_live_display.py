"""The live display a person reads: the swept parameters, the best score so far, an estimate of the time left."""

import io
import itertools

from rich.console import Console

from sweeps.running import progress as progress_module
from sweeps.running.progress import SweepProgress


class FakeTrial:
    def __init__(self, trial_id, config):
        self.trial_id, self.config, self.last_result = trial_id, config, {}

    def __str__(self):
        return f"demo-{self.trial_id}"


def test_lines_carry_parameters_best_so_far_and_eta(monkeypatch):
    clock = itertools.count(start=100, step=10)  # each look at the clock is 10 s later
    monkeypatch.setattr(progress_module.time, "monotonic", lambda: next(clock))
    out = io.StringIO()
    progress = SweepProgress(Console(file=out, width=300), 2, "ndcg_at_10", "max", evaluations_per_trial=2,
                             swept=("learning_rate",))
    first = FakeTrial("a", {"learning_rate": 2.3578730726467393e-05, "num_train_epochs": 1})
    progress.on_trial_start(0, [], first)
    progress.on_trial_result(0, [], first, {"ndcg_at_10": 0.81, "step": 3, "evaluation": 1})
    first.last_result = {"ndcg_at_10": 0.83, "test_ndcg_at_10": 0.8, "final": True, "evaluation": 2}
    progress.on_trial_result(0, [], first, first.last_result)
    progress.on_trial_complete(0, [], first)
    second = FakeTrial("b", {"learning_rate": 1e-4})
    progress.on_trial_start(0, [], second)
    progress.on_trial_result(0, [], second, {"ndcg_at_10": 0.79, "step": 3, "evaluation": 1})
    lines = out.getvalue().splitlines()
    assert lines[0] == "[0/2 done, 10s] demo-a started  learning_rate=2.358e-05"  # swept parameters only, 4 digits
    # a quarter of the planned evaluations took 20 s: 60 s to go; the best is the highest eval score so far
    assert lines[1] == "[0/2 done, 20s, ETA 1m 00s, best ndcg_at_10 0.8100 (demo-a)] demo-a step 3: ndcg_at_10=0.8100"
    assert lines[3].startswith("[1/2 done, 40s, ETA 40s, best ndcg_at_10 0.8300 (demo-a)] demo-a finished")
    assert lines[-1].endswith("best ndcg_at_10 0.8300 (demo-a)] demo-b step 3: ndcg_at_10=0.7900")


def test_the_table_shows_the_swept_parameters_and_marks_the_best():
    progress = SweepProgress(Console(file=io.StringIO(), width=200), 3, "ndcg_at_10", "min", 2, swept=("learning_rate",))
    for name, value in (("a", 0.5), ("b", 0.4)):
        trial = FakeTrial(name, {"learning_rate": 0.00031622776601683794})
        progress.on_trial_start(0, [], trial)
        progress.on_trial_result(0, [], trial, {"ndcg_at_10": value, "step": 1, "evaluation": 1})
    console = Console(record=True, width=200, file=io.StringIO())
    console.print(progress)
    text = console.export_text()
    assert "learning_rate" in text and "0.0003162" in text and "0.4000 *" in text and "0.5000 *" not in text
    assert "best ndcg_at_10 0.4000 (demo-b)" in text and "1/2" in text


def test_a_resumed_sweep_counts_each_trial_once():
    """A trial that finished before the driver died, and that Tune restores as unfinished and reports again, is one
    trial done, not two (a resumed sweep showed `3/2 done`)."""
    progress = SweepProgress(Console(file=io.StringIO(), width=200), 2, "ndcg_at_10", "max", 2)
    progress.carried_over = {"a"}  # FINISHED in MLflow before the resume
    again = FakeTrial("a", {})
    again.last_result = {"ndcg_at_10": 0.8, "final": True, "evaluation": 2}
    progress.on_trial_start(0, [], again)
    progress.on_trial_complete(0, [], again)
    assert progress.headline().startswith("1/2 done")
    other = FakeTrial("b", {})
    other.last_result = {"ndcg_at_10": 0.7, "final": True, "evaluation": 2}
    progress.on_trial_start(0, [], other)
    progress.on_trial_complete(0, [], other)
    assert progress.headline().startswith("2/2 done")


def test_a_trial_its_own_guard_ended_is_shown_failed_with_the_cause():
    out = io.StringIO()
    progress = SweepProgress(Console(file=out, width=200), 1, "ndcg_at_10", "max", 2)
    collapsed = FakeTrial("c", {})
    collapsed.last_result = {"ndcg_at_10": float("nan"), "final": True, "outcome": "collapsed"}
    progress.on_trial_start(0, [], collapsed)
    progress.on_trial_complete(0, [], collapsed)
    assert out.getvalue().splitlines()[-1].endswith("demo-c failed: collapsed") and progress.rows["c"]["status"] == "FAILED"


def test_a_trial_that_had_to_halve_its_batch_says_so_once():
    out = io.StringIO()
    progress = SweepProgress(Console(file=out, width=300), 1, "ndcg_at_10", "max", 2)
    trial = FakeTrial("a", {"per_device_train_batch_size": 64})
    progress.on_trial_start(0, [], trial)
    line = "out of GPU memory: per_device_train_batch_size 64 -> 32 with gradient_accumulation_steps 1 -> 2, the same effective batch"
    progress.on_trial_result(0, [], trial, {"ndcg_at_10": 0.5, "step": 3, "evaluation": 1, "batch_fit": line})
    progress.on_trial_result(0, [], trial, {"ndcg_at_10": 0.6, "step": 6, "evaluation": 2, "final": True, "batch_fit": line})
    said = [text for text in out.getvalue().splitlines() if "out of GPU memory" in text]
    assert len(said) == 1 and said[0].endswith(f"demo-a {line}")
