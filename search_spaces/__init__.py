"""Parameters, conditions, spaces, samplers, the loss registry and the data formats, all without Ray: Tune's
searchers and schedulers are in sweeps/search/, beside the Tuner."""

from search_spaces.data_formats import DATA_FORMATS, DataFormat
from search_spaces.losses import LOSSES, LossSpec
from search_spaces.space import OptunaSpace, grid_configs

__all__ = ["DATA_FORMATS", "DataFormat", "LOSSES", "LossSpec", "OptunaSpace", "grid_configs"]
