import pytest

from tiers import TIERS


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """A test here is a `unit` test unless it names its own tier."""
    here = __file__.rsplit("/", 1)[0]
    for item in items:
        if str(item.path).startswith(here + "/") and not any(item.get_closest_marker(tier) for tier in TIERS):
            item.add_marker(pytest.mark.unit)
