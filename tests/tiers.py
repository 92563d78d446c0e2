"""What a test costs, cheapest first (pyproject.toml describes each). Every test carries exactly one."""

from pathlib import Path

TIERS = ("unit", "component", "sweep", "real_model", "cluster", "browser")
# ../shared/data beside the repository: read there, never copied; a fresh clone has none.
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
