#!/usr/bin/env bash
# The measurements behind docs/reproducing-the-seed.md, "Where the deep net's gap comes from":
# the seed's [256,128,64] + BatchNorm net trained by PyTorch (scripts/seed-peer-torch.py) on
# hypergrid's exact prepared data, switching one convention at a time, and the matching
# hypergrid commands. Everything runs one after another on one thread.
#
#   scripts/seed-gap-study.sh [OUT_DIR]
#
# Environment:
#   HYPERGRID   the hypergrid binary (default .build/release/hypergrid)
#   HYPERGRID_CIFAR_DIR  CIFAR-10 binary files (default data/cifar-10-batches-bin, where
#               scripts/download-cifar10.sh puts them)
#   PYTHON      a Python with numpy and a CPU build of torch (default /tmp/peer-venv/bin/python,
#               the benchmarks' peer venv: docs/results-and-benchmarks.md)
#   SEEDS       seeds per variant (default "0 1 2 3 4")
#   PARTS       which parts to run: torch, hypergrid or both (default "torch hypergrid")
# Output: OUT_DIR/torch.jsonl (one line per PyTorch run) and OUT_DIR/hypergrid.jsonl (one
# `hypergrid train --json` object per line), then a summary table on stdout
# (scripts/seed-gap-summary.py).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-/tmp/seed-gap}
HYPERGRID=${HYPERGRID:-.build/release/hypergrid}
CIFAR_DIR=${HYPERGRID_CIFAR_DIR:-data/cifar-10-batches-bin}
PYTHON=${PYTHON:-/tmp/peer-venv/bin/python}
SEEDS=${SEEDS:-0 1 2 3 4}
PARTS=${PARTS:-torch hypergrid}
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
mkdir -p "$OUT/cache"
if [[ " $PARTS " == *" torch "* ]] && ! "$PYTHON" -c 'import numpy, torch' 2>/dev/null; then
    echo "seed-gap-study: $PYTHON cannot import numpy and torch; set PYTHON to a Python that can." >&2
    exit 1
fi
[[ -x "$HYPERGRID" ]] || { echo "seed-gap-study: no hypergrid binary at $HYPERGRID (swift build -c release, or set HYPERGRID)." >&2; exit 1; }

D=(--dataset cifar10 --data "$CIFAR_DIR" --cache-dir "$OUT/cache")
NET=(--hidden 256,128,64 --batch-norm --optimizer adam --lr 1e-3 --decay 0.95 --epochs 10 --loss-every 10)

# The prepared data (standardised pixels, the conventional splits) as a cache file.
"$HYPERGRID" train "${D[@]}" --hidden 256,128,64 --batch-norm --optimizer adam --epochs 1 > /dev/null
HGDATA=$(ls -t "$OUT"/cache/*.hgdata | head -1)

peer() {  # label, then the flags that differ from the seed's PyTorch conventions
    local label=$1; shift
    # shellcheck disable=SC2086
    "$PYTHON" scripts/seed-peer-torch.py --hgdata "$HGDATA" --cifar-dir "$CIFAR_DIR" --seeds $SEEDS \
        --threads 1 --label "$label" --out "$OUT/torch.jsonl" "$@"
}

if [[ " $PARTS " == *" torch "* ]]; then
    peer "seed conventions (PyTorch defaults)"
    peer "+ hypergrid's He init" --init he
    peer "+ hypergrid's reg convention (2·reg·W, weights only)" --reg-convention hypergrid
    peer "+ sampling with replacement" --sampling replacement
    peer "all three: hypergrid's conventions" --init he --reg-convention hypergrid --sampling replacement
    peer "+ the template's init N(0, 1e-3)" --init normal:1e-3
    peer "+ the template's pixel scaling (x/127.5 − 1)" --data template
    peer "the template's init and scaling" --init normal:1e-3 --data template
    peer "+ Adam eps 1e-7, BatchNorm eps 1e-3, momentum 0.01" --adam-eps 1e-7 --bn-eps 1e-3 --bn-momentum 0.01
fi

hg() {  # label, then hypergrid train flags
    local label=$1; shift
    for seed in $SEEDS; do
        "$HYPERGRID" train "${D[@]}" "${NET[@]}" --seed "$seed" "$@" --json |
            "$PYTHON" -c 'import json,sys; d=json.load(sys.stdin); d["label"]=sys.argv[1]; d["flags"]=sys.argv[2]; d.pop("history",None); print(json.dumps(d))' \
            "$label" "$*" >> "$OUT/hypergrid.jsonl"
    done
}

if [[ " $PARTS " == *" hypergrid "* ]]; then
    hg "depth-study grid: He init, reg 1e-3" --he-init --reg 0.001
    hg "He init, reg 5e-4 (= weight_decay 1e-3)" --he-init --reg 5e-4
    hg "std 0.01, reg 5e-4" --init-std 0.01 --reg 5e-4
    hg "std 1e-3 (the template's init), reg 5e-4" --init-std 1e-3 --reg 5e-4
    hg "std 1e-3, reg 5e-4, shuffled epochs" --init-std 1e-3 --reg 5e-4 --set training.shuffle=true
fi

"$PYTHON" scripts/seed-gap-summary.py "$OUT"
