"""STS data: (sentence1, sentence2, score) rows, scores mapped onto 0-1 from the file's `data.score_range`."""

from __future__ import annotations

import math
from pathlib import Path

from sweeps.data.readers import read_role_tables
from sweeps.data.table_splits import cap_rows, carve_rows, split_cap
from sweeps.errors import SweepInputError, problem
from sweeps.sweep_file.schema import DataConfig
from trainables.contract.evaluation_sets import ScoredPairSet

ROLES = ("sentence1", "sentence2", "score")


def read_scored_pairs(data_config: DataConfig, sweep_file: str, base_dir: Path) -> tuple[str, dict[str, list[tuple[str, str, float]]]]:
    """(origin, split -> (sentence1, sentence2, score in 0-1)); a single table's rows are all 'train'."""
    origin, tables, columns, problems = read_role_tables(data_config, ROLES, sweep_file, base_dir)
    splits = {}
    for split, (rows, where) in tables.items():
        splits[split or "train"], row_problems = _pairs(rows, columns, sweep_file, where)
        problems += row_problems
    if problems:
        raise SweepInputError(problems)
    _to_unit_range(splits, data_config.score_range, sweep_file, origin)
    return origin, splits


def _pairs(rows: list[dict], columns: dict[str, str], sweep_file: str, where: str) -> tuple[list, list[str]]:
    pairs, problems = [], []
    for row_number, row in enumerate(rows, start=1):
        first, second, score = (row.get(columns[role]) for role in ROLES)
        for role, text in (("sentence1", first), ("sentence2", second)):
            if not isinstance(text, str) or not text.strip():
                problems.append(problem(sweep_file, f"data.columns.{role}", f"must be non-empty text on every row of {where}",
                                        f"{text!r} on row {row_number}"))
        number = _number(score)
        if number is None:
            problems.append(problem(sweep_file, "data.columns.score", f"must be a number on every row of {where}", f"{score!r} on row {row_number}"))
        if problems:
            return pairs, problems  # the first bad row says what is wrong with the file
        pairs.append((first, second, number))
    return pairs, problems


def _number(value) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _to_unit_range(splits: dict[str, list], score_range: tuple[float, float] | None, sweep_file: str, origin: str) -> None:
    scores = [score for pairs in splits.values() for _, _, score in pairs]
    low, high = min(scores), max(scores)
    if score_range is None:
        if low < 0 or high > 1:
            raise SweepInputError([problem(
                sweep_file, "data.score_range",
                "must give the scale of the scores when they fall outside 0-1 (e.g. [0, 5] for STS-B): the losses and the "
                "evaluator read scores in 0-1", f"none, with scores from {low:g} to {high:g} in {origin}")])
        return
    start, end = score_range
    if low < start or high > end:
        raise SweepInputError([problem(sweep_file, "data.score_range", "must hold every score of the data",
                                       f"[{start:g}, {end:g}] with scores from {low:g} to {high:g} in {origin}")])
    for split, pairs in splits.items():
        splits[split] = [(first, second, (score - start) / (end - start)) for first, second, score in pairs]


def scored_pair_sets(data_config: DataConfig, seed: int, sweep_file: str, base_dir: Path) -> tuple[str, dict, int]:
    """(origin, {train: columns, eval: set, test: set}, training pairs before max_train_rows)."""
    origin, splits = read_scored_pairs(data_config, sweep_file, base_dir)
    carve_rows(splits, data_config.eval_fraction, data_config.test_fraction, seed)
    for split in ("train", "eval", "test"):
        if len(splits[split]) < 3:
            raise SweepInputError([problem(sweep_file, "data.source", f"must give the {split} split at least 3 scored pairs "
                                           "(more rows, or larger data.eval_fraction/test_fraction)", f"{origin}: {len(splits[split])}")])
    train = cap_rows(splits["train"], data_config.max_train_rows, seed)
    return origin, {
        "train": pair_columns(train),
        "eval": ScoredPairSet(**pair_columns(cap_rows(splits["eval"], split_cap(data_config, "eval"), seed))),
        "test": ScoredPairSet(**pair_columns(cap_rows(splits["test"], split_cap(data_config, "test"), seed))),
    }, len(splits["train"])


def pair_columns(pairs: list[tuple[str, str, float]]) -> dict[str, list]:
    return {"sentence1": [p[0] for p in pairs], "sentence2": [p[1] for p in pairs], "score": [p[2] for p in pairs]}
