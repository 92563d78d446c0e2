"""The trial's helpers on their own: where a resumed trial starts, which callbacks it may add, how evaluations
are numbered, and the snapshot of TrainingArguments the sweep file is checked against."""

import pytest

from trainables.callbacks.custom_callbacks import NotACallback, callback_class
from trainables.callbacks.evaluation_reporter import evaluation_number
from trainables.contract.context import WorkerShape
from trainables.resume_state import resume_checkpoint


def checkpoint(folder, step, complete=True):
    path = folder / f"checkpoint-{step}"
    path.mkdir(parents=True)
    if complete:
        (path / "trainer_state.json").write_text("{}")
    return path


def test_a_trial_resumes_from_its_newest_complete_checkpoint(tmp_path):
    assert resume_checkpoint(str(tmp_path / "never-started")) is None
    checkpoint(tmp_path, 3)
    newest = checkpoint(tmp_path, 12)
    assert resume_checkpoint(str(tmp_path)) == str(newest)


def test_a_save_cut_short_by_a_kill_is_skipped_and_removed(tmp_path):
    kept = checkpoint(tmp_path, 6)
    cut_short = checkpoint(tmp_path, 9, complete=False)  # HF writes trainer_state.json last
    assert resume_checkpoint(str(tmp_path)) == str(kept)
    assert not cut_short.exists()


@pytest.mark.parametrize("name, reason", [
    ("NoDots", "must be a dotted name package.module.Class"),
    ("no_such_module.Callback", "must be importable on the Python path of the driver and every worker"),
    ("transformers.TrainingArguments", "must name a transformers.TrainerCallback subclass in transformers"),
    ("transformers.NoSuchThing", "must name a transformers.TrainerCallback subclass in transformers"),
])
def test_a_callback_name_that_cannot_be_used_says_why(name, reason):
    with pytest.raises(NotACallback, match=reason):
        callback_class(name)


def test_a_transformers_callback_is_accepted():
    from transformers import EarlyStoppingCallback

    assert callback_class("transformers.EarlyStoppingCallback") is EarlyStoppingCallback


def test_evaluations_are_numbered_from_the_step_so_a_resumed_trial_keeps_its_numbering():
    assert [evaluation_number(step, 3) for step in (3, 6, 7)] == [1, 2, 3]


def test_a_worker_runs_as_many_torch_threads_as_it_holds_cpus():
    assert WorkerShape(1, 2.0, 0.0, "auto").threads == 2
    assert WorkerShape(2, 0.5, 0.5, "auto").threads == 1 and WorkerShape(2, 0.5, 0.5, "auto").distributed


def test_the_training_arguments_snapshot_matches_the_installed_library():
    """The sweep file is checked against a snapshot, so --dry-run need not import transformers. On a mismatch,
    regenerate it: python scripts/snapshot_training_arguments.py"""
    from search_spaces.parameters import installed_training_argument_types, plain_type_names
    from search_spaces.training_argument_fields import TRAINING_ARGUMENT_TYPES

    installed = {name: plain_type_names(declared) for name, declared in installed_training_argument_types().items()}
    stale = {name: (types, installed.get(name, "missing")) for name, types in TRAINING_ARGUMENT_TYPES.items() if installed.get(name, "missing") != types}
    assert stale == {}
    assert {"learning_rate", "per_device_train_batch_size", "warmup_ratio"} <= set(TRAINING_ARGUMENT_TYPES)
    from search_spaces.parameters import accepts_none
    from search_spaces.training_argument_fields import NULLABLE

    assert NULLABLE == {name for name, declared in installed_training_argument_types().items() if accepts_none(declared)}
    assert "tf32" in NULLABLE  # HF's Optional[bool]: `tf32: null` is a value
    # Where the versions are the snapshot's, names are checked against it alone (no import): it must list every field.
    from search_spaces.parameters import _snapshot_is_current

    if _snapshot_is_current():
        assert set(installed) == set(TRAINING_ARGUMENT_TYPES)


def test_a_field_newer_than_the_snapshot_is_still_settable(monkeypatch):
    import search_spaces.parameters as parameters

    monkeypatch.setattr(parameters, "TRAINING_ARGUMENT_TYPES", {})
    monkeypatch.setattr(parameters, "_snapshot_is_current", lambda: False)  # a newer library than the snapshot's
    assert parameters.is_settable("learning_rate") and parameters.expected_type("learning_rate") == (float, int)
    assert not parameters.is_settable("learning_rat") and not parameters.is_settable("output_dir")


def test_no_resume_checkpoint_is_written_at_the_last_step():
    from types import SimpleNamespace

    from trainables.callbacks.final_save_skip import FinalSaveSkip

    skip = FinalSaveSkip()
    midway, last = SimpleNamespace(should_save=True), SimpleNamespace(should_save=True)
    skip.on_step_end(None, SimpleNamespace(global_step=3, max_steps=6), midway)
    skip.on_step_end(None, SimpleNamespace(global_step=6, max_steps=6), last)
    assert midway.should_save and not last.should_save
