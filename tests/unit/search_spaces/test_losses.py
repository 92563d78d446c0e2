"""The loss registry against the library it names: every class exists and takes the keywords the table passes it,
read from the constructors' own signatures (as the TrainingArguments snapshot holds the argument fields)."""

import inspect

import pytest

from search_spaces.data_formats import DATA_FORMATS
from search_spaces.losses import LOSSES


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_each_loss_parameter_is_a_keyword_of_its_class(name):
    spec = LOSSES[name]
    accepted = inspect.signature(spec.loss_class().__init__).parameters
    missing = [parameter.keyword for parameter in spec.parameters.values() if parameter.keyword not in accepted]
    assert missing == [], f"{spec.class_name} takes none of {missing}"
    assert spec.data_format in DATA_FORMATS or spec.wraps_a_loss


def test_each_wrapper_declares_what_it_wraps():
    """MatryoshkaLoss wraps a gradient-cache loss (sentence-transformers decorates it); the per-layer wrappers can't,
    as their docs say; no wrapper wraps a wrapper."""
    wrappers = {name: spec for name, spec in LOSSES.items() if spec.wraps_a_loss}
    assert set(wrappers) == {"MatryoshkaLoss", "Matryoshka2dLoss", "AdaptiveLayerLoss"}
    cached = LOSSES["CachedMultipleNegativesRankingLoss"]
    assert wrappers["MatryoshkaLoss"].can_wrap(cached)
    assert not wrappers["Matryoshka2dLoss"].can_wrap(cached) and not wrappers["AdaptiveLayerLoss"].can_wrap(cached)
    assert not any(spec.can_wrap(other) for spec in wrappers.values() for other in wrappers.values())
    assert all(spec.can_wrap(LOSSES["MultipleNegativesRankingLoss"]) for spec in wrappers.values())
