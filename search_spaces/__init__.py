from search_spaces.losses import LOSSES, LossSpec

__all__ = ["LOSSES", "LossSpec"]
