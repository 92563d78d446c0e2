"""A trial retried after a kill for memory runs with half the batch and twice the gradient accumulation: the same
effective batch, about half the activations. The retry records what it ran with, or why it could not halve."""

from __future__ import annotations

from search_spaces.parameters import AUTO_BATCH, BATCH_SIZE
from trainables.training_arguments import DEFAULT_BATCH

# The words the driver records when a trial's process was killed for memory (sweeps.running.trial_deaths), which the
# retry reads back from its run's previous error.
KILLED_FOR_MEMORY = "its worker was killed for memory"


def after_a_memory_kill(config: dict, previous_error: str | None) -> tuple[dict, str | None]:
    """(the trial's config for this attempt, the line saying what changed and why), or (config, None) when the last
    attempt was not killed for memory."""
    if not previous_error or KILLED_FOR_MEMORY not in previous_error:
        return config, None
    if config.get(BATCH_SIZE) == AUTO_BATCH:
        return config, "killed for memory at per_device_train_batch_size auto: the retry fits its batch again, from the start"
    batch = int(config.get(BATCH_SIZE, DEFAULT_BATCH))
    accumulation = int(config.get("gradient_accumulation_steps", 1))
    if batch < 2:
        return config, f"killed for memory at batch {batch}: it can't be halved, so the retry runs as before"
    halved = {**config, "per_device_train_batch_size": batch // 2, "gradient_accumulation_steps": accumulation * 2}
    return halved, (f"killed for memory: retried at per_device_train_batch_size {batch // 2} (was {batch}) with "
                    f"gradient_accumulation_steps {accumulation * 2} (was {accumulation}), the same effective batch")
