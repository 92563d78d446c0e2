"""Parameters, conditions, spaces, searchers and schedulers, the loss registry, and the keys of a trial's report.

Modules that need Ray (searchers, schedulers) are not re-exported here, so this package loads without it.
"""

from search_spaces.data_formats import DATA_FORMATS, DataFormat
from search_spaces.losses import LOSSES, LossSpec
from search_spaces.space import OptunaSpace, grid_configs

__all__ = ["DATA_FORMATS", "DataFormat", "LOSSES", "LossSpec", "OptunaSpace", "grid_configs"]
