"""Soups of real tiny-BERT trials (no Ray): the uniform soup is the element-wise mean of its ingredients' weights, greedy
leaves out a trial ruined by a learning rate of 1e-2, and the soup's run is judged and recorded like a trial's."""

from pathlib import Path

import pytest
import torch
from mlflow.tracking import MlflowClient
from ray.tune import Checkpoint
from sentence_transformers import SentenceTransformer
from test_trial_function import TuneReports, start_trial, trial_run

from sweeps.soups import Ingredient, SoupCook, SoupSettings, make_sweep_soup
from sweeps.sweep_file.schema import SoupConfig
from sweeps.tracking.parent_run import SweepRun
from trainables import run_trial
from trainables.evaluation.item_keeping_evaluator import evaluate_in_detail

# The tiny BERT starts from random weights and learns best near 5e-3 (MiniLM near 1e-4): at 3e-2 it is ruined (eval
# NDCG@10 0.07 against 0.40), as MiniLM is at 1e-2; any higher and it collapses, and fails.
RATES = {"good": 1e-2, "fine": 5e-3, "ruined": 3e-2}


@pytest.fixture(scope="module")
def trials(tmp_path_factory, tiny_model_dir):
    """Three trials of the tiny BERT, each with its kept checkpoint in storage, best first by eval NDCG@10."""
    tmp_path = tmp_path_factory.mktemp("soup")
    data, sweep_run, context = start_trial(tmp_path, tiny_model_dir)
    ingredients = []
    for name, rate in RATES.items():
        reports = TuneReports(tmp_path / "storage" / name)
        config = {"base_model": "tiny", "learning_rate": rate, "per_device_train_batch_size": 16, "num_train_epochs": 2}
        run_trial(config, data, context, name, f"soup-{name}", reports)
        run = trial_run(sweep_run, name)
        assert run.info.status == "FINISHED", run.data.tags.get("sweeps.error")
        ingredients.append(Ingredient(name, run.info.run_id, run.info.run_name, reports[-1]["best_ndcg_at_10"], config,
                                      Checkpoint.from_directory(str(reports.checkpoints[-1]))))
    ingredients.sort(key=lambda item: -item.value)
    return data, sweep_run, context, ingredients


def load(folder: str):
    return SentenceTransformer(folder, device="cpu")


def state(ingredient: Ingredient) -> dict:
    with ingredient.folder() as folder:
        return {name: tensor.clone() for name, tensor in load(folder).state_dict().items()}


def test_a_uniform_soup_is_the_mean_of_its_ingredients_weights(trials):
    data, _, _, ingredients = trials
    cook = SoupCook(load, lambda model: 0.0, "max")
    soup = cook.cook("uniform", ingredients)
    assert [item.trial_id for item in soup.ingredients] == [item.trial_id for item in ingredients] and not soup.steps
    vessel = cook.vessel(soup)
    states = [state(item) for item in ingredients]
    averaged = vessel.state_dict()
    floating = [name for name, tensor in averaged.items() if tensor.is_floating_point()]
    assert len(floating) > 20
    for name in floating:
        mean = sum(weights[name].float() for weights in states) / len(states)
        assert torch.allclose(averaged[name], mean, atol=1e-6, rtol=0), name
    assert cook.seconds["soup_averaging"] > 0 and cook.seconds["soup_evaluating"] == 0
    # Trained ingredients differ, so their mean is none of them.
    assert any(not torch.equal(averaged[name], states[0][name]) for name in floating)


def test_weights_tied_in_the_model_stay_tied_in_the_soup():
    from sweeps.soups import WeightSum

    class Tied(torch.nn.Module):
        def __init__(self, fill: float):
            super().__init__()
            self.encoder, self.decoder = torch.nn.Linear(4, 4), torch.nn.Linear(4, 4)
            self.decoder.weight = self.encoder.weight
            torch.nn.init.constant_(self.encoder.weight, fill)

    weights = WeightSum()
    for fill in (1.0, 3.0):
        weights.add(Tied(fill))
    vessel = Tied(0.0)
    weights.write_mean_into(vessel)
    assert vessel.decoder.weight is vessel.encoder.weight and torch.all(vessel.encoder.weight == 2.0)
    assert "decoder.weight" in weights.total and weights.mismatch(torch.nn.Linear(4, 4)).startswith("its parameter names differ")


def test_greedy_leaves_out_the_trial_a_high_learning_rate_ruined(trials):
    data, _, _, ingredients = trials

    def score(model) -> float:
        return evaluate_in_detail(model, data.eval)[0]["ndcg_at_10"]

    # Ranked as the greedy recipe takes them, with the ruined trial second: it is tasted, and must stay out.
    ruined = next(item for item in ingredients if item.trial_id == "ruined")
    order = [ingredients[0], ruined, *[item for item in ingredients[1:] if item is not ruined]] if ruined is not ingredients[0] else ingredients
    cook = SoupCook(load, score, "max")
    soup = cook.cook("greedy", order)
    steps = {step.run_name: step for step in soup.steps}
    assert "soup-ruined" not in [item.run_name for item in soup.ingredients], soup.steps
    assert not steps["soup-ruined"].joined and steps["soup-ruined"].value < steps[order[0].run_name].value
    # The rejected trial was taken back out of the running sum: the soup is the mean of the others only.
    vessel = cook.vessel(soup)
    kept = [state(item) for item in soup.ingredients]
    name = next(name for name, tensor in vessel.state_dict().items() if tensor.is_floating_point() and tensor.dim() == 2)
    assert torch.allclose(vessel.state_dict()[name], sum(weights[name] for weights in kept) / len(kept), atol=1e-5)
    assert soup.value == pytest.approx(score(vessel), abs=1e-6)


