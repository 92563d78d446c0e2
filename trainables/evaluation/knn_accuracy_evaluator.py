"""knn_accuracy: how often an eval text's nearest training rows (cosine) vote for its label. sentence-transformers has
no such evaluator; scikit-learn's KNeighborsClassifier does the vote, on the model's embeddings."""

from __future__ import annotations

from sentence_transformers.sentence_transformer.evaluation import SentenceEvaluator

from trainables.contract.metrics import KNN_NEIGHBOURS


class KnnAccuracyEvaluator(SentenceEvaluator):
    def __init__(self, texts: list[str], labels: list, reference_texts: list[str], reference_labels: list, name: str,
                 neighbours: int = KNN_NEIGHBOURS, batch_size: int = 64, prompt: str | None = None):
        super().__init__()
        self.texts, self.labels = list(texts), list(labels)
        self.reference_texts, self.reference_labels = list(reference_texts), list(reference_labels)
        self.name, self.neighbours, self.batch_size, self.prompt = name, neighbours, batch_size, prompt
        self.last_correct: list[bool] = []  # each eval text's outcome in the latest call: per-item scores without a second vote
        self.last_embeddings: tuple = ()  # (training rows, eval texts) of the latest call
        self.primary_metric = "accuracy"
        self.greater_is_better = True

    def correct(self, model) -> list[bool]:
        """Whether each eval text's neighbours vote for its own label; the embeddings voted on stay in `last_embeddings`."""
        from sklearn.neighbors import KNeighborsClassifier

        def encode(texts):
            return model.encode(texts, prompt=self.prompt, batch_size=self.batch_size, show_progress_bar=False, convert_to_numpy=True)

        self.last_embeddings = reference, texts = encode(self.reference_texts), encode(self.texts)
        vote = KNeighborsClassifier(n_neighbors=self._neighbours, metric="cosine")
        vote.fit(reference, self.reference_labels)
        return [predicted == label for predicted, label in zip(vote.predict(texts).tolist(), self.labels)]

    def correct_by_similarity(self, similarity) -> list[bool]:
        """The same vote under another closeness: `similarity` is each eval text's (rows) against each training row, higher closer."""
        import numpy as np
        from sklearn.neighbors import KNeighborsClassifier

        distances = similarity.max() - similarity  # non-negative, the nearest first, as a precomputed metric must be
        reference_distances = np.zeros((len(self.reference_labels), len(self.reference_labels)))  # fit reads only the labels' shape
        vote = KNeighborsClassifier(n_neighbors=self._neighbours, metric="precomputed")
        vote.fit(reference_distances, self.reference_labels)
        return [predicted == label for predicted, label in zip(vote.predict(distances).tolist(), self.labels)]

    @property
    def _neighbours(self) -> int:
        return min(self.neighbours, len(self.reference_texts))

    def __call__(self, model, output_path: str | None = None, epoch: int = -1, steps: int = -1) -> dict[str, float]:
        correct = self.last_correct = self.correct(model)
        metrics = self.prefix_name_to_metrics({"accuracy": sum(correct) / len(correct)}, self.name)
        self.store_metrics_in_model_card_data(model, metrics, epoch, steps)
        return metrics
