"""A trial retried after a kill for memory runs with half the batch and twice the gradient accumulation: the same
effective batch, about half the activations. The retry records what it ran with, or why it could not halve."""

from __future__ import annotations

# The words the driver records when a trial's process was killed for memory (sweeps.running.trial_deaths), which the
# retry reads back from its run's previous error.
KILLED_FOR_MEMORY = "its worker was killed for memory"
DEFAULT_BATCH = 8  # HF TrainingArguments' per_device_train_batch_size, as trainables.training_arguments defaults it


def after_a_memory_kill(config: dict, previous_error: str | None) -> tuple[dict, str | None]:
    """(the trial's config for this attempt, the line saying what changed and why), or (config, None) when the last
    attempt was not killed for memory."""
    if not previous_error or KILLED_FOR_MEMORY not in previous_error:
        return config, None
    batch = int(config.get("per_device_train_batch_size", DEFAULT_BATCH))
    accumulation = int(config.get("gradient_accumulation_steps", 1))
    if batch < 2:
        return config, f"killed for memory at batch {batch}: it can't be halved, so the retry runs as before"
    halved = {**config, "per_device_train_batch_size": batch // 2, "gradient_accumulation_steps": accumulation * 2}
    return halved, (f"killed for memory: retried at per_device_train_batch_size {batch // 2} (was {batch}) with "
                    f"gradient_accumulation_steps {accumulation * 2} (was {accumulation}), the same effective batch")
