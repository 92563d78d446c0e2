"""What the learning check costs a trial: its two reads of the weights against one optimizer step, on all-MiniLM-L6-v2
(the shipped weights), MNRL at a batch of 16 query/passage pairs of the shipped pydocs data, on this machine's CPU.

    python benchmarks/learning_check.py [--batch 16] [--max-seq-length 64] [--steps 10] [--repeats 200]

The check reads a fixed sample of every trainable tensor once when training starts and once after its first steps,
and compares the two; nothing runs at any other step. Both figures come from one invocation.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--max-seq-length", type=int, default=64)
    parser.add_argument("--steps", type=int, default=10, help="optimizer steps timed (after 2 warm-up steps)")
    parser.add_argument("--repeats", type=int, default=200, help="times the check's reads and comparison are timed")
    args = parser.parse_args()

    import torch
    from sentence_transformers import SentenceTransformer, losses

    from sweeps.sweep_file.model_refs import shipped_model_folder
    from trainables.callbacks.learning_check import weight_sample

    torch.manual_seed(0)
    model = SentenceTransformer(str(shipped_model_folder("all-MiniLM-L6-v2")), device="cpu")
    model.max_seq_length = args.max_seq_length
    rows = [json.loads(line) for line in (REPO / "examples/data/pydocs.jsonl").read_text().splitlines()]
    loss = losses.MultipleNegativesRankingLoss(model)
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-5)

    def step(number: int) -> None:
        batch = rows[(number * args.batch) % (len(rows) - args.batch):][: args.batch]
        features = [model.preprocess([row["query"] for row in batch]), model.preprocess([row["passage"] for row in batch])]
        optimizer.zero_grad()
        loss(features, None).backward()
        optimizer.step()

    for number in range(2):
        step(number)
    started = time.perf_counter()
    for number in range(args.steps):
        step(number + 2)
    step_seconds = (time.perf_counter() - started) / args.steps

    timings = []
    for _ in range(args.repeats):
        started = time.perf_counter()
        before, after = weight_sample(model), weight_sample(model)
        all(torch.equal(old, new) for old, new in zip(before, after))
        timings.append(time.perf_counter() - started)
    check_seconds = statistics.median(timings)
    tensors = len(weight_sample(model))
    parameters = sum(parameter.numel() for parameter in model.parameters())

    print(f"all-MiniLM-L6-v2: {parameters / 1e6:.1f}M parameters in {tensors} trainable tensors; {torch.get_num_threads()} CPU threads")
    print("| what | time |\n|---|---|")
    print(f"| one optimizer step (MNRL, batch {args.batch}, max_seq_length {args.max_seq_length}; mean of {args.steps}) | {step_seconds * 1000:.1f} ms |")
    print(f"| the learning check, once per trial (two reads of the sample and the comparison; median of {args.repeats}) | {check_seconds * 1000:.2f} ms |")
    print(f"| its share of one step / of a 100-step trial | {check_seconds / step_seconds:.2%} / {check_seconds / (100 * step_seconds):.4%} |")


if __name__ == "__main__":
    main()
