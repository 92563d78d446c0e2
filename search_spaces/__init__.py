from search_spaces.data_formats import DATA_FORMATS, DataFormat
from search_spaces.losses import LOSSES, LossSpec
from search_spaces.space import OptunaSpace, grid_configs, random_configs

__all__ = ["DATA_FORMATS", "DataFormat", "LOSSES", "LossSpec", "OptunaSpace", "grid_configs", "random_configs"]
