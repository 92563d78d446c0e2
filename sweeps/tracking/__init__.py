"""The sweep in MLflow: the store, the parent run, and the untrained baselines."""
