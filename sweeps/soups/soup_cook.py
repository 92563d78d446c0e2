"""Making a soup from ingredients: Wortsman et al.'s greedy recipe (each trial, best first, joins only if the soup's eval
metric does not drop) or the uniform mean, then the blend with the base model at each α. No MLflow here: the sweep's
soup step (sweep_soup.py) and benchmarks/soup.py cook alike."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sweeps.soups.ingredient import Ingredient, architecture, architecture_difference, compatible_with_the_best
from sweeps.soups.weight_sum import WeightSum
from trainables.contract.goal import Goal
from trainables.contract.metrics import SOUP_TIME_PHASES

AVERAGING, EVALUATING = SOUP_TIME_PHASES


@dataclass
class GreedyStep:
    run_name: str
    value: float  # the soup's eval metric with this trial in
    joined: bool


@dataclass
class Soup:
    method: str
    ingredients: list[Ingredient]  # in the soup, best first
    weights: WeightSum
    left_out: list[str] = field(default_factory=list)  # "<run>: why", for trials kept out before any tasting
    steps: list[GreedyStep] = field(default_factory=list)  # greedy's tastings, in order
    value: float | None = None  # the soup's eval metric, where greedy measured it

    @property
    def best(self) -> Ingredient:
        return self.ingredients[0]

    def recipe(self) -> dict:
        share = 1 / len(self.ingredients)
        return {"method": self.method, "ingredients": [{"run": item.run_name, "run_id": item.run_id, "trial_id": item.trial_id,
                                                        "eval": item.value, "weight": share} for item in self.ingredients],
                "left_out": self.left_out, "greedy_steps": [vars(step) for step in self.steps]}


@dataclass
class BlendPoint:
    alpha: float
    value: float  # the eval metric
    guards: dict[str, float] = field(default_factory=dict)  # guard_<name>_<metric> and guard_<name>_drop
    over: list[str] = field(default_factory=list)  # each guard whose max_drop it passes, in words


class SoupCook:
    """`load(folder)`: a model from a kept checkpoint, set to encode as the best trial does; `score(model)`: its eval
    metric. Time spent reading and averaging weights, and evaluating, is counted apart (`seconds`)."""

    def __init__(self, load: Callable[[str], object], score: Callable[[object], float], mode: str):
        self.load, self.score, self.goal = load, score, Goal(mode)
        self.seconds = {AVERAGING: 0.0, EVALUATING: 0.0}

    @contextlib.contextmanager
    def timed(self, phase: str):
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[phase] += time.perf_counter() - started

    def cook(self, method: str, ingredients: list[Ingredient]) -> Soup:
        """`ingredients`: best first. Those that can't be averaged with the best are left out, each with its reason."""
        ingredients, left_out = compatible_with_the_best(ingredients)
        best, weights = ingredients[0], WeightSum()
        soup = Soup(method, [best], weights, left_out)
        with best.folder() as folder:
            with self.timed(AVERAGING):
                model = self.load(folder)
            reference = architecture(model)
            with self.timed(AVERAGING):
                weights.add(model)
            if method == "greedy":  # the best trial alone scores what its kept checkpoint scored: no need to evaluate it again
                soup.value = best.value
                soup.steps.append(GreedyStep(best.run_name, soup.value, True))
            model = None  # one model at a time beside the sum
        for ingredient in ingredients[1:]:
            with ingredient.folder() as folder:
                with self.timed(AVERAGING):
                    model = self.load(folder)
                why = architecture_difference(model, reference) or weights.mismatch(model)
                if why:
                    soup.left_out.append(f"{ingredient.run_name}: {why}")
                    continue
                with self.timed(AVERAGING):
                    weights.add(model)
                if method == "uniform":
                    soup.ingredients.append(ingredient)
                    model = None
                    continue
                # The candidate soup is written into the ingredient's own model: no third copy of the weights.
                with self.timed(AVERAGING):
                    weights.write_mean_into(model)
                with self.timed(EVALUATING):
                    value = self.score(model)
                    joined = not self.goal.better(soup.value, value)
                model = None
                soup.steps.append(GreedyStep(ingredient.run_name, value, joined))
                if joined:
                    soup.ingredients.append(ingredient)
                    soup.value = value
                else:  # read again to take it back out: its weights were overwritten by the candidate's
                    with self.timed(AVERAGING):
                        weights.subtract(self.load(folder))
        return soup

    def vessel(self, soup: Soup):
        """A model holding the soup's weights: the best trial's, overwritten with the mean."""
        with soup.best.folder() as folder:
            with self.timed(AVERAGING):
                model = self.load(folder)
        with self.timed(AVERAGING):
            soup.weights.write_mean_into(model)
        return model

    def blend(self, soup: Soup, vessel, base, alphas: list[float], measure: Callable[[object], BlendPoint]) -> list[BlendPoint]:
        """The soup at each α toward `base` (a model with the same weights' names), measured by `measure(model)`; the
        vessel is left at α 0. α 0 is the soup itself, always measured."""
        base_state = base.state_dict()
        points = []
        for alpha in sorted({0.0, *alphas}):
            with self.timed(AVERAGING):
                soup.weights.write_mean_into(vessel, alpha, base_state)
            with self.timed(EVALUATING):
                point = measure(vessel)
            point.alpha = alpha
            points.append(point)
        with self.timed(AVERAGING):
            soup.weights.write_mean_into(vessel)
        return points

    def pick(self, points: list[BlendPoint]) -> BlendPoint:
        """The best eval metric among the points within every guard's max_drop (the smaller α on a tie); when none is,
        the best of all, which promotion will pass over as it does a trial over a guard."""
        within = [point for point in points if not point.over] or points
        return min(within, key=lambda point: (self.goal.best_first(point.value), point.alpha))
