"""The data check on planted duplicates: exact, case and whitespace variants and lightly edited copies, across train,
eval, test and a guard set; what drop, refuse and warn do with them; the card; truncation; in-batch false negatives."""

import json
import random

import pytest

from sweeps.data_check.batch_false_negatives import false_negative_share
from sweeps.data_check.near_duplicate_index import NearDuplicateIndex, normalized
from sweeps.prepared_sweep import prepare_sweep
from sweeps.run import main
from sweeps.sweep_file.loading import load_sweep_file

WORDS = ("river stone cloud garden window market letter engine silver harbor candle forest winter bridge pepper "
         "violin copper meadow lantern orchard saddle thunder velvet island basket mirror ladder falcon pillow timber "
         "quarry cobalt walnut marble beacon tunnel glacier parcel summit canvas").split()
EDITED = "Which silver harbor candle forest hides the winter bridge?"  # a test query; train holds it lightly edited


def sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize()


def write_rows(path, rows):
    path.write_text("".join(json.dumps({"query": query, "passage": passage}) + "\n" for query, passage in rows))


@pytest.fixture
def planted(tmp_path):
    """A folder with its own train, dev and test files and a guard folder; train holds, among 40 clean rows, a test
    query verbatim, an eval query in capitals, a test query with its spaces doubled, a guard query lightly edited, a test
    passage with another query, and the test query `EDITED` with two letters changed."""
    rng = random.Random(3)
    clean = lambda count: [(sentence(rng, 9) + "?", sentence(rng, 30) + ".") for _ in range(count)]  # noqa: E731
    dev, test, guard = clean(8), clean(8) + [(EDITED, sentence(rng, 30) + ".")], clean(8)
    train = clean(40) + [
        (test[0][0], sentence(rng, 30)),                       # exact
        (dev[1][0].upper(), sentence(rng, 30)),                # case
        ("  " + test[2][0].replace(" ", "   "), sentence(rng, 30)),  # whitespace
        (guard[3][0].replace("a", "o", 1) + " please", sentence(rng, 30)),  # near
        (sentence(rng, 9) + "?", test[4][1]),                  # a test passage, exactly
        (EDITED.replace("silver", "silvre").replace("bridge", "bridges"), sentence(rng, 30)),  # near
    ]
    folder = tmp_path / "data"
    folder.mkdir()
    for name, rows in (("train", train), ("dev", dev), ("test", test)):
        write_rows(folder / f"{name}.jsonl", rows)
    (tmp_path / "guard").mkdir()
    write_rows(tmp_path / "guard" / "test.jsonl", guard)
    write_rows(tmp_path / "guard" / "train.jsonl", clean(2))  # a folder of tables holds a train file; a guard reads its test
    return tmp_path, {"train": train, "dev": dev, "test": test, "guard": guard}


def sweep_file(tmp_path, leaks: str | None = None, **parameters) -> str:
    data = {"source": "data", "columns": {"anchor": "query", "positive": "passage"}, **({"leaks": leaks} if leaks else {})}
    sweep = {"name": "checked", "data": data, "guard": [{"name": "general", "source": "guard", "columns": {"anchor": "query", "positive": "passage"}}],
             "parameters": {"base_model": {"value": "all-MiniLM-L6-v2"}, "per_device_train_batch_size": {"value": 8},
                            **{name: {"value": value} for name, value in parameters.items()}}}
    (tmp_path / "sweep.yaml").write_text(json.dumps(sweep))
    return str(tmp_path / "sweep.yaml")


def test_planted_duplicates_are_found_in_every_pair_and_dropped_from_train_only(planted):
    tmp_path, rows = planted
    path = sweep_file(tmp_path)
    sweep = prepare_sweep(load_sweep_file(path), path)
    check = sweep.data_check
    found = {(overlap.first, overlap.second, overlap.role): (overlap.exact, overlap.near) for overlap in check.overlaps}
    assert found == {("train", "test", "queries"): (2, 1), ("train", "eval", "queries"): (1, 0), ("train", "guard general", "queries"): (0, 1),
                     ("train", "test", "passages"): (1, 0)}, found
    assert len(check.dropped_rows) == 6 and sweep.data.train_rows == 40
    assert set(sweep.data.train["anchor"]) == {query for query, _ in rows["train"][:40]}
    assert check.fingerprint == sweep.data.fingerprint != check.fingerprint_as_read  # the trials' data is what the card names
    # The held-out splits are as read: the test split is never changed to fit.
    assert sorted(sweep.data.test.queries.values()) == sorted(query for query, _ in rows["test"])
    examples = [example for overlap in check.overlaps for example in overlap.examples]
    near = next(example for example in examples if example.second == EDITED)
    assert not near.exact and 0.7 <= near.similarity < 1
    lines = check.lines()
    assert "data check: test shares 3 queries with train (2 exact, 1 near)" in lines
    assert "data check: dropped 6 training rows that share a text with a held-out split (data.leaks: drop): 40 left" in lines


