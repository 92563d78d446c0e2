"""Give each loss the data format it trains on, reshaping the prepared rows where the data allows.

Prepared training rows have `anchor`, `positive`, and when the data gives them, `negative` and
`label` (the data's `group`). Reshaping is done once per sweep on the driver, and said.
"""

from __future__ import annotations

import random

from search_spaces.data_formats import DATA_FORMATS


class CannotReshape(ValueError):
    pass


def reshape(rows: dict[str, list], data_format: str, seed: int) -> tuple[dict[str, list], str | None]:
    """The training columns for `data_format`, in the loss's order, and a note when they were reshaped."""
    have = set(rows)
    if set(DATA_FORMATS[data_format].columns) == have:  # the data's own format (an STS or classification task)
        return {column: rows[column] for column in DATA_FORMATS[data_format].columns}, None
    negatives = negative_columns(rows)
    if data_format in ("pairs", "pairs_only"):
        # The MNRL family takes every negative of a row as another column.
        columns = ["anchor", "positive"] + (negatives if data_format == "pairs" else [])
        note = "triplets -> pairs (negatives left out)" if negatives and data_format == "pairs_only" else None
        return {column: rows[column] for column in columns}, note
    if data_format == "triplets":
        return _triplets(rows, seed)
    if data_format == "scored_pairs":
        triplets, note = _triplets(rows, seed)
        count = len(triplets["anchor"])
        scored = {
            "sentence1": triplets["anchor"] + triplets["anchor"],
            "sentence2": triplets["positive"] + triplets["negative"],
            "score": [1.0] * count + [0.0] * count,
        }
        return scored, f"{note + ' -> ' if note else 'triplets -> '}scored pairs (positive 1.0, negative 0.0)"
    if data_format == "labelled":
        if "label" in have:
            labels, note = rows["label"], "pairs -> labelled sentences (label = the data's group)"
        else:
            labels, note = rows["anchor"], "pairs -> labelled sentences (label = the anchor: a query and its positives)"
        ids = {label: index for index, label in enumerate(dict.fromkeys(labels))}
        return {
            "sentence": rows["anchor"] + rows["positive"],
            "label": [ids[label] for label in labels] * 2,
        }, note
    raise KeyError(f"unknown data format {data_format!r}")


def negative_columns(rows) -> list[str]:
    """`negative`, or `negative_1` … `negative_n`, in order."""
    return [column for column in rows if column == "negative" or column.startswith("negative_")]


def reshape_problem(data_format: str, columns: list[str]) -> str | None:
    """Why rows with `columns` can't become `data_format`, or None."""
    if set(DATA_FORMATS[data_format].columns) == set(columns):
        return None
    if data_format in ("triplets", "scored_pairs") and not negative_columns(columns) and "label" not in columns:
        return (f"needs {DATA_FORMATS[data_format].description}, so a `negative` column or a `group` column "
                f"(negatives drawn from other groups), and the data has columns {_public(columns)}")
    return None


def _triplets(rows: dict[str, list], seed: int) -> tuple[dict[str, list], str | None]:
    negatives = negative_columns(rows)
    if negatives:
        note = f"the first of {len(negatives)} negatives per row (a loss of one negative)" if len(negatives) > 1 else None
        return {"anchor": rows["anchor"], "positive": rows["positive"], "negative": rows[negatives[0]]}, note
    if "label" not in rows:
        raise CannotReshape(reshape_problem("triplets", list(rows)))
    labels = rows["label"]
    if len(set(labels)) < 2:
        raise CannotReshape(f"needs negatives drawn from other groups, and the data has {len(set(labels))} group")
    rng = random.Random(seed)
    negatives = []
    for label in labels:
        while True:
            other = rng.randrange(len(labels))
            if labels[other] != label:
                negatives.append(rows["positive"][other])
                break
    return ({"anchor": rows["anchor"], "positive": rows["positive"], "negative": negatives},
            "labelled -> triplets (each negative drawn from another group)")


def _public(columns: list[str]) -> list[str]:
    return ["group" if column == "label" else column for column in columns]
