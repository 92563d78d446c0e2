"""benchmarks/gpu.py can't rot between the rare lent GPU machines: its reduced mode runs here on CPU, and the
folder it carries there (MiniLM's shape without weights) builds a model of that shape."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BENCHMARK = REPO / "benchmarks/gpu.py"


def table_rows(text: str, header: str) -> list[list[str]]:
    lines = text.splitlines()
    start = lines.index(header) + 2
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def test_the_reduced_mode_packs_processes_and_prints_consistent_figures():
    done = subprocess.run([sys.executable, str(BENCHMARK), "--reduced"], capture_output=True, text=True, timeout=600, cwd=REPO)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    assert out.startswith("device: CPU") and "model: a tiny BERT" in out
    packing = table_rows(out, "| processes | precision | samples/s each | sum | vs 1 alone | peak memory each (MiB) | overlap |")
    assert [(row[0], row[1]) for row in packing] == [("1", "fp32"), ("2", "fp32")]
    alone = float(packing[0][3])
    for processes, _, each, total, ratio, peaks, overlap in packing:
        speeds = [float(x) for x in each.split(", ")]
        assert len(speeds) == int(processes) and all(speed > 0 for speed in speeds)
        assert abs(sum(speeds) - float(total)) < 0.2 and abs(float(total) / alone / float(ratio.rstrip("x")) - 1) < 0.01
        assert all(float(peak.replace(",", "")) > 50 for peak in peaks.split(", "))  # a process holding torch and a model
        assert 0 <= int(overlap.rstrip("%")) <= 100
    encode = table_rows(out, "| encode | texts/s |")
    assert encode[0][0] == "fp32" and float(encode[0][1]) > 0


def test_minilms_shape_without_its_weights_builds_a_model_of_that_shape(tmp_path):
    import importlib.util

    from sentence_transformers import SentenceTransformer

    spec = importlib.util.spec_from_file_location("gpu_benchmark", BENCHMARK)
    gpu = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gpu)
    shape = tmp_path / "shape"
    gpu.write_shape(gpu.default_model(), shape, "all-MiniLM-L6-v2")
    assert (shape / "config.json").exists() and not any((shape / name).exists() for name in gpu.WEIGHT_FILES)
    assert sum(f.stat().st_size for f in shape.rglob("*") if f.is_file()) < 2 * 2**20  # carried to the GPU machine
    built, weights = gpu.loadable_model(str(shape), tmp_path, "shape")
    assert weights == "all-MiniLM-L6-v2's shape and tokenizer with fresh weights (its weights were not there)"
    model = SentenceTransformer(built, device="cpu")
    real = SentenceTransformer(gpu.default_model(), device="cpu")
    assert model.get_sentence_embedding_dimension() == real.get_sentence_embedding_dimension() == 384
    assert sum(p.numel() for p in model.parameters()) == sum(p.numel() for p in real.parameters())