def test_refuse_stops_with_one_line_before_anything_is_written(planted, capsys, monkeypatch):
    tmp_path, _ = planted
    monkeypatch.chdir(tmp_path)
    sweep_file(tmp_path, leaks="refuse")
    assert main(["sweep.yaml"]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 1 and errors[0].startswith("error: sweep.yaml: `data.leaks` is refuse, so no split may share a text"), errors
    assert "test shares 3 queries with train (2 exact, 1 near)" in errors[0] and "guard general shares 1 queries with train (1 near)" in errors[0]
    assert not (tmp_path / "mlflow.db").exists() and not (tmp_path / "ray_results").exists()


def test_warn_keeps_the_rows_and_says_the_figures_are_inflated(planted):
    tmp_path, _ = planted
    path = sweep_file(tmp_path, leaks="warn")
    sweep = prepare_sweep(load_sweep_file(path), path)
    assert sweep.data.train_rows == 46 and sweep.data.fingerprint == sweep.data_check.fingerprint_as_read
    assert any(line.startswith("warning: data check: the training rows that share a text") for line in sweep.data_check.lines())


def test_the_card_records_sizes_leaks_drops_lengths_and_fingerprint(planted):
    tmp_path, _ = planted
    path = sweep_file(tmp_path, max_seq_length=16)
    sweep = prepare_sweep(load_sweep_file(path), path)
    card = sweep.data_check.card()
    record = json.loads(card.to_json())
    assert record["fingerprint"] == sweep.data.fingerprint and record["dropped_training_rows"] == 6 and record["training_rows"] == 40
    assert {size["split"] for size in record["sizes"]} == {"train", "eval", "test", "guard general"}
    assert sum(overlap["exact"] + overlap["near"] for overlap in record["overlaps"]) == 6
    passages = next(role for role in record["lengths"]["all-MiniLM-L6-v2"] if role["role"] == "passages")
    assert passages["tokens"]["p50"] > 16 and passages["share_over_max_seq_length"]["16"] == 1.0  # 30 words never fit in 16 tokens
    page = card.to_markdown()
    assert "## Shared across splits" in page and "| test | train | queries | 2 | 1 |" in page and "100% over 16" in page
    assert any("passages longer than max_seq_length in all-MiniLM-L6-v2's tokens: 100% at 16" in line for line in sweep.data_check.lines())


def test_normalisation_folds_unicode_forms_case_and_whitespace_and_short_texts_match_exactly_only():
    assert normalized("  Ｆｕｌｌ\u00a0WIDTH\tﬁle ") == normalized("full width file")
    index = NearDuplicateIndex(["short text one", "a considerably longer text about rivers and stones"], 0.7)
    probe = NearDuplicateIndex(["short text two", "a considerably longer text about rivers and stone"], 0.7)
    matches = index.probe(probe)
    assert [(match.index, match.indexed, match.exact) for match in matches] == [(1, 1, False)]  # 14 characters: too short to be near


def test_in_batch_false_negatives_are_counted_per_batch_and_exact_duplicates_are_left_to_the_sampler():
    rng = random.Random(5)
    passages = [sentence(rng, 20) for _ in range(6)]
    near = passages[0].replace("river", "rivers", 1) + " too"
    texts = [*passages, near, passages[1]]  # row 6's positive nearly duplicates row 0's; row 7's is row 1's, exactly
    index = NearDuplicateIndex(texts, 0.7)
    one_batch = false_negative_share(index, list(range(8)), [[row] for row in range(8)], batch_size=8, seed=0)
    assert (one_batch.batches, one_batch.with_false_negative) == (1, 1)
    without_near = false_negative_share(index, [0, 1, 2, 3, 4, 5, 7], [[row] for row in (0, 1, 2, 3, 4, 5, 7)], batch_size=7, seed=0)
    assert (without_near.batches, without_near.with_false_negative) == (1, 0)
