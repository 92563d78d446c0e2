"""Guard sets as they come: a BEIR folder with test qrels alone (general benchmarks), a retrieval table, or STS pairs.
Read once on the driver; problems are named by the sweep file's `guard[i]` keys."""

from __future__ import annotations

from pathlib import Path

from sweeps.data.prepare import prepare_evaluation
from sweeps.data.scored_pairs import pair_columns, read_scored_pairs
from sweeps.data.table_splits import cap_rows
from sweeps.errors import SweepInputError, problem
from trainables.contract.evaluation_sets import EvaluationSet, ScoredPairSet
from trainables.contract.trial_data import GuardSet

# The readers name `data.*` keys; a guard names its own.
GUARD_KEYS = {"data.source": "source", "data.eval_corpus_size": "corpus_size", "data.max_eval_queries": "max_queries",
              "data.score_range": "score_range", "data.columns": "columns"}


def guard_sets(guards: list, seed: int, sweep_file: str, base_dir: Path) -> tuple[tuple[GuardSet, ...], list[str]]:
    """(the guard sets, a problem per guard that can't be read)."""
    sets, problems = [], []
    for index, guard in enumerate(guards):
        try:
            evaluation_set = _read(guard, seed, sweep_file, base_dir)
        except SweepInputError as error:
            problems += [_renamed(line, index) for line in error.problems]
            continue
        sets.append(GuardSet(guard.name, evaluation_set, guard.metric_key, guard.max_drop, guard.every_evaluation))
    return tuple(sets), problems


def _read(guard, seed: int, sweep_file: str, base_dir: Path) -> EvaluationSet:
    if guard.task_name == "sts":
        origin, splits = read_scored_pairs(guard.data_config(), sweep_file, base_dir)
        # A single file is all evaluation: a guard set is never trained on.
        pairs = splits.get(guard.split) or (splits["train"] if set(splits) == {"train"} else None)
        if not pairs:
            raise SweepInputError([problem(sweep_file, "data.source", f"must hold the {guard.split} split, or be one file of scored pairs",
                                           f"{origin} with splits {sorted(splits)}")])
        pairs = cap_rows(pairs, guard.max_queries, seed)
        return ScoredPairSet(**pair_columns(pairs))
    evaluation_set, _, _ = prepare_evaluation(guard.data_config(), guard.split, seed, sweep_file, base_dir)
    return evaluation_set


def _renamed(line: str, index: int) -> str:
    for theirs, ours in GUARD_KEYS.items():
        line = line.replace(f"`{theirs}", f"`guard[{index}].{ours}")
    return line

