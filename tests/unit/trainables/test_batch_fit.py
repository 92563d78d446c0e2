import pytest

from search_spaces.parameters import AUTO_BATCH_START
from trainables.batch_fit import BatchFit, trial_batch_fit
from trainables.memory_retry import KILLED_FOR_MEMORY, after_a_memory_kill


def test_halving_a_numeric_batch_doubles_the_accumulation_and_keeps_the_effective_batch():
    fit = trial_batch_fit({"per_device_train_batch_size": 16, "gradient_accumulation_steps": 2}, "/nonexistent", 8)
    assert fit.overrides() == {"per_device_train_batch_size": 16, "gradient_accumulation_steps": 2} and fit.size == 16
    quarter = fit.halved().halved()
    assert quarter.overrides() == {"per_device_train_batch_size": 4, "gradient_accumulation_steps": 8}
    assert quarter.params() == {"batch_size_that_fit": 4, "accumulation_that_fit": 8} and quarter.halvings == 2
    assert quarter.line() == ("out of GPU memory: per_device_train_batch_size 16 -> 4 with gradient_accumulation_steps 2 -> 8, "
                              "the same effective batch")


def test_an_odd_batch_halves_to_the_nearest_effective_batch_and_says_which():
    fit = BatchFit.asked_for({"per_device_train_batch_size": 5}, 8).halved()
    assert (fit.batch, fit.accumulation) == (2, 2)
    assert fit.line().endswith("an effective batch of 4 (asked 5)")
    one = BatchFit.asked_for({"per_device_train_batch_size": 3}, 8).halved()
    assert (one.batch, one.accumulation, one.can_halve) == (1, 3, False)


def test_auto_starts_at_its_ceiling_and_keeps_the_first_batch_that_fits_without_accumulating():
    fit = trial_batch_fit({"per_device_train_batch_size": "auto"}, "/nonexistent", 8)
    assert fit.size == AUTO_BATCH_START and fit.asked == "auto"
    fitted = fit.halved().halved()
    assert fitted.overrides() == {"per_device_train_batch_size": AUTO_BATCH_START // 4, "gradient_accumulation_steps": 1}
    assert fitted.line() == f"per_device_train_batch_size auto: {AUTO_BATCH_START // 4} fits ({AUTO_BATCH_START} halved 2 times)"


def test_a_cached_loss_halves_its_mini_batch_from_its_own_default_and_keeps_the_batch():
    from sentence_transformers.sentence_transformer.losses import CachedMultipleNegativesRankingLoss
    import inspect

    default = inspect.signature(CachedMultipleNegativesRankingLoss).parameters["mini_batch_size"].default
    fit = trial_batch_fit({"loss": "CachedMultipleNegativesRankingLoss", "per_device_train_batch_size": 256}, "/nonexistent", 8)
    assert (fit.knob, fit.size, fit.batch) == ("mini_batch_size", default, 256)
    halved = fit.halved()
    assert halved.overrides() == {"mini_batch_size": default // 2} and halved.params() == {"mini_batch_size_that_fit": default // 2}
    assert "stay as asked" in halved.line() and halved.batch == 256
    asked = trial_batch_fit({"loss": "CachedGISTEmbedLoss", "mini_batch_size": 8}, "/nonexistent", 8)
    assert (asked.knob, asked.size) == ("mini_batch_size", 8)


def test_a_restored_trial_resumes_at_the_batch_its_checkpoint_was_trained_at(tmp_path):
    fitted = BatchFit.asked_for({"per_device_train_batch_size": 32}, 8).halved()
    fitted.save(str(tmp_path))
    assert trial_batch_fit({"per_device_train_batch_size": 32}, str(tmp_path), 8) == fitted
    assert BatchFit.saved_in(str(tmp_path / "elsewhere")) is None


@pytest.mark.parametrize("config, expected", [
    ({"per_device_train_batch_size": "auto"}, "the retry fits its batch again, from the start"),
    ({"per_device_train_batch_size": 16}, "retried at per_device_train_batch_size 8 (was 16)"),
])
def test_a_retry_after_a_kill_for_memory_leaves_an_auto_batch_to_fit_again(config, expected):
    retried, line = after_a_memory_kill(config, f"{KILLED_FOR_MEMORY}: ...")
    assert expected in line
    assert retried["per_device_train_batch_size"] == (config["per_device_train_batch_size"] if expected.startswith("the retry") else 8)
