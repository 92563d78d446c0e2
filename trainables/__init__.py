"""One trial: training, in-trial evaluation, checkpoints, its MLflow child run; and what the driver shares with it."""

from trainables.contract.context import SweepTracking, TrialContext, WorkerShape
from trainables.contract.trial_data import TrialData
from trainables.sentence_transformer_trial import run_trial, train_sentence_transformer

__all__ = ["SweepTracking", "TrialContext", "TrialData", "WorkerShape", "run_trial", "train_sentence_transformer"]
