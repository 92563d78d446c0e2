"""The sweep's own model, after its trials: the best trials' weights averaged (a soup, greedy or uniform), optionally
blended back toward the base model so it forgets less, judged like a trial."""

from sweeps.soups.ingredient import Ingredient
from sweeps.soups.soup_cook import BlendPoint, Soup, SoupCook
from sweeps.soups.sweep_soup import SoupSettings, make_sweep_soup
from sweeps.soups.weight_sum import WeightSum

__all__ = ["BlendPoint", "Ingredient", "Soup", "SoupCook", "SoupSettings", "WeightSum", "make_sweep_soup"]
