#!/usr/bin/env bash
# benchmarks/gpu.py in one call on a lent GPU machine. Its image holds torch, transformers, sentence-transformers
# and accelerate, not datasets, and can reach no package index; MiniLM's weights (87 MiB) are too big to carry.
#   here:  bash benchmarks/gpu_device.sh --prepare     (wheels of the versions installed here, MiniLM's shape: .device/)
#   there: bash benchmarks/gpu_device.sh               (run with carry: [".device"]; the table also lands in $OUT/gpu.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--prepare" ]; then
  rm -rf .device && mkdir -p .device/wheels
  # The same versions as the tests ran with here; their own dependencies are in the image.
  pins=$(python -m pip list --format=freeze 2>/dev/null | grep -iE '^(datasets|dill|multiprocess|sentence-transformers|transformers)==' || true)
  [ "$(echo "$pins" | wc -w)" = 5 ] || { echo "run it in the project's venv (. .venv/bin/activate): found only: $pins" >&2; exit 2; }
  python -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --platform manylinux2014_x86_64 \
    -d .device/wheels $pins
  python benchmarks/gpu.py --write-shape .device/minilm-shape
  du -sh .device
  exit
fi
python3 -m pip install -q --no-deps --no-index --target .device/site .device/wheels/*.whl
PYTHONPATH=".device/site:$PWD${PYTHONPATH:+:$PYTHONPATH}" python3 benchmarks/gpu.py --model .device/minilm-shape "$@" \
  | tee "${OUT:-.device}/gpu.txt"
