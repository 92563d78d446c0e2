"""What changes how a model encodes (max_seq_length, prompts): one baseline per setting a trial can have, named by
what sets it apart, and prompts taken from the model unless the sweep says otherwise."""

from sweeps.sweep_file.schema import ParameterSpec
from sweeps.tracking.baselines import _baseline_name, baseline_settings
from trainables.prompts import Prompts, trial_prompts


def spec(**form):
    return ParameterSpec(**form)


def test_one_baseline_per_base_model_and_encoding_the_sweep_allows():
    parameters = {"base_model": spec(values=["org/a", "b"]), "max_seq_length": spec(values=[32, 128]), "learning_rate": spec(value=1e-4)}
    settings = baseline_settings(parameters)
    assert settings == [{"base_model": "org/a", "max_seq_length": 32}, {"base_model": "org/a", "max_seq_length": 128},
                        {"base_model": "b", "max_seq_length": 32}, {"base_model": "b", "max_seq_length": 128}]
    assert [_baseline_name(setting, settings) for setting in settings] == [
        "baseline-a-seq32", "baseline-a-seq128", "baseline-b-seq32", "baseline-b-seq128"]
    single = baseline_settings({"base_model": spec(value="org/a"), "max_seq_length": spec(value=64)})
    assert [_baseline_name(setting, single) for setting in single] == ["baseline-a"]


def test_swept_prompts_give_a_baseline_each():
    parameters = {"base_model": spec(value="e5"), "prompts": spec(values=[{"query": "query: ", "document": "passage: "}, None])}
    settings = baseline_settings(parameters)
    assert [_baseline_name(setting, settings) for setting in settings] == ["baseline-e5-prompts1", "baseline-e5-prompts2"]


def test_prompts_come_from_the_model_unless_the_sweep_sets_them():
    e5 = {"query": "query: ", "passage": "passage: "}
    assert trial_prompts({}, e5) == Prompts("query: ", "passage: ")
    assert trial_prompts({"prompts": None}, e5) == Prompts()  # null: none, even where the model has its own
    assert trial_prompts({"prompts": {"query": "Represent this question: "}}, e5) == Prompts("Represent this question: ", None)
    assert Prompts("query: ", "passage: ").for_columns(["anchor", "positive", "negative"]) == {
        "anchor": "query: ", "positive": "passage: ", "negative": "passage: "}
    # Retrieval rows reshaped to scored pairs: the first text is a query, the second a passage.
    assert Prompts("query: ", "passage: ").for_columns(["sentence1", "sentence2", "score"]) == {"sentence1": "query: ", "sentence2": "passage: "}
    assert Prompts("query: ", "passage: ").for_columns(["anchor", "positive", "negative_1", "negative_2"])["negative_2"] == "passage: "
    # STS and classification rows hold one kind of text: the query prompt for all, none for the score or label.
    assert Prompts("query: ", "passage: ").for_columns(["sentence1", "sentence2", "score"], symmetric=True) == {
        "sentence1": "query: ", "sentence2": "query: "}
    assert Prompts("query: ", "passage: ").for_columns(["sentence", "label"], symmetric=True) == {"sentence": "query: "}
    assert Prompts("query: ", "passage: ").for_columns(["sentence", "label"]) is None  # retrieval rows labelled by group mix both kinds
    assert Prompts().describe() == "none"


def test_prompts_the_sweep_sets_are_written_into_the_model_so_its_checkpoint_carries_them():
    from types import SimpleNamespace

    from trainables.encoding import apply_encoding

    model = SimpleNamespace(max_seq_length=256, prompts={"query": "query: ", "passage": "passage: "})
    encoding = apply_encoding(model, {"base_model": "e5", "max_seq_length": 128, "prompts": {"query": "q: "}})
    assert (model.max_seq_length, model.prompts) == (128, {"query": "q: "})
    assert Prompts.from_model_config(model.prompts) == encoding.prompts == Prompts("q: ", None)
    untouched = SimpleNamespace(max_seq_length=256, prompts={"query": "query: "})
    assert apply_encoding(untouched, {"base_model": "e5"}).max_seq_length == 256 and untouched.prompts == {"query": "query: "}
