"""The learning check on a bare torch module: what it reads, when it judges, and how it words the cause."""

import torch
from transformers import TrainerControl, TrainerState

from trainables.callbacks.learning_check import ELEMENTS_PER_TENSOR, STEPS, LearningCheck, weight_sample


def steps(check: LearningCheck, model, start: int, count: int, update=None) -> TrainerControl:
    state, control = TrainerState(global_step=start), TrainerControl()
    check.on_train_begin(None, state, control, model=model)
    for _ in range(count):
        if update:
            update(model)
        state.global_step += 1
        check.on_step_end(None, state, control, model=model)
    return control


def test_frozen_weights_trip_it_after_its_steps_and_its_gradient_norm_names_the_cause():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.Linear(32, 4))
    check = LearningCheck()
    control = steps(check, model, start=0, count=STEPS - 1)
    assert not check.tripped and not control.should_training_stop  # not judged before its steps
    check = LearningCheck()
    check.on_log(None, TrainerState(), TrainerControl(), logs={"loss": 1.25, "grad_norm": 0.0})
    control = steps(check, model, start=0, count=STEPS + 2)
    assert check.tripped and check.step == STEPS and control.should_training_stop and not control.should_save
    assert check.reason({"learning_rate": 2e-5}).endswith(
        "last logged gradient norm 0, loss 1.25): its gradients were 0, so a score from it would be the base model's")


def test_a_single_moved_bias_is_learning_and_a_resumed_trial_counts_from_where_it_resumed():
    model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.Linear(32, 4))
    torch.nn.init.zeros_(model[1].bias)

    def move_one_bias(module):
        with torch.no_grad():
            module[1].bias[0] += 1e-9  # about what Adam moves a weight at lr 1e-9: a bias at 0 shows it

    check = LearningCheck()
    steps(check, model, start=120, count=STEPS + 1, update=move_one_bias)
    assert not check.tripped
    frozen = LearningCheck()
    steps(frozen, model, start=120, count=STEPS)
    assert frozen.tripped and frozen.step == 120 + STEPS


def test_the_sample_is_small_and_skips_what_does_not_train():
    model = torch.nn.Sequential(torch.nn.Embedding(30522, 384), torch.nn.Linear(384, 384))
    model[0].weight.requires_grad_(False)
    sample = weight_sample(model)
    assert [len(values) for values in sample] == [ELEMENTS_PER_TENSOR, ELEMENTS_PER_TENSOR]  # the linear's weight and bias
