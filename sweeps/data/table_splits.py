"""Splits of plain rows (scored pairs, labelled texts): the splits a source gives are kept, the missing ones carved
from train, test first so that it does not depend on eval_fraction. Seeded, so every sweep of one file gets the same."""

from __future__ import annotations

import random
from collections.abc import Callable

from sweeps.sweep_file.schema import DataConfig


def carve_rows(splits: dict[str, list], eval_fraction: float, test_fraction: float, seed: int,
               stratum: Callable[[object], object] | None = None) -> list[str]:
    """Move train rows into the eval and test splits `splits` lacks. With `stratum` (a row's label), each stratum
    is split by the fractions on its own, and one too small to leave a training row stays whole in train.
    Returns the strata kept whole in train, said to the user."""
    missing = [(split, fraction) for split, fraction in (("test", test_fraction), ("eval", eval_fraction)) if split not in splits]
    if not missing:
        return []
    rng = random.Random(seed)
    strata: dict[object, list] = {}
    for row in splits["train"]:
        strata.setdefault(stratum(row) if stratum else None, []).append(row)
    for split, _ in missing:
        splits[split] = []
    train, kept_whole = [], []
    for key in sorted(strata, key=str):
        rows = strata[key]
        rng.shuffle(rows)
        counts = [round(fraction * len(rows)) for _, fraction in missing]
        if stratum is not None and (len(rows) < 3 or len(rows) - sum(counts) < 1):
            train += rows
            kept_whole.append(f"{key} ({len(rows)} rows)")
            continue
        start = 0
        for (split, _), count in zip(missing, counts):
            splits[split] += rows[start:start + count]
            start += count
        train += rows[start:]
    splits["train"] = train
    return kept_whole


def cap_rows(rows: list, limit: int | None, seed: int) -> list:
    """At most `limit` rows, drawn by the sweep's seed; all of them, shuffled, without a limit."""
    rows = list(rows)
    random.Random(seed).shuffle(rows)
    return rows if limit is None else rows[:limit]


def split_cap(data_config: DataConfig, split: str) -> int | None:
    """How many queries (pairs, texts) of an evaluation split are kept: `max_eval_queries` for eval, `max_test_queries`
    for test (default all: the split that is reported is never cut by the eval split's cap)."""
    return data_config.max_test_queries if split == "test" else data_config.max_eval_queries
