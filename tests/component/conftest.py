import pytest
from tiers import mark_folder


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    mark_folder(items, __file__.rsplit("/", 1)[0], "component")
