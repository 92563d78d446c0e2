"""The keys of what a trial reports to Ray Tune, read by the searchers and schedulers here and by the driver's callbacks.

Besides these, a report carries the metrics themselves (trainables/contract/metrics.py names them).
"""

from __future__ import annotations

STEP = "step"  # the optimizer step the report was made at
EVALUATION = "evaluation"  # 1, 2, … evaluations_per_trial: the schedulers' time axis
FINAL = "final"  # True on the one report a trial ends with; it carries the test metrics
OUTCOME = "outcome"  # set when a trial ended without a usable result (a NaN loss)
# Where Ray Train stored a distributed trial's latest checkpoint: Train's TuneReportCallback adds it to the
# metrics (ray.tune.integration.ray_train.CHECKPOINT_PATH_KEY), since Tune never sees that checkpoint itself.
TRAIN_CHECKPOINT_PATH = "checkpoint_path"
GUARD_EXCEEDED = "guard_exceeded"  # True when the trial dropped more than a guard's max_drop: its model is kept last
BEST_STEP = "best_step"  # the step of the kept checkpoint
PLACEMENT_GROUP = "placement_group"  # a distributed trial's Ray Train placement group (hex id), so the driver can end it
BATCH_FIT = "batch_fit"  # the line saying which batch fit, when a trial had to halve its batch (or asked for `auto`)
EVAL_ERROR = "eval_error"  # the bootstrap standard error of the kept checkpoint's eval metric over its eval items
