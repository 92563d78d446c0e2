"""A serving variant's codes and scores, against rankings worked out by hand on a toy corpus."""

import numpy as np
import pytest

from trainables.contract.metrics import rename_evaluator_metrics
from trainables.contract.serving import ServingVariant, split_variant_key, variants_of
from trainables.evaluation.serving_variant_scorer import pair_similarities, similarities, variant_codes

# Four dimensions; the calibration embeddings span [-1, 1] in every one, so an int8 step is 2/255.
CALIBRATION = np.array([[-1.0, -1.0, -1.0, -1.0], [1.0, 1.0, 1.0, 1.0]], dtype=np.float32)
QUERY = np.array([[0.9, 0.1, -0.5, 0.0]], dtype=np.float32)
CORPUS = np.array([[0.8, 0.2, -0.4, 0.1],     # close to the query in every sign and size
                   [0.9, -0.9, 0.9, -0.9],    # a large first dimension, every other one against it
                   [-0.1, 0.1, -0.5, 0.05],   # the query's signs but for the first
                   [0.1, 0.1, -0.1, 0.1]], dtype=np.float32)  # the query's signs but for the last, all small


def int8_by_hand(vector):
    # quantize_embeddings: floor((x - min) / step) clipped to 0..255, less 128; min -1, step 2/255
    return [int(np.clip(np.floor((x + 1) / (2 / 255)), 0, 255)) - 128 for x in vector]


def test_int8_ranks_by_the_inner_product_of_codes_calibrated_on_the_given_embeddings():
    variant = ServingVariant(4, "int8")
    query, corpus = variant_codes(QUERY, variant, CALIBRATION), variant_codes(CORPUS, variant, CALIBRATION)
    assert query.dtype == np.int8 and query[0].tolist() == int8_by_hand(QUERY[0])
    hand_query = np.array(int8_by_hand(QUERY[0]))
    hand_scores = [int(hand_query @ np.array(int8_by_hand(row))) for row in CORPUS]
    assert similarities(query, corpus, "int8")[0].tolist() == hand_scores
    # by hand: query codes (114, 12, -65, -1); inner products 15182, 4310, 2768, 2410. The codes' inner product is no
    # cosine (semantic_search_usearch's int8 index is metric="ip"): the large second passage comes before the small last
    # one, which the float cosine puts second (0.73 against 0.15).
    assert hand_scores == [15182, 4310, 2768, 2410]
    with pytest.raises(ValueError, match="calibration"):
        variant_codes(QUERY, variant, None)


def test_the_calibration_sets_the_ranges():
    """Codes of the same vector differ with the calibration: the ranges come from it, not from the vectors coded."""
    narrow = CALIBRATION * 0.5
    assert variant_codes(QUERY, ServingVariant(4, "int8"), narrow).tolist() != variant_codes(QUERY, ServingVariant(4, "int8"), CALIBRATION).tolist()


def test_binary_ranks_by_hamming_distance_of_the_signs():
    # signs: query 1,1,0,0 (0.0 is not > 0); corpus 1,1,0,1 / 1,0,1,0 / 0,1,0,1 / 1,1,0,1 -> distances 1, 2, 2, 1
    for precision in ("binary", "ubinary"):
        variant = ServingVariant(4, precision)
        query, corpus = variant_codes(QUERY, variant), variant_codes(CORPUS, variant)
        assert query[0].tolist() == [1, 1, 0, 0]
        assert similarities(query, corpus, precision)[0].tolist() == [-1, -2, -2, -1]
        assert pair_similarities(np.repeat(query, 4, axis=0), corpus, precision).tolist() == [-1, -2, -2, -1]


def test_a_cut_keeps_the_first_dimensions_and_scores_by_cosine():
    variant = ServingVariant(2)
    query, corpus = variant_codes(QUERY, variant), variant_codes(CORPUS, variant)
    assert corpus.tolist() == CORPUS[:, :2].tolist()
    cosines = [float(np.dot(QUERY[0, :2], row[:2]) / np.linalg.norm(QUERY[0, :2]) / np.linalg.norm(row[:2])) for row in CORPUS]
    assert similarities(query, corpus, "float32")[0] == pytest.approx(cosines, abs=1e-6)
    with pytest.raises(ValueError, match="at most the model's embedding dimension"):
        variant_codes(QUERY, ServingVariant(8))


def test_variant_keys_are_mlflow_safe_and_read_back():
    import re

    key = ServingVariant(128, "int8").key("ndcg_at_10")
    assert key == "ndcg_at_10-128d-int8" and re.fullmatch(r"[\w\-. /]+", key)
    assert split_variant_key(key) == ("ndcg_at_10", ServingVariant(128, "int8"))
    assert split_variant_key("ndcg_at_10") == ("ndcg_at_10", None)
    assert split_variant_key("spearman_cosine-64d-binary") == ("spearman_cosine", ServingVariant(64, "binary"))
    # the trainer prefixes eval_; a variant key of ours passes through, anything else is dropped as before
    assert rename_evaluator_metrics({"eval_ndcg_at_10-128d-int8": 0.5, "eval_bogus-128d-int8": 1.0}) == {"ndcg_at_10-128d-int8": 0.5}


def test_bytes_per_vector():
    assert [variant.bytes_per_vector for variant in variants_of([384, 100], ["float32", "int8", "binary"])] == [1536, 384, 48, 400, 100, 13]
