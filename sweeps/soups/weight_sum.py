"""A running float32 sum of models' weights: the soup's ingredients are added one at a time, so souping holds this sum
and the one model being read, whatever the number of ingredients."""

from __future__ import annotations


class WeightSum:
    """The floating-point tensors of `model.state_dict()`, summed in float32. Integer buffers (BERT's position ids) are
    not averaged: every ingredient must hold the same, and the model written into keeps its own."""

    def __init__(self):
        self.total: dict = {}
        self.count = 0

    def mismatch(self, model) -> str | None:
        """Why `model`'s weights can't join the sum (names or shapes differ from those summed so far), or None."""
        if not self.total:
            return None
        state = model.state_dict()
        summed = {name for name, tensor in state.items() if tensor.is_floating_point()}
        if summed != set(self.total):
            missing, extra = sorted(set(self.total) - summed), sorted(summed - set(self.total))
            return f"its parameter names differ ({len(missing)} missing, e.g. {missing[:2]}; {len(extra)} more, e.g. {extra[:2]})"
        for name in sorted(summed):
            if tuple(state[name].shape) != tuple(self.total[name].shape):
                return f"{name} has shape {tuple(state[name].shape)}, not {tuple(self.total[name].shape)}"
        return None

    def add(self, model, sign: int = 1) -> None:
        import torch

        with torch.no_grad():
            for name, tensor in model.state_dict().items():
                if not tensor.is_floating_point():
                    continue
                if name not in self.total:
                    self.total[name] = tensor.detach().to(device="cpu", dtype=torch.float32, copy=True)
                else:
                    self.total[name].add_(tensor.detach().to(device="cpu", dtype=torch.float32), alpha=sign)
        self.count += sign

    def subtract(self, model) -> None:
        """Take an ingredient back out (a greedy soup's rejected candidate)."""
        self.add(model, sign=-1)

    def write_mean_into(self, model, alpha: float = 0.0, base: dict | None = None) -> None:
        """Set `model`'s weights to the mean, or with `base` (a state dict) to (1 − α)·mean + α·base, computed in float32
        and cast to each parameter's own dtype. Copied into the model's own tensors, so weights tied there stay tied."""
        import torch

        with torch.no_grad():
            for name, tensor in model.state_dict().items():
                if name not in self.total:
                    continue
                mean = self.total[name] / self.count
                if base is not None and alpha:
                    mean = mean.mul_(1 - alpha).add_(base[name].to(device="cpu", dtype=torch.float32), alpha=alpha)
                tensor.copy_(mean.to(tensor.device))
