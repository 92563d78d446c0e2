"""What the driver and a trial share, defined once: metric keys, MLflow tags and params, the keys of a trial's
report to Tune, the task table, the trial's context and data, and which way a metric is better."""
