"""The wrapping losses as the registry builds them, on the tiny BERT: each wraps the inner loss it is given, at the
sizes it is given, and one optimizer step through it moves the model."""

import pytest

from search_spaces.losses import build_loss


@pytest.mark.parametrize("wrapper", ["MatryoshkaLoss", "Matryoshka2dLoss", "AdaptiveLayerLoss"])
def test_a_wrapper_trains_its_inner_loss(tiny_model_dir, wrapper):
    import torch
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(tiny_model_dir), device="cpu")
    config = {"loss": wrapper, "inner_loss": "MultipleNegativesRankingLoss", "base_model": "tiny"}
    if wrapper != "AdaptiveLayerLoss":
        config["matryoshka_dims"] = [32, 16, 8]
    loss = build_loss(config, model)
    chain = [loss]  # Matryoshka2dLoss is an AdaptiveLayerLoss around a MatryoshkaLoss
    while hasattr(chain[-1], "loss"):
        chain.append(chain[-1].loss)
    assert type(loss).__name__ == wrapper and type(chain[-1]).__name__ == "MultipleNegativesRankingLoss"
    sizes = [list(link.matryoshka_dims) for link in chain if hasattr(link, "matryoshka_dims")]
    assert sizes == ([] if wrapper == "AdaptiveLayerLoss" else [[32, 16, 8]])
    anchors = ["open a file", "sort a list", "join two paths", "read a line"]
    positives = ["open() returns a file object", "list.sort() sorts in place", "os.path.join joins paths", "readline reads one line"]
    features = [model.tokenize(anchors), model.tokenize(positives)]
    before = [parameter.detach().clone() for parameter in model.parameters()]
    value = loss(features, labels=None)
    assert torch.isfinite(value)
    value.backward()
    torch.optim.SGD(model.parameters(), lr=0.1).step()
    assert any(not torch.equal(old, new.detach()) for old, new in zip(before, model.parameters()))
