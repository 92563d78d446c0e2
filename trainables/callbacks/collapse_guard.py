"""Stop a trial whose model collapsed: every text embedded to (nearly) the same vector. Its retrieval scores then come
from the evaluator's tie order, not from a ranking (at lr 10 such a model ranked best on eval NDCG@10, 0.097 against
the baseline's 0.030, and tested at 0.000), so it must never be ranked, kept or promoted."""

from __future__ import annotations

from transformers import TrainerCallback

# Mean pairwise cosine of a sample of eval texts at which a model no longer tells texts apart. A sound model, even an
# untrained small BERT, stays well below (measured in tests/component/test_trial_function.py).
COLLAPSED_AT = 0.999
SAMPLE_TEXTS = 64


def eval_texts(evaluation_set, count: int = SAMPLE_TEXTS) -> list[str]:
    """A fixed sample of the eval split's texts of every kind: queries and passages, both sentences, the texts."""
    pools = evaluation_set.text_pools()
    texts = [text for pool in pools for text in pool[: count // 2] if isinstance(text, str)]
    return list(dict.fromkeys(texts))[:count]


def mean_pairwise_cosine(model, texts: list[str], prompt: str | None = None) -> float:
    import torch

    embeddings = model.encode(texts, convert_to_tensor=True, normalize_embeddings=True, prompt=prompt, show_progress_bar=False)
    similarity = embeddings @ embeddings.T
    count = len(texts)
    return float((similarity.sum() - similarity.diagonal().sum()) / (count * (count - 1))) if count > 1 else float(torch.nan)


class CollapseGuard(TrainerCallback):
    """Measures the spread at each evaluation (before the evaluation is reported) and stops training when it is gone."""

    def __init__(self, texts: list[str], prompt: str | None = None):
        self.texts, self.prompt = texts, prompt
        self.step: int | None = None
        self.cosine: float | None = None
        self.last_cosine: float | None = None

    @property
    def tripped(self) -> bool:
        return self.step is not None

    def on_evaluate(self, args, state, control, model=None, **kwargs):
        if model is None or len(self.texts) < 2 or self.tripped:
            return
        from sentence_transformers import SentenceTransformer

        if not isinstance(model, SentenceTransformer):
            return
        self.last_cosine = mean_pairwise_cosine(model, self.texts, self.prompt)
        if self.last_cosine >= COLLAPSED_AT:
            self.step, self.cosine = state.global_step, self.last_cosine
            control.should_training_stop = True
            control.should_save = False

    def reason(self, hyperparameters: dict) -> str:
        rate = hyperparameters.get("learning_rate")
        return (f"collapsed at step {self.step} (learning_rate={rate}): every text embeds to nearly the same vector (mean "
                f"pairwise cosine {self.cosine:.4f} over {len(self.texts)} eval texts), so its ranking is the evaluator's tie "
                "order. Lower learning_rate")
