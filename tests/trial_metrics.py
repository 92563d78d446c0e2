"""The MLflow metric keys a finished trial logs, from the vocabulary the driver and the trial share: what every
test that checks "the same keys as a one-worker trial" compares against, so none needs another test's sweep."""

from trainables.contract.metrics import (BEST_PREFIX, CI_HIGH_SUFFIX, CI_LOW_SUFFIX, PEAK_RSS_KEY, TEST_PREFIX, THROUGHPUT_KEY,
                                TIME_PHASES, curve_key, time_key)
from trainables.contract.tasks import TASKS


def finished_trial_metric_keys(task: str = "retrieval") -> set[str]:
    """A trial that trained to its end on CPU: each metric's curve, kept (best_) and test figures with the test interval,
    the train-loss curve, where its time went, its peak memory and its throughput."""
    keys = {curve_key("train_loss"), PEAK_RSS_KEY, THROUGHPUT_KEY, *(time_key(phase) for phase in TIME_PHASES)}
    for metric in TASKS[task].metrics:
        keys |= {curve_key(metric), BEST_PREFIX + metric, TEST_PREFIX + metric,
                 TEST_PREFIX + metric + CI_LOW_SUFFIX, TEST_PREFIX + metric + CI_HIGH_SUFFIX}
    return keys
