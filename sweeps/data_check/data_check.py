"""The data check, run on the driver before any trial: every pair of splits and guard sets compared role by role,
what the training split shares with a held-out one dropped (or refused, or kept with a warning), truncation measured
in each base model's tokens, and the false negatives in-batch losses would see."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

from search_spaces.losses import LOSSES, swept_losses
from search_spaces.parameters import AUTO_BATCH, AUTO_BATCH_START
from sweeps.data.prepare import PreparedData, fingerprint
from sweeps.data_check.batch_false_negatives import FalseNegativeShare, false_negative_share
from sweeps.data_check.data_card import DataCard
from sweeps.data_check.near_duplicate_index import NearDuplicateIndex
from sweeps.data_check.overlap import Overlap
from sweeps.data_check.role_texts import PASSAGES, held_out_texts, training_texts
from sweeps.data_check.truncation import WARN_SHARE, RoleLengths, model_max_seq_length, model_tokenizer, role_lengths
from sweeps.errors import problem
from trainables.contract.trial_data import GuardSet
from trainables.training_arguments import DEFAULT_BATCH

TRAIN = "train"


@dataclass(frozen=True)
class DataCheck:
    leaks: str  # data.leaks: drop, refuse or warn
    threshold: float
    origin: str
    task: str
    sizes: tuple[dict, ...]  # split, role, texts, repeated_within
    overlaps: tuple[Overlap, ...]
    training_rows_as_read: int
    dropped_rows: tuple[int, ...]
    lengths: dict[str, tuple[RoleLengths, ...]]  # model reference -> its roles ((): no tokenizer to count with)
    false_negatives: tuple[FalseNegativeShare, ...]
    in_batch_losses: tuple[str, ...]
    fingerprint_as_read: str
    fingerprint: str
    seconds: float

    @property
    def training_leaks(self) -> list[Overlap]:
        return [overlap for overlap in self.overlaps if overlap.first == TRAIN]

    @property
    def held_out_overlaps(self) -> list[Overlap]:
        return [overlap for overlap in self.overlaps if overlap.first != TRAIN]

    def problems(self, source: str) -> list[str]:
        """data.leaks: refuse: one line for everything the splits share."""
        if self.leaks != "refuse" or not self.overlaps:
            return []
        shared = "; ".join(f"{overlap.second} shares {overlap.describe()}" for overlap in self.overlaps)
        return [problem(source, "data.leaks", "is refuse, so no split may share a text with another (drop removes what the training "
                        "split shares from it)", shared)]

    def lines(self) -> list[str]:
        compared = ", ".join(dict.fromkeys(size["split"] for size in self.sizes))
        how = (f"queries and passages apart, exact after NFKC, case and whitespace, near at character 4-gram cosine ≥ {self.threshold:g}; "
               f"{self.seconds:.1f} s")
        if not self.overlaps:
            lines = [f"data check: {compared} share no text ({how})"]
        else:
            lines = [f"data check: {compared} compared ({how})"]
        for overlap in self.overlaps:
            lines.append(f"data check: {overlap.second} shares {overlap.describe()}")
            lines += [f"  {example.line()}" for example in overlap.examples]
        if self.training_leaks:
            if self.leaks == "drop":
                lines.append(f"data check: dropped {len(self.dropped_rows):,} training rows that share a text with a held-out split "
                             f"(data.leaks: drop): {self.training_rows_as_read - len(self.dropped_rows):,} left")
            elif self.leaks == "warn":
                lines.append("warning: data check: the training rows that share a text with a held-out split were kept (data.leaks: warn): "
                             "the eval, test and guard figures of this sweep are inflated by them")
        if self.held_out_overlaps and self.leaks != "refuse":
            lines.append("warning: data check: held-out splits share texts (above); the test split is never changed to fit, "
                         "so figures judged on both count those items twice")
        for model, roles in self.lengths.items():
            for role in roles:
                over = {length: share for length, share in role.over.items() if share > WARN_SHARE}
                if over:
                    shares = ", ".join(f"{share:.0%} at {length}" for length, share in over.items())
                    lines.append(f"data check: {role.role} longer than max_seq_length in {model}'s tokens: {shares} (p50 {role.tokens.get('p50')}, "
                                 f"p90 {role.tokens.get('p90')} tokens); the trainer cuts them without a word")
        for share in self.false_negatives:
            lines.append(f"data check: in-batch negatives ({', '.join(self.in_batch_losses)}) at batch size {share.batch_size}: "
                         f"{share.share:.1%} of batches ({share.with_false_negative} of {share.batches}) hold another row's passage "
                         "that nearly duplicates a row's positive, a false negative (GISTEmbedLoss and CachedGISTEmbedLoss, guided by the "
                         "base model, filter them)")
        return lines

    def card(self) -> DataCard:
        return DataCard({
            "origin": self.origin, "task": self.task, "fingerprint": self.fingerprint, "fingerprint_as_read": self.fingerprint_as_read,
            "leaks": self.leaks, "near_duplicate_similarity": self.threshold, "sizes": list(self.sizes),
            "training_rows_as_read": self.training_rows_as_read, "dropped_training_rows": len(self.dropped_rows),
            "training_rows": self.training_rows_as_read - (len(self.dropped_rows) if self.leaks == "drop" else 0),
            "overlaps": [overlap.record() for overlap in self.overlaps],
            "lengths": {model: [role.record() for role in roles] for model, roles in self.lengths.items()},
            "in_batch_losses": list(self.in_batch_losses),
            "false_negatives": [share.record() for share in self.false_negatives],
            "seconds": round(self.seconds, 2),
        })


def check_data(data: PreparedData, guards: tuple[GuardSet, ...], config, models: dict[str, str]) -> tuple[PreparedData, DataCheck]:
    """(the data the trials get, the check). Under data.leaks: drop, the training rows that share a text with eval,
    test or a guard set are gone from it; the held-out splits are never changed."""
    started = time.perf_counter()
    threshold = config.data.near_duplicate_similarity
    train_texts = training_texts(data.train)
    splits: dict[str, dict[str, list[str]]] = {TRAIN: {role: [text for text, _ in pairs] for role, pairs in train_texts.items()},
                                               "eval": held_out_texts(data.eval), "test": held_out_texts(data.test)}
    for guard in guards:
        splits[f"guard {guard.name}"] = held_out_texts(guard.evaluation_set)
    indexes = {(split, role): NearDuplicateIndex(texts, threshold) for split, roles in splits.items() for role, texts in roles.items()}
    names = list(splits)
    overlaps, dropped = [], set()
    for position, first in enumerate(names):
        for second in names[position + 1:]:
            for role in [role for role in splits[first] if role in splits[second]]:  # in a fixed order, for the lines
                matches = indexes[(first, role)].probe(indexes[(second, role)])
                if not matches:
                    continue
                overlaps.append(Overlap.of(first, second, role, matches, splits[first][role], splits[second][role]))
                if first == TRAIN:
                    dropped.update(train_texts[role][match.indexed][1] for match in matches)
    sizes = tuple({"split": split, "role": role, "texts": len(texts), "repeated_within": indexes[(split, role)].duplicates_within()}
                  for split, roles in splits.items() for role, texts in roles.items())

    as_read = data.train_rows
    checked = data
    if dropped and config.data.leaks == "drop" and len(dropped) < as_read:
        kept = [row for row in range(as_read) if row not in dropped]
        train = {column: [values[row] for row in kept] for column, values in data.train.items()}
        checked = dataclasses.replace(data, train=train, fingerprint=fingerprint({"train": train, "eval": data.eval, "test": data.test}))
    else:
        kept = list(range(as_read))

    in_batch = tuple(loss for loss in swept_losses(config.parameters) if LOSSES[loss].batch_sampler == "no_duplicates")
    shares: tuple[FalseNegativeShare, ...] = ()
    if in_batch and (TRAIN, PASSAGES) in indexes:
        shares = _false_negatives(indexes[(TRAIN, PASSAGES)], train_texts[PASSAGES], kept, config)
    lengths = _lengths(splits, models, config)
    check = DataCheck(config.data.leaks, threshold, data.origin, data.task, sizes, tuple(overlaps), as_read, tuple(sorted(dropped)),
                      lengths, shares, in_batch, data.fingerprint, checked.fingerprint, time.perf_counter() - started)
    return checked, check


def _false_negatives(passages: NearDuplicateIndex, texts: list[tuple[str, int]], kept: list[int], config) -> tuple[FalseNegativeShare, ...]:
    """For the rows the trials get: each row's positive (the first passage it wrote) and all its passages."""
    candidates_of: dict[int, list[int]] = {}
    for index, (_, row) in enumerate(texts):
        candidates_of.setdefault(row, []).append(index)
    rows = [row for row in kept if row in candidates_of]
    batch_spec = config.parameters.get("per_device_train_batch_size")
    # A distribution's ends stand for it: the share grows with the batch size.
    # `auto` is measured at the batch it starts from: the largest it can train at.
    batch_sizes = sorted({AUTO_BATCH_START if value == AUTO_BATCH else int(value) for value in batch_spec.candidate_values()}
                         ) if batch_spec is not None else [DEFAULT_BATCH]
    return tuple(false_negative_share(passages, [candidates_of[row][0] for row in rows], [candidates_of[row] for row in rows], size,
                                      config.seed) for size in batch_sizes)


def _lengths(splits: dict[str, dict[str, list[str]]], models: dict[str, str], config) -> dict[str, tuple[RoleLengths, ...]]:
    swept = config.parameters.get("max_seq_length")
    by_role: dict[str, list[str]] = {}
    for roles in splits.values():
        for role, texts in roles.items():
            by_role.setdefault(role, []).extend(texts)
    lengths = {}
    for reference, path in models.items():
        tokenizer = model_tokenizer(path)
        if tokenizer is None:
            lengths[reference] = ()
            continue
        if swept is not None:
            max_lengths = sorted({int(value) for value in swept.candidate_values()})
        else:
            own = model_max_seq_length(path)
            max_lengths = [own] if own else []
        lengths[reference] = tuple(role_lengths(tokenizer, role, texts, max_lengths, config.seed) for role, texts in by_role.items())
    return lengths
