"""What a test costs, cheapest first (pyproject.toml describes each). Every test carries exactly one."""

from pathlib import Path

import pytest

TIERS = ("unit", "component", "sweep", "real_model", "cluster", "browser")
# ../shared/data beside the repository: read there, never copied; a fresh clone has none.
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def mark_folder(items, folder: str, tier: str) -> None:
    """Each test under `folder` is a `tier` test unless it names its own tier."""
    for item in items:
        if str(item.path).startswith(folder + "/") and not any(item.get_closest_marker(name) for name in TIERS):
            item.add_marker(getattr(pytest.mark, tier))
