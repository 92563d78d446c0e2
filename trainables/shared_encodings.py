"""One encoding per text in an evaluation. A retrieval evaluation's triplets are its own queries, their relevant
passages and distractors of the same corpus, so the retrieval and triplet evaluators embed almost the same texts:
each is encoded once per evaluation, not once per evaluator.

The evaluators are sentence-transformers' own. Only `embed_inputs`, the method each of them calls to embed its
inputs, looks the texts up first, in a cache that `SharedEncodingEvaluator` empties at every call: one call is
one model state.
"""

from __future__ import annotations

from sentence_transformers.sentence_transformer.evaluation import (
    InformationRetrievalEvaluator,
    SequentialEvaluator,
    TripletEvaluator,
)


class EncodingCache:
    def __init__(self):
        self._vectors: dict = {}

    def clear(self) -> None:
        self._vectors.clear()

    def embed(self, sentences, how: tuple, encode):
        """`encode(texts)`'s embeddings of `sentences` (a tensor), encoding only the texts not seen in the same `how`."""
        import torch

        texts = list(sentences)
        if not texts or not all(isinstance(text, str) for text in texts):
            return encode(sentences)
        keys = [(how, text) for text in texts]
        missing = list(dict.fromkeys(key for key in keys if key not in self._vectors))
        if missing:
            fresh = encode([text for _, text in missing])
            self._vectors.update(zip(missing, fresh if torch.is_tensor(fresh) else torch.from_numpy(fresh)))
        vectors = [self._vectors[key] for key in keys]
        # The retrieval evaluator's embeddings stay on the model's device; the triplet evaluator's come back on the CPU.
        return torch.stack([vector.to(vectors[0].device) for vector in vectors])


def _how(encode_fn_name, prompt_name, prompt, truncate_dim, kwargs: dict) -> tuple:
    return encode_fn_name, prompt_name, prompt, truncate_dim, repr(sorted(kwargs.items()))


class SharedRetrievalEvaluator(InformationRetrievalEvaluator):
    def __init__(self, *args, cache: EncodingCache, **kwargs):
        super().__init__(*args, **kwargs)
        self.cache = cache

    def embed_inputs(self, model, sentences, encode_fn_name=None, prompt_name=None, prompt=None, **kwargs):
        def encode(texts):
            return super(SharedRetrievalEvaluator, self).embed_inputs(model, texts, encode_fn_name, prompt_name, prompt, **kwargs)

        return self.cache.embed(sentences, _how(encode_fn_name, prompt_name, prompt, self.truncate_dim, kwargs), encode)


class SharedTripletEvaluator(TripletEvaluator):
    """TripletEvaluator with prompts (it takes none): the anchor gets `anchor_prompt` and the others `other_prompt`,
    passed to the encoder as the retrieval evaluator passes its own, so both find the same embeddings. Each call
    keeps every triplet's outcome (`last_outcomes`), from the embeddings it scored."""

    def __init__(self, *args, cache: EncodingCache, anchor_prompt: str | None, other_prompt: str | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.cache = cache
        self.prompts = {"query": anchor_prompt, "document": other_prompt}
        self.last_outcomes: list[bool] = []

    def embed_inputs(self, model, sentences, encode_fn_name=None, **kwargs):
        prompt = self.prompts.get(encode_fn_name)

        def encode(texts):
            return super(SharedTripletEvaluator, self).embed_inputs(model, texts, encode_fn_name, prompt=prompt, **kwargs)

        return self.cache.embed(sentences, _how(encode_fn_name, None, prompt, self.truncate_dim, kwargs), encode).cpu().numpy()

    def __call__(self, model, output_path: str | None = None, epoch: int = -1, steps: int = -1) -> dict[str, float]:
        import torch
        from sentence_transformers.util import pairwise_cos_sim

        metrics = super().__call__(model, output_path, epoch, steps)
        anchors, positives, negatives = (torch.from_numpy(self.embed_inputs(model, texts, encode_fn_name=kind)) for texts, kind in
                                         ((self.anchors, "query"), (self.positives, "document"), (self.negatives, "document")))
        self.last_outcomes = (pairwise_cos_sim(anchors, positives) > pairwise_cos_sim(anchors, negatives)).tolist()
        return metrics


class SharedEncodingEvaluator(SequentialEvaluator):
    """A SequentialEvaluator whose evaluators share one cache, emptied as each call starts."""

    def __init__(self, evaluators, cache: EncodingCache, main_score_function=lambda scores: scores[0]):
        super().__init__(evaluators, main_score_function=main_score_function)
        self.cache = cache

    def __call__(self, model, output_path: str | None = None, epoch: int = -1, steps: int = -1) -> dict[str, float]:
        self.cache.clear()
        return super().__call__(model, output_path, epoch, steps)
