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


QUERY_CHUNK = 256


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
    """Its figures count tied scores as ties (`trainables.evaluation.tied_rankings`), from the embeddings its own call encoded
    (the cache holds them); each call keeps every query's figures (`last_per_query`)."""

    def __init__(self, *args, cache: EncodingCache, **kwargs):
        super().__init__(*args, **kwargs)
        self.cache = cache
        # {score function: {family: {cutoff: {query id: figure}}}}, of the latest call
        self.last_per_query: dict[str, dict[str, dict[int, dict[str, float]]]] = {}

    def compute_all_metrics(self, model, corpus_model=None, corpus_embeddings=None, output_path: str | None = None):
        import numpy as np

        scores = super().compute_all_metrics(model, corpus_model, corpus_embeddings, output_path)
        queries, corpus_embeddings = self.encodings(model, corpus_model, corpus_embeddings)
        self.last_per_query = {}
        for name, score_function in self.score_functions.items():
            def score_rows(start, stop, score_function=score_function):
                return score_function(queries[start:stop], corpus_embeddings).float().cpu().numpy().astype(np.float64)

            figures = self.ranked_figures(score_rows)
            scores[name] = {family: {k: float(np.mean(values)) for k, values in by_cutoff.items()} for family, by_cutoff in figures.items()}
            self.last_per_query[name] = self.by_query(figures)
        return scores

    def encodings(self, model, corpus_model=None, corpus_embeddings=None) -> tuple:
        """(query embeddings, corpus embeddings) of this call: from the cache, which the call's own encoding filled."""
        queries = self.embed_inputs(model, self.queries, encode_fn_name="query", prompt_name=self.query_prompt_name, prompt=self.query_prompt)
        if corpus_embeddings is None:
            corpus_embeddings = self.embed_inputs(corpus_model or model, self.corpus, encode_fn_name="document",
                                                  prompt_name=self.corpus_prompt_name, prompt=self.corpus_prompt)
        return queries, corpus_embeddings

    def ranked_figures(self, score_rows) -> dict[str, dict[int, list[float]]]:
        """Each query's figure at every family and cutoff, {family: {cutoff: [figure per query]}}, from
        `score_rows(start, stop)`: those queries' scores against the whole corpus (float64, higher is closer)."""
        from trainables.evaluation.tied_rankings import tie_aware_scores

        column = {corpus_id: index for index, corpus_id in enumerate(self.corpus_ids)}
        relevant = [[column[doc] for doc in self.relevant_docs[query_id] if doc in column] for query_id in self.queries_ids]
        counts = [len(self.relevant_docs[query_id]) for query_id in self.queries_ids]
        cutoffs = {"accuracy@k": self.accuracy_at_k, "precision@k": self.precision_recall_at_k, "recall@k": self.precision_recall_at_k,
                   "mrr@k": self.mrr_at_k, "ndcg@k": self.ndcg_at_k, "map@k": self.map_at_k}
        figures = {family: {k: [] for k in ks} for family, ks in cutoffs.items()}
        for start in range(0, len(relevant), QUERY_CHUNK):  # a chunk's scores against the whole corpus at a time
            stop = start + QUERY_CHUNK
            chunk = tie_aware_scores(score_rows(start, stop), relevant[start:stop], cutoffs, counts[start:stop])
            for family, by_cutoff in chunk.items():
                for k, values in by_cutoff.items():
                    figures[family][k].extend(values)
        return figures

    def by_query(self, figures: dict[str, dict[int, list[float]]]) -> dict[str, dict[int, dict[str, float]]]:
        return {family: {k: dict(zip(self.queries_ids, values)) for k, values in by_cutoff.items()} for family, by_cutoff in figures.items()}

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

    def encodings(self, model) -> tuple:
        """(anchor, positive, negative) embeddings of this call (numpy), from the cache its own encoding filled."""
        return tuple(self.embed_inputs(model, texts, encode_fn_name=kind) for texts, kind in
                     ((self.anchors, "query"), (self.positives, "document"), (self.negatives, "document")))

    def __call__(self, model, output_path: str | None = None, epoch: int = -1, steps: int = -1) -> dict[str, float]:
        import torch
        from sentence_transformers.util import pairwise_cos_sim

        metrics = super().__call__(model, output_path, epoch, steps)
        anchors, positives, negatives = (torch.from_numpy(embeddings) for embeddings in self.encodings(model))
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
