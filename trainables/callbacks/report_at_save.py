"""Tune hears an evaluation once HF Trainer has saved that step's resume state, so the checkpoint sent with
the report holds the state the evaluation was made at. HF saves right after it evaluates (save_steps is
eval_steps), so the report waits only for the save."""

from __future__ import annotations

from transformers import TrainerCallback


class ReportAtSave(TrainerCallback):
    def __init__(self, send):
        """`send(report)` reports to Tune with the trial's checkpoint."""
        self._send = send
        self._pending: dict | None = None

    def hold(self, report: dict) -> None:
        self._pending = report

    def on_save(self, args, state, control, **kwargs):
        if self._pending is not None:
            report, self._pending = self._pending, None
            self._send(report)
