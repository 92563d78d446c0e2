"""Classification data: (text, label) rows, split stratified by label so that every eval and test label is seen in
training. Labels may be text (then the label names are ranked too) or integers."""

from __future__ import annotations

import random
from pathlib import Path

from sweeps.data.readers import read_role_tables
from sweeps.data.table_splits import cap_rows, carve_rows, split_cap
from sweeps.errors import SweepInputError, problem
from trainables.contract.evaluation_sets import LabelledReference, LabelledTextSet, Triplets
from sweeps.sweep_file.schema import DataConfig

ROLES = ("text", "label")


def read_labelled_texts(data_config: DataConfig, sweep_file: str, base_dir: Path) -> tuple[str, dict[str, list[tuple[str, str | int]]]]:
    origin, tables, columns, problems = read_role_tables(data_config, ROLES, sweep_file, base_dir)
    splits = {}
    for split, (rows, where) in tables.items():
        texts = []
        for row_number, row in enumerate(rows, start=1):
            text, label = row.get(columns["text"]), row.get(columns["label"])
            if not isinstance(text, str) or not text.strip():
                problems.append(problem(sweep_file, "data.columns.text", f"must be non-empty text on every row of {where}", f"{text!r} on row {row_number}"))
                break
            if isinstance(label, bool) or not isinstance(label, (str, int)) or (isinstance(label, str) and not label.strip()):
                problems.append(problem(sweep_file, "data.columns.label", f"must be a text or an integer on every row of {where}",
                                        f"{label!r} on row {row_number}"))
                break
            texts.append((text, label))
        splits[split or "train"] = texts
    if problems:
        raise SweepInputError(problems)
    return origin, _labels_of_one_kind(splits)


def _labels_of_one_kind(splits: dict[str, list]) -> dict[str, list]:
    """CSV reads every label as text: labels that are all digits are integers, as the source meant them."""
    labels = {label for rows in splits.values() for _, label in rows}
    if all(isinstance(label, int) or label.strip().lstrip("-").isdigit() for label in labels):
        return {split: [(text, int(label)) for text, label in rows] for split, rows in splits.items()}
    return {split: [(text, str(label)) for text, label in rows] for split, rows in splits.items()}


def labelled_sets(data_config: DataConfig, seed: int, sweep_file: str, base_dir: Path) -> tuple[str, dict, int, list[str]]:
    """(origin, {train: columns, eval: set, test: set}, training rows before max_train_rows, notes)."""
    origin, splits = read_labelled_texts(data_config, sweep_file, base_dir)
    kept_whole = carve_rows(splits, data_config.eval_fraction, data_config.test_fraction, seed, stratum=lambda row: row[1])
    notes = [f"labels kept whole in train, too few rows to also evaluate on: {', '.join(kept_whole)}"] if kept_whole else []
    trained = {label for _, label in splits["train"]}
    problems = []
    if len(trained) < 2:
        problems.append(problem(sweep_file, "data.source", "must give the train split at least 2 labels", f"{origin}: {sorted(trained, key=str)}"))
    for split in ("eval", "test"):
        if len(splits[split]) < 3:
            problems.append(problem(sweep_file, "data.source", f"must give the {split} split at least 3 labelled texts (more rows, or larger "
                                    "data.eval_fraction/test_fraction)", f"{origin}: {len(splits[split])}"))
        unseen = sorted({label for _, label in splits[split]} - trained, key=str)
        if unseen:
            problems.append(problem(sweep_file, "data.source", f"must have training rows for every {split} label (a model can't learn a "
                                    "label it never sees)", f"{split} labels never seen in train: {unseen[:10]}"))
    if problems:
        raise SweepInputError(problems)
    train = cap_rows(splits["train"], data_config.max_train_rows, seed)
    ids = {label: index for index, label in enumerate(sorted({label for _, label in train}, key=str))}
    label_names = sorted(ids) if all(isinstance(label, str) for label in ids) else None
    sets = {"train": {"sentence": [text for text, _ in train], "label": [ids[label] for _, label in train]}}
    for split in ("eval", "test"):
        rows = cap_rows(splits[split], split_cap(data_config, split), seed)
        sets[split] = labelled_evaluation_set(rows, train, label_names, random.Random(seed))
    return origin, sets, len(splits["train"]), notes


def labelled_evaluation_set(rows: list, train: list, label_names: list[str] | None, rng: random.Random) -> LabelledTextSet:
    """Texts and labels; (text, same-label text, other-label text) triplets drawn from the split itself where it has
    them; and the training rows whose nearest neighbours vote for knn_accuracy."""
    rows = sorted(rows, key=lambda row: (str(row[1]), row[0]))
    by_label: dict = {}
    for text, label in rows:
        by_label.setdefault(label, []).append(text)
    trained_by_label: dict = {}
    for text, label in train:
        trained_by_label.setdefault(label, []).append(text)
    triplets = Triplets()
    for text, label in rows:
        same = [other for other in by_label[label] if other != text] or [other for other in trained_by_label.get(label, []) if other != text]
        others = [other for other_label, texts in by_label.items() if other_label != label for other in texts]
        if not same or not others:
            continue
        position = by_label[label].index(text)
        triplets.anchor.append(text)
        triplets.positive.append(same[position % len(same)])
        triplets.negative.append(others[rng.randrange(len(others))])
    return LabelledTextSet(texts=[text for text, _ in rows], labels=[label for _, label in rows], triplets=triplets,
                           reference=LabelledReference([text for text, _ in train], [label for _, label in train]), label_names=label_names)
