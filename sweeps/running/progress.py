"""A live view of the sweep: a table on a terminal, redrawn every second (so its clock ticks), one line per event
elsewhere (CI, logs). Both carry the swept hyperparameters, the best score so far and an estimate of the time left."""

from __future__ import annotations

import time

from ray.tune import Callback
from rich.console import Console
from rich.live import Live
from rich.table import Table

from sweeps.reports.leaderboard import shown_parameter
from sweeps.running.live_callbacks import LiveCallback
from trainables.contract.goal import Goal
from trainables.contract.metrics import TEST_PREFIX
from trainables.contract.report_keys import BATCH_FIT, EVALUATION, FINAL, OUTCOME, STEP

ENDED = ("FINISHED", "FAILED", "STOPPED")


class SweepProgress(LiveCallback, Callback):
    live_name = "progress"

    def __init__(self, console: Console, total_trials: int, metric_key: str, mode: str = "max", evaluations_per_trial: int = 1,
                 swept: tuple[str, ...] = ()):
        self.total = total_trials
        self.metric = metric_key
        self.mode = mode
        self.evaluations = evaluations_per_trial
        self.swept = tuple(swept)
        self.rows: dict[str, dict] = {}
        # Trial ids an interrupted sweep had ended before --resume: Tune sends no events for them, or (a trial it restored
        # as unfinished, reported again) one more; each trial counts once either way.
        self.carried_over: set[str] = set()
        self.best: tuple[float, str] | None = None
        self.batch_fits_said: set[str] = set()
        self.started = time.monotonic()
        self.console = console
        self.live = Live(self, console=console, refresh_per_second=1) if console.is_terminal else None

    def __rich__(self) -> Table:
        return self._table()

    def _row(self, trial) -> dict:
        return self.rows.setdefault(trial.trial_id, {"name": trial.trial_id, "status": "PENDING", STEP: "", "evaluations_done": 0,
                                                     "value": None, "config": {}})

    def _update(self, trial, message: str | None = None, **fields) -> None:
        row = self._row(trial)
        row.update(fields, name=str(trial), config=trial.config)
        if self.live is not None:
            if not self.live.is_started:
                self.live.start()
            self.live.refresh()
        elif message:
            self.console.print(message, highlight=False, soft_wrap=True)

    def _table(self) -> Table:
        table = Table(title=f"sweep: {self.headline()}", title_justify="left")
        for column in ("trial", "status", *self.swept, "evaluations", self.metric):
            table.add_column(column)
        best_trial = self.best[1] if self.best else None
        for trial_id, row in self.rows.items():
            value = "" if row["value"] is None else f"{row['value']:.4f}" + (" *" if trial_id == best_trial else "")
            shown = [shown_parameter(str(row["config"].get(name, ""))) for name in self.swept]
            table.add_row(row["name"], row["status"], *shown, f"{row['evaluations_done']}/{self.evaluations}", value)
        return table

    def headline(self) -> str:
        """`2/6 done, 1m 12s, ETA 3m 05s, best ndcg_at_10 0.8521 (trial)`: the clock and the estimate as of now."""
        elapsed = time.monotonic() - self.started
        parts = [f"{self._done()}/{self.total} done", _duration(elapsed)]
        progress = self._progress()
        if 0 < progress < 1:
            parts.append(f"ETA {_duration(elapsed * (1 - progress) / progress)}")
        if self.best is not None:
            parts.append(f"best {self.metric} {self.best[0]:.4f} ({self.rows[self.best[1]]['name']})")
        return ", ".join(parts)

    def start(self) -> None:
        """On a terminal the table (and its clock) shows from now on, before Tune's first event: a resume can take a while."""
        if self.live is not None and not self.live.is_started:
            self.live.start()

    def _done(self) -> int:
        return len(self.carried_over | {trial_id for trial_id, row in self.rows.items() if row["status"] in ENDED})

    def _progress(self) -> float:
        """The share of the planned evaluations behind us: an ended trial counts whole, a running one by its evaluations."""
        behind = sum(1.0 if row["status"] in ENDED else min(row["evaluations_done"], self.evaluations) / self.evaluations
                     for trial_id, row in self.rows.items() if trial_id not in self.carried_over)
        return (len(self.carried_over) + behind) / self.total if self.total else 1.0

    def on_trial_start(self, iteration, trials, trial, **info):
        shown = {name: value for name, value in trial.config.items() if name in self.swept} if self.swept else trial.config
        self._update(trial, f"[{self.headline()}] {trial} started  {_short(shown)}", status="RUNNING")

    def on_trial_result(self, iteration, trials, trial, result, **info):
        if result.get(BATCH_FIT) and trial.trial_id not in self.batch_fits_said:
            # Said once, above the live table too: the trial trains at another batch than its config's.
            self.batch_fits_said.add(trial.trial_id)
            self.console.print(f"[{self.headline()}] {trial} {result[BATCH_FIT]}", highlight=False, soft_wrap=True)
        value = result.get(self.metric)
        if isinstance(value, int | float) and value == value:
            if self.best is None or Goal(self.mode).better(value, self.best[0]):
                self.best = (float(value), trial.trial_id)
        row = self._row(trial)
        row.update(step=result.get(STEP, ""), value=value, evaluations_done=result.get(EVALUATION, row["evaluations_done"]))
        if result.get(FINAL):
            test = result.get(TEST_PREFIX + self.metric)
            message = f"[{self.headline()}] {trial} final: {self.metric}={value:.4f}, {TEST_PREFIX}{self.metric}={test:.4f}" if test is not None else None
        else:
            message = f"[{self.headline()}] {trial} step {result.get(STEP)}: {self.metric}={value:.4f}" if value is not None else None
        self._update(trial, message)

    def on_trial_complete(self, iteration, trials, trial, **info):
        last = trial.last_result or {}
        if last.get(FINAL) and last.get(OUTCOME):  # ended by its own guard: a NaN loss, a collapsed model
            self._row(trial)["status"] = "FAILED"
            self._update(trial, f"[{self.headline()}] {trial} failed: {last[OUTCOME]}")
        elif last.get(FINAL):
            self._row(trial)["status"] = "FINISHED"
            self._update(trial, f"[{self.headline()}] {trial} finished")
        else:
            self._row(trial)["status"] = "STOPPED"
            self._update(trial, f"[{self.headline()}] {trial} stopped early after evaluation {last.get(EVALUATION, '?')}")

    def on_trial_error(self, iteration, trials, trial, **info):
        self._row(trial)["status"] = "FAILED"
        self._update(trial, f"[{self.headline()}] {trial} FAILED (see its MLflow run's error.txt)")

    def on_experiment_end(self, trials, **info):
        self.stop()

    def stop(self) -> None:
        """The last redraw, then the screen is the console's again: what is printed after stays below the table."""
        if self.live is not None and self.live.is_started:
            self.live.refresh()
            self.live.stop()


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m {seconds % 60:02d}s"
    return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"


def _short(config: dict) -> str:
    return ", ".join(f"{k}={shown_parameter(str(v))}" for k, v in config.items())