def test_the_soup_run_is_judged_recorded_and_found_again_on_resume(trials, tmp_path):
    data, sweep_run, context, ingredients = trials
    lines = []
    settings = SoupSettings(SoupConfig(method="uniform", top_k=2, blend_base=[0.5]), "ndcg_at_10", "max", 0.05, data, {},
                            context.model_paths)
    good = [item for item in ingredients if item.trial_id != "ruined"]
    run_id = make_sweep_soup(settings, good, sweep_run, 3, ["a text"], lines.append)
    client = MlflowClient(sweep_run.tracking_uri)
    run = client.get_run(run_id)
    params, metrics, tags = run.data.params, run.data.metrics, run.data.tags
    assert run.info.status == "FINISHED" and tags["sweeps.role"] == "soup" and tags["sweeps.sequence"] == "3"
    assert params["soup_ingredient_run_ids"] == ",".join(item.run_id for item in good)
    assert params["soup_weights"] == "0.5,0.5" and params["soup_method"] == "uniform" and params["blend_base_alpha"] in ("0.0", "0.5")
    for key in ("best_ndcg_at_10", "test_ndcg_at_10", "test_ndcg_at_10_ci_low", "test_ndcg_at_10_ci_high",
                "soup_vs_best_trial_eval_p", "soup_vs_best_trial_test_p", "time_soup_averaging_s", "time_soup_evaluating_s"):
        assert key in metrics, key
    assert tags["sweeps.soup_vs_best"].startswith(("≈ best trial", "better than best trial", "worse than best trial"))
    assert tags["sweeps.model_logged"] == "true" and tags["sweeps.encoding"] == trial_run(sweep_run, good[0].trial_id).data.tags["sweeps.encoding"]
    artifacts = {item.path for item in client.list_artifacts(run_id, "soup")}
    assert artifacts == {"soup/recipe.json", "soup/blend.json", "soup/blend.png"}
    assert any(line.startswith("soup: blended with the base model: α 0 eval ndcg_at_10") for line in lines), lines
    assert client.get_run(sweep_run.run_id).data.tags["sweeps.soup"].startswith("soup: soup-uniform (uniform soup of soup-")
    # The soup's model loads and encodes as the best trial's does.
    folder = Path(client.download_artifacts(run_id, "model", str(tmp_path))) / "model.sentence_transformer"
    assert SentenceTransformer(str(folder), device="cpu").max_seq_length == 64
    # Made again on --resume only if unfinished: this one is finished, and kept.
    again = []
    assert make_sweep_soup(settings, good, sweep_run, 3, ["a text"], again.append) == run_id
    assert again == ["soup: soup-uniform was made before the interruption; kept as it is"]


def test_a_soup_stopped_while_it_was_judged_is_made_again_in_the_same_run(trials):
    from trainables.trial_run import TrialRun

    data, sweep_run, context, ingredients = trials
    sweep_run = SweepRun(sweep_run.tracking_uri, "component", "stopped-sweep")
    stopped = TrialRun.open(sweep_run.tracking(), "soup", "soup-greedy", role="soup")  # as Ctrl-C leaves it
    stopped.client.set_terminated(stopped.run_id, "KILLED")
    settings = SoupSettings(SoupConfig(method="greedy", top_k=2), "ndcg_at_10", "max", 0.05, data, {}, context.model_paths)
    good = [item for item in ingredients if item.trial_id != "ruined"]
    assert make_sweep_soup(settings, good, sweep_run, 3, [], lambda line: None) == stopped.run_id
    run = MlflowClient(sweep_run.tracking_uri).get_run(stopped.run_id)
    assert run.info.status == "FINISHED" and run.data.tags["sweeps.attempts"] == "2" and "best_ndcg_at_10" in run.data.metrics


def test_a_soup_needs_two_trials_that_can_be_averaged(trials):
    data, sweep_run, context, ingredients = trials
    lines = []
    settings = SoupSettings(SoupConfig(method="uniform", top_k=2), "ndcg_at_10", "max", 0.05, data, {}, context.model_paths)
    sweep_run = SweepRun(sweep_run.tracking_uri, "component", "another-sweep")
    other = Ingredient("other", "x", "soup-other", 0.0, {**ingredients[1].config, "base_model": "another"}, ingredients[1].checkpoint)
    assert make_sweep_soup(settings, [ingredients[0], other], sweep_run, 3, [], lines.append) is None
    assert lines == ["soup: left out soup-other: its base model 'another' is not "
                     f"{ingredients[0].run_name}'s 'tiny'",
                     f"soup: no soup: 1 finished trial with a kept model that can be averaged with the best, and averaging needs two "
                     f"({ingredients[0].run_name})"]
