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
