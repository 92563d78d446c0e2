"""The sweep's soup step, after the trials and before the kept checkpoints are deleted: cook the soup from the kept
trials, blend it with the base model, and judge it like a trial, as a child run with the role `soup` that promotion may
pick. A sweep killed here finds its soup run again on --resume and makes it anew; a finished one is left as it is."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass

from sweeps.significance import paired_p_value, per_query_scores
from sweeps.soups.soup_cook import AVERAGING, EVALUATING, BlendPoint, Soup, SoupCook
from sweeps.soups.ingredient import Ingredient, compatible_with_the_best
from sweeps.sweep_file.schema import SoupConfig
from sweeps.tracking.models import log_trial_model
from sweeps.tracking.parent_run import SweepRun
from trainables.contract import mlflow_names as names
from trainables.contract.goal import Goal
from trainables.contract.serving import split_variant_key
from trainables.contract.metrics import BEST_PREFIX, DROP, TEST_PREFIX, as_curves, soup_comparison_key, time_key
from trainables.contract.trial_data import TrialData
from trainables.encoding import apply_encoding
from trainables.guard_drops import guard_drops
from trainables.trial_run import TrialRun, find_trial_run


@dataclass(frozen=True)
class SoupSettings:
    soup: SoupConfig
    metric_key: str
    mode: str
    alpha: float  # the significance level of the paired tests (promote.alpha)
    data: TrialData
    guard_baselines: dict[str, dict[str, float]]  # each untrained baseline's guard metrics, by encoding key
    model_paths: dict[str, str]
    trust_remote_code: bool = False


def make_sweep_soup(settings: SoupSettings, ingredients: list[Ingredient], sweep_run: SweepRun, trials: int, input_example: list[str],
                    say) -> str | None:
    """Soup the kept trials (`ingredients`, best first). Returns the soup run's id, or None where there is no soup.
    `trials`: how many trial runs the sweep made (the soup's sequence comes after theirs: a tie goes to a trial)."""
    tracking = sweep_run.tracking()
    done = find_trial_run(sweep_run.client, tracking, names.SOUP_TRIAL_ID)
    if done is not None and done.info.status == "FINISHED":
        say(f"soup: {done.info.run_name} was made before the interruption; kept as it is")
        return done.info.run_id
    soup_config = settings.soup
    compatible, left_out = compatible_with_the_best(ingredients)
    for line in left_out:
        say(f"soup: left out {line}")
    chosen = compatible[: soup_config.top_k]
    if len(chosen) < 2:
        line = (f"soup: no soup: {len(chosen)} finished trial{'s' * (len(chosen) != 1)} with a kept model that can be averaged with the "
                f"best, and averaging needs two ({', '.join(item.run_name for item in chosen) or 'none'})")
        sweep_run.set_tags({names.SOUP: line})
        say(line)
        return None
    say(f"soup: {soup_config.method} over the {len(chosen)} best kept trials ({', '.join(item.run_name for item in chosen)})")
    cook, encodings = _cook_for(settings, chosen[0])
    soup = cook.cook(soup_config.method, chosen)
    encoding = encodings[0]  # the best trial's, as every model of the soup encodes
    for line in soup.left_out:
        say(f"soup: left out {line}")
    if len(soup.ingredients) < 2 and soup_config.method == "uniform":
        line = f"soup: no soup: none of the other kept trials can be averaged with {chosen[0].run_name} ({'; '.join(soup.left_out)})"
        sweep_run.set_tags({names.SOUP: line})
        say(line)
        return None
    if soup.steps:
        say("soup: greedy, best first: " + ", ".join(
            f"{step.run_name} {'joined' if step.joined else 'left out'} (eval {settings.metric_key} {step.value:.4f})" for step in soup.steps))
    vessel = cook.vessel(soup)
    points, picked = [], None
    if soup_config.blend_base:
        base = _base_model(settings, soup.best)
        if why := soup.weights.mismatch(base):
            raise ValueError(f"the base model {soup.best.config['base_model']!r} can't be blended with the soup: {why}")
        points = cook.blend(soup, vessel, base, soup_config.blend_base, lambda model: _measure(model, settings, encoding))
        picked = cook.pick(points)
        say("soup: blended with the base model: " + "; ".join(_blend_words(point, settings.metric_key) for point in points)
            + f" -> α {picked.alpha:g}")
        with cook.timed(AVERAGING):
            soup.weights.write_mean_into(vessel, picked.alpha, base.state_dict())
        del base
    run = TrialRun.open(tracking, names.SOUP_TRIAL_ID, f"soup-{soup.method}", role=names.SOUP_ROLE)
    try:
        run_id = _judge_and_log(run, settings, soup, vessel, encoding, picked, points, cook, sweep_run, trials, input_example, say)
    except BaseException as error:
        if isinstance(error, Exception):
            run.fail(error)
        else:  # Ctrl-C or SIGTERM: --resume makes it anew
            run.set_tags({names.ENDED: f"{names.INTERRUPTED} while souping"})
            run.client.set_terminated(run.run_id, "KILLED")
        raise
    return run_id


def _cook_for(settings: SoupSettings, best: Ingredient):
    """A cook whose models encode as the best trial's (max_seq_length, prompts) and are scored on the eval split; and
    the encodings it set, whose first (the best trial's) pairs the soup with its untrained baseline."""
    from sentence_transformers import SentenceTransformer

    from trainables.evaluation.item_keeping_evaluator import evaluate_in_detail

    encodings = []

    def load(folder: str):
        model = SentenceTransformer(folder, device="cpu", trust_remote_code=settings.trust_remote_code)
        encodings.append(apply_encoding(model, best.config))
        return model

    def score(model) -> float:
        metrics, _ = evaluate_in_detail(model, settings.data.eval, encodings[-1].prompts)
        return metrics[settings.metric_key]

    return SoupCook(load, score, settings.mode), encodings


def _base_model(settings: SoupSettings, best: Ingredient):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(settings.model_paths[best.config["base_model"]], device="cpu", trust_remote_code=settings.trust_remote_code)


def _measure(model, settings: SoupSettings, encoding) -> BlendPoint:
    """A blend's eval metric and, with guards, each guard's figure and drop against the untrained baseline."""
    from trainables.evaluation.item_keeping_evaluator import evaluate_in_detail

    metrics, _ = evaluate_in_detail(model, settings.data.eval, encoding.prompts)
    guards, over = _guards(model, settings, encoding)
    return BlendPoint(0.0, metrics[settings.metric_key], guards, over)


def _guards(model, settings: SoupSettings, encoding) -> tuple[dict[str, float], list[str]]:
    if not settings.data.guards:
        return {}, []
    from trainables.evaluation.guard_evaluator import judge_guards

    guards = judge_guards(model, settings.data.guards, encoding.prompts)
    drops, over = guard_drops(settings.data.guards, guards, settings.guard_baselines.get(encoding.key(), {}))
    return {**guards, **drops}, over


def _blend_words(point: BlendPoint, metric_key: str) -> str:
    drops = ", ".join(f"{key.removeprefix('guard_').removesuffix('_' + DROP)} drop {value:+.4f}"
                      for key, value in point.guards.items() if key.endswith("_" + DROP))
    return f"α {point.alpha:g} eval {metric_key} {point.value:.4f}{f' ({drops})' if drops else ''}{' over a guard' if point.over else ''}"


def _judge_and_log(run: TrialRun, settings: SoupSettings, soup: Soup, vessel, encoding, picked: BlendPoint | None,
                   points: list[BlendPoint], cook: SoupCook, sweep_run: SweepRun, trials: int, input_example: list[str], say) -> str:
    """The soup judged as a trial is: eval and test with per-item scores and intervals, the guards with their drops,
    its paired test against the best trial; its recipe, its model."""
    from trainables.evaluation.item_keeping_evaluator import judge

    param = names.SoupParam
    share = 1 / len(soup.ingredients)
    run.log_params({names.TrialParam.BASE_MODEL: soup.best.config["base_model"], **encoding.params(),
                    param.METHOD: soup.method, param.INGREDIENTS: ",".join(item.run_name for item in soup.ingredients),
                    param.INGREDIENT_RUN_IDS: ",".join(item.run_id for item in soup.ingredients),
                    param.WEIGHTS: ",".join(f"{share:.6g}" for _ in soup.ingredients),
                    param.BLEND_BASE_ALPHA: picked.alpha if picked is not None else 0.0})
    run.set_tags({names.SEQUENCE: str(trials), names.ENCODING: encoding.key(), names.DATA_FINGERPRINT: settings.data.fingerprint})
    with cook.timed(EVALUATING):
        evaluation, test = judge(run, vessel, settings.data.eval, settings.data.test, encoding.prompts)
        guards, over = _guards(vessel, settings, encoding)
    if over:
        run.set_tags({names.GUARD_EXCEEDED: "; ".join(over)})
    run.log_dict(soup.recipe(), f"{names.SOUP_ARTIFACTS}/recipe.json")
    if points:
        run.log_dict({"alpha_picked": picked.alpha, "points": [vars(point) for point in points]}, f"{names.SOUP_ARTIFACTS}/blend.json")
        with tempfile.TemporaryDirectory() as scratch:
            from sweeps.reports.soup_plot import plot_blend

            path = plot_blend(points, picked, settings.metric_key, settings.data.guards, scratch)
            run.client.log_artifact(run.run_id, path, names.SOUP_ARTIFACTS)
    comparisons, line = _against_the_best_trial(run, soup.best, evaluation[settings.metric_key], test, settings)
    run.set_tags({names.SOUP_VS_BEST: line})
    run.log_metrics({**as_curves(evaluation), **{BEST_PREFIX + key: value for key, value in evaluation.items()}, **test, **guards,
                     **comparisons, **{time_key(phase): seconds for phase, seconds in cook.seconds.items()}})
    with tempfile.TemporaryDirectory(prefix="sweeps-soup-model-") as scratch:
        folder = os.path.join(scratch, "soup")
        vessel.save(folder)
        uri = log_trial_model(sweep_run, run.run_id, folder, input_example, settings.trust_remote_code, split_variant_key(settings.metric_key)[1])
    run.finish()
    recipe = (f"{soup.method} soup of {', '.join(item.run_name for item in soup.ingredients)}"
              f"{f', blended with the base at α {picked.alpha:g}' if picked is not None and picked.alpha else ''}")
    tested = ""
    if soup_comparison_key("test", "p") in comparisons:
        tested = (f" ({comparisons[soup_comparison_key('test', 'delta')]:+.4f} against the best trial, "
                  f"p={comparisons[soup_comparison_key('test', 'p')]:.2f}; for reference, never used to pick)")
    summary = (f"soup: soup-{soup.method} ({recipe}): eval {settings.metric_key} {evaluation[settings.metric_key]:.4f}, "
               f"{line}; test {test.get(TEST_PREFIX + settings.metric_key, float('nan')):.4f}{tested}; logged as {uri}")
    sweep_run.set_tags({names.SOUP: summary})
    sweep_run.log_metrics({time_key(phase): seconds for phase, seconds in cook.seconds.items()})
    say(summary + (f"; over a guard: {'; '.join(over)}" if over else ""))
    return run.run_id


def _against_the_best_trial(run: TrialRun, best: Ingredient, value: float, test: dict, settings: SoupSettings) -> tuple[dict, str]:
    """The paired tests of the soup against the best trial over the same items: on eval, as the leaderboard shows it
    ("better than best trial demo-3 (+0.0120, p=0.030)", "≈ best trial demo-3 (+0.0021, p=0.41)"); on test, recorded for
    reference and never used to pick."""
    metric, client = settings.metric_key, run.client
    figures, words = {}, ""
    for split, ours_value, theirs_value in (("eval", value, best.value),
                                            ("test", test.get(TEST_PREFIX + metric), None)):
        ours, theirs = per_query_scores(client, run.run_id, split, metric), per_query_scores(client, best.run_id, split, metric)
        if ours is None or theirs is None:
            continue
        p_value, _ = paired_p_value(ours, theirs, metric)
        if theirs_value is None:
            theirs_value = client.get_run(best.run_id).data.metrics.get(TEST_PREFIX + metric)
        if ours_value is None or theirs_value is None:
            continue
        delta = ours_value - theirs_value
        figures[soup_comparison_key(split, "delta")], figures[soup_comparison_key(split, "p")] = delta, p_value
        if split == "eval":
            if p_value >= settings.alpha:
                words = f"≈ best trial {best.run_name} ({delta:+.4f}, p={p_value:.2f})"
            else:
                direction = "better than" if Goal(settings.mode).better(ours_value, theirs_value) else "worse than"
                words = f"{direction} best trial {best.run_name} ({delta:+.4f}, p={p_value:.3f})"
    return figures, words or f"no paired scores to test against {best.run_name}"
