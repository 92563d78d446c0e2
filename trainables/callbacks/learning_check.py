"""Stop a trial that trains nothing: no weight moved over its first optimizer steps. Multi-GPU Optuna searches have
had every trial after the first train with a gradient norm of 0 (sentence-transformers#3240); such a trial's
scores are the base model's, and a sweep would rank them as if a learning rate had been tried and found wanting."""

from __future__ import annotations

from transformers import TrainerCallback

# Optimizer steps before judging. HF's warmup gives the first step a learning rate of 0, so one step proves nothing;
# a trial shorter than this is not judged.
STEPS = 3
# Elements read from each trainable tensor: Adam moves every element whose gradient is not exactly 0 by about the
# learning rate, so a handful per tensor (biases start at 0 and move at any rate) shows whether anything trained.
ELEMENTS_PER_TENSOR = 16


def weight_sample(model) -> list:
    """A fixed, evenly spaced sample of each trainable tensor's elements (copies, on the tensor's device)."""
    import torch

    sample = []
    for parameter in model.parameters():
        if not parameter.requires_grad or parameter.numel() == 0:
            continue
        flat = parameter.detach().reshape(-1)
        positions = torch.linspace(0, flat.numel() - 1, min(ELEMENTS_PER_TENSOR, flat.numel()), device=flat.device).long()
        sample.append(flat[positions].clone())
    return sample


class LearningCheck(TrainerCallback):
    """Reads the sample when training starts (or resumes) and again `STEPS` optimizer steps later."""

    def __init__(self, steps: int = STEPS):
        self.steps = steps
        self.before: list | None = None
        self.started_at = 0
        self.step: int | None = None
        self.grad_norm: float | None = None
        self.last_loss: float | None = None

    @property
    def tripped(self) -> bool:
        return self.step is not None

    def on_train_begin(self, args, state, control, model=None, **kwargs):
        self.before, self.started_at = (weight_sample(model) if model is not None else None), state.global_step

    def on_log(self, args, state, control, logs=None, **kwargs):
        logs = logs or {}
        if "grad_norm" in logs:
            self.grad_norm = float(logs["grad_norm"])
        if "loss" in logs:
            self.last_loss = float(logs["loss"])

    def on_step_end(self, args, state, control, model=None, **kwargs):
        if self.before is None or model is None or state.global_step - self.started_at != self.steps:
            return
        import torch

        after, before = weight_sample(model), self.before
        self.before = None  # judged once: reading the sample again costs nothing, but there is nothing more to learn
        if len(after) == len(before) and all(torch.equal(old, new) for old, new in zip(before, after)):
            self.step = state.global_step
            control.should_training_stop = True
            control.should_evaluate = control.should_save = False

    def reason(self, hyperparameters: dict) -> str:
        rate = hyperparameters.get("learning_rate")
        measured = ", ".join(f"{name} {value:.4g}" for name, value in (("gradient norm", self.grad_norm), ("loss", self.last_loss))
                             if value is not None)
        if self.grad_norm == 0:
            cause = "its gradients were 0"
        elif rate is not None and float(rate) == 0:
            cause = "its learning rate is 0"
        else:
            cause = "its weights are frozen or its gradients never reach the optimizer"
        return (f"did not learn: no weight changed over its first {self.steps} optimizer steps (to step {self.step}; "
                f"learning_rate={rate}{'; last logged ' + measured if measured else ''}): {cause}, so a score from it "
                "would be the base model's")
