"""The table printed at the end of a sweep: every child run, best first."""

from __future__ import annotations

import math

from rich.console import Console
from rich.table import Table

from trainables import mlflow_names as names
from trainables.metrics import TEST_PREFIX, ranking_key

METRIC_COLUMNS = ("triplet_accuracy", "test_ndcg_at_10")


def leaderboard_rows(children: list, metric_key: str, mode: str) -> list[dict]:
    """Ranked by the kept checkpoint's eval metric; a stopped trial (no kept checkpoint) by its last one."""
    rows = []
    for run in children:
        metrics = run.data.metrics
        rows.append({
            "run": run.info.run_name,
            "run_id": run.info.run_id,
            "role": run.data.tags.get(names.ROLE, names.TRIAL_ROLE),
            "status": "STOPPED" if run.data.tags.get(names.OUTCOME) == names.STOPPED_EARLY else run.info.status,
            "params": dict(run.data.params),
            metric_key: metrics.get(ranking_key(metric_key), metrics.get(metric_key)),
            **{key: metrics.get(ranking_key(key), metrics.get(key)) if not key.startswith(TEST_PREFIX) else metrics.get(key)
               for key in METRIC_COLUMNS if key != metric_key},
        })
    missing = -math.inf if mode == "max" else math.inf
    rows.sort(key=lambda row: row[metric_key] if row[metric_key] is not None else missing, reverse=mode == "max")
    return rows


def print_leaderboard(console: Console, rows: list[dict], metric_key: str) -> None:
    varying = sorted({name for row in rows for name in row["params"] if len({r["params"].get(name) for r in rows if r["role"] == names.TRIAL_ROLE}) > 1})
    table = Table(title="leaderboard (eval split, each trial's kept checkpoint; test shown for reference, never used to pick)", title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("run")
    table.add_column("status")
    for name in varying:
        table.add_column(name)
    metric_columns = list(dict.fromkeys((metric_key, *METRIC_COLUMNS)))
    for column in metric_columns:
        table.add_column(column, justify="right")
    for rank, row in enumerate(rows, start=1):
        label = f"{row['run']} (untrained)" if row["role"] == names.BASELINE_ROLE else row["run"]
        params = [_short(row["params"].get(name, "")) if row["role"] == names.TRIAL_ROLE else "" for name in varying]
        values = ["" if row[column] is None else f"{row[column]:.4f}" for column in metric_columns]
        table.add_row(str(rank), label, row["status"], *params, *values)
    console.print(table)


def _short(value: str) -> str:
    return value if len(value) <= 40 else "…" + value[-39:]
