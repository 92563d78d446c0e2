"""A single file judged whole: `sweeps evaluate MODEL stsb-de-test.csv` evaluates every pair of a file that is itself
a test set (it used to carve 138 of 1,379 pairs out of it, without a word)."""

from __future__ import annotations

import random
from pathlib import Path

from sweeps.data.prepare import fingerprint, retrieval_evaluation_set
from sweeps.data.readers import read_source
from sweeps.data.scored_pairs import pair_columns, read_scored_pairs
from trainables.contract.evaluation_sets import EvaluationSet, ScoredPairSet
from sweeps.sweep_file.schema import DataConfig


def whole_file_evaluation(data_config: DataConfig, task: str, source: str, base_dir: Path) -> tuple[EvaluationSet, str, str]:
    """(the evaluation set of every row, the origin, its fingerprint), for a retrieval or sts file."""
    if task == "sts":
        origin, splits = read_scored_pairs(data_config, source, base_dir)
        rows = [pair for pairs in splits.values() for pair in pairs]
        evaluation = ScoredPairSet(**pair_columns(rows))
        return evaluation, origin, fingerprint({"test": evaluation})
    data = read_source(data_config.source, base_dir, data_config.columns, source, require_train=False)
    evaluation = retrieval_evaluation_set(data, "train", data_config, random.Random(0), source)  # a single table's rows are all "train"
    return evaluation, data.origin, fingerprint({"test": evaluation})
