"""A live view of the sweep: a table on a terminal, one line per event elsewhere (CI, logs)."""

from __future__ import annotations

import time

from ray.tune import Callback
from rich.console import Console
from rich.live import Live
from rich.table import Table

from search_spaces.report_keys import EVALUATION, FINAL, STEP
from sweeps.running.live_callbacks import LiveCallback
from trainables.metrics import TEST_PREFIX


class SweepProgress(LiveCallback, Callback):
    live_name = "progress"

    def __init__(self, console: Console, total_trials: int, metric_key: str):
        self.total = total_trials
        self.metric = metric_key
        self.rows: dict[str, dict] = {}
        self.started = time.monotonic()
        self.console = console
        self.live = Live(console=console, refresh_per_second=2) if console.is_terminal else None

    def _row(self, trial) -> dict:
        return self.rows.setdefault(trial.trial_id, {"name": trial.trial_id, "status": "PENDING", "step": "", "value": None, "config": {}})

    def _update(self, trial, message: str | None = None, **fields) -> None:
        row = self._row(trial)
        row.update(fields, name=str(trial), config=trial.config)
        if self.live is not None:
            if not self.live.is_started:
                self.live.start()
            self.live.update(self._table())
        elif message:
            self.console.print(message, highlight=False, soft_wrap=True)

    def _table(self) -> Table:
        table = Table(title=f"sweep: {self._count()}", title_justify="left")
        for column in ("trial", "status", "step", self.metric):
            table.add_column(column)
        for row in self.rows.values():
            value = "" if row["value"] is None else f"{row['value']:.4f}"
            table.add_row(row["name"], row["status"], str(row["step"]), value)
        return table

    def on_trial_start(self, iteration, trials, trial, **info):
        self._update(trial, f"[{self._count()}] {trial} started  {_short(trial.config)}", status="RUNNING")

    def on_trial_result(self, iteration, trials, trial, result, **info):
        value = result.get(self.metric)
        if result.get(FINAL):
            test = result.get(TEST_PREFIX + self.metric)
            message = f"[{self._count()}] {trial} final: {self.metric}={value:.4f}, {TEST_PREFIX}{self.metric}={test:.4f}" if test is not None else None
        else:
            message = f"[{self._count()}] {trial} step {result.get(STEP)}: {self.metric}={value:.4f}" if value is not None else None
        self._update(trial, message, step=result.get(STEP, ""), value=value)

    def on_trial_complete(self, iteration, trials, trial, **info):
        last = trial.last_result or {}
        if last.get(FINAL):
            self._update(trial, f"[{self._count(1)}] {trial} finished", status="FINISHED")
        else:
            self._update(trial, f"[{self._count(1)}] {trial} stopped early after evaluation {last.get(EVALUATION, '?')}", status="STOPPED")

    def on_trial_error(self, iteration, trials, trial, **info):
        self._update(trial, f"[{self._count(1)}] {trial} FAILED (see its MLflow run's error.txt)", status="FAILED")

    def on_experiment_end(self, trials, **info):
        if self.live is not None and self.live.is_started:
            self.live.update(self._table())
            self.live.stop()

    def _count(self, finishing: int = 0) -> str:
        done = sum(row["status"] in ("FINISHED", "FAILED", "STOPPED") for row in self.rows.values()) + finishing
        return f"{done}/{self.total} done, {time.monotonic() - self.started:,.0f}s"


def _short(config: dict) -> str:
    return ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in config.items())
