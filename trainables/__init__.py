"""One trial: training, in-trial evaluation, checkpoints, its MLflow child run; and what the driver shares with it."""

from trainables.context import SweepTracking, TrialContext, WorkerShape
from trainables.sentence_transformer_trial import run_trial, train_sentence_transformer
from trainables.trial_data import TrialData

__all__ = ["SweepTracking", "TrialContext", "TrialData", "WorkerShape", "run_trial", "train_sentence_transformer"]
