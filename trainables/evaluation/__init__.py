"""How a trial's model is judged: the task's evaluators (evaluators.py), sharing one encoding per text
(shared_encodings.py), with tie-aware retrieval figures (tied_rankings.py), each item's score kept for intervals and
paired tests (item_keeping_evaluator.py), the kNN vote (knn_accuracy_evaluator.py) and the guard sets
(guard_evaluator.py). Imported by module: nothing here loads sentence-transformers until it is used."""
