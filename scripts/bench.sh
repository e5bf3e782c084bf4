#!/usr/bin/env bash
# hypergrid's performance figures against the shared numpy and PyTorch peers, measured
# in one session and printed as ONE table of ratios (hypergrid ÷ peer). Not a test:
# it prints figures. Absolute numbers drift on shared machines; ratios measured in the
# same session hold better, so hypergrid and the peers are interleaved round by round.
#
#   scripts/bench.sh [--builds "x86-64-v3 x86-64-v4"] [--rounds N] [--quick] [--no-gemm]
#
# Environment:
#   PEER_VENV        python venv with numpy, threadpoolctl (and torch)   [/tmp/peer-venv]
#   PEER_DIR         the peers' folder (bench_numpy.py, bench_torch.py)  [../shared/bench]
#   BENCH_MAX_WAIT   seconds a peer waits for a quiet machine per repetition [30]
#   HG_WAIT_QUIET    seconds hypergrid-bench waits for a quiet machine per repetition [30]
#   OUT              folder for the raw JSON lines and the log       [.build-bench/results]
#
# Each build is compiled into its own scratch path (.build-bench-<march>). The GEMM table
# runs with OpenBLAS's default core detection and with OPENBLAS_CORETYPE forced to
# Haswell and to SkylakeX (OpenBLAS 0.3.21 does not know this CPU and falls back to
# Prescott code). numpy brings its own, newer OpenBLAS: its peer runs with
# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset, and the kernel it picked (threadpoolctl)
# is printed.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
builds="x86-64-v3 x86-64-v4"
rounds=1
quick=0
gemm=1
while [ $# -gt 0 ]; do
    case "$1" in
        --builds) builds="$2"; shift 2 ;;
        --rounds) rounds="$2"; shift 2 ;;
        --quick) quick=1; shift ;;
        --no-gemm) gemm=0; shift ;;
        -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done

venv="${PEER_VENV:-/tmp/peer-venv}"
peers="${PEER_DIR:-$here/../shared/bench}"
out="${OUT:-$here/.build-bench/results}"
export BENCH_MAX_WAIT="${BENCH_MAX_WAIT:-30}"
hg_wait="${HG_WAIT_QUIET:-30}"
mkdir -p "$out"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
raw="$out/bench-$stamp.jsonl"
log="$out/bench-$stamp.log"
: > "$raw"

say() { echo "$@" | tee -a "$log" >&2; }

say "== hypergrid bench, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
say "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) CPUs," \
    "flags: $(grep -m1 -o -w -E 'avx512f|avx2' /proc/cpuinfo | sort -u | tr '\n' ' ')"
say "uptime: $(uptime)"
say "raw results: $raw"

# ---- build
for march in $builds; do
    say "== building release, HYPERGRID_MARCH=$march"
    HYPERGRID_MARCH="$march" swift build -c release --scratch-path ".build-bench-$march" \
        --product hypergrid-bench >>"$log" 2>&1 || { say "build failed (see $log)"; exit 1; }
done

# ---- peers available?
python="$venv/bin/python"
have_numpy=0; have_torch=0
if [ ! -x "$python" ]; then
    say "SKIP peers: no python at $python (set PEER_VENV)"
elif [ ! -f "$peers/bench_numpy.py" ]; then
    say "SKIP peers: no bench_numpy.py in $peers (set PEER_DIR)"
else
    if "$python" -c "import numpy, threadpoolctl" 2>/dev/null; then have_numpy=1
    else say "SKIP numpy peer: numpy/threadpoolctl do not import in $venv"; fi
    if "$python" -c "import torch" 2>/dev/null; then have_torch=1
    else say "SKIP PyTorch peers: torch does not import in $venv"; fi
fi

if [ "$quick" = 1 ]; then
    hg_args=(--quick --repeats 1); peer_repeats=1; deep_epochs=2
else
    hg_args=(--repeats 3); peer_repeats=3; deep_epochs=10
fi

# Tags every JSON line with where it came from.
tag() { python3 -c 'import json,sys
src=sys.argv[1]
for line in sys.stdin:
    line=line.strip()
    if line.startswith("{"):
        d=json.loads(line); d["source"]=src; print(json.dumps(d))' "$1"; }

run_hypergrid() {
    local march="$1" bin=".build-bench-$1/release/hypergrid-bench"
    say "-- hypergrid $march: training table"
    "$bin" train --json --wait-quiet "$hg_wait" "${hg_args[@]}" | tag "hypergrid $march train" >>"$raw"
    if [ "$gemm" = 1 ]; then
        for core in default Haswell SkylakeX; do
            say "-- hypergrid $march: GEMM table, OpenBLAS core $core"
            if [ "$core" = default ]; then
                env -u OPENBLAS_CORETYPE "$bin" --json | tag "hypergrid $march gemm $core" >>"$raw"
            else
                OPENBLAS_CORETYPE="$core" "$bin" --json | tag "hypergrid $march gemm $core" >>"$raw"
            fi
        done
    fi
}

run_peers() {
    if [ "$have_numpy" = 1 ]; then
        say "-- numpy two-layer (OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset)"
        (cd "$peers" && env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$python" bench_numpy.py \
            --D 3072 99 --dtype float32 --threads 1 2 --repeats "$peer_repeats") \
            | tag numpy >>"$raw" || say "numpy peer failed"
    fi
    if [ "$have_torch" = 1 ]; then
        say "-- PyTorch two-layer"
        (cd "$peers" && "$python" bench_torch.py --model twolayer --D 3072 99 --dtype float32 \
            --threads 1 2 --repeats "$peer_repeats") | tag torch >>"$raw" || say "torch peer failed"
        say "-- PyTorch deep [256,128,64] + BatchNorm + Adam, $deep_epochs epochs"
        (cd "$peers" && "$python" bench_torch.py --model deep --bn --optim adam --epochs "$deep_epochs" \
            --D 3072 --dtype float32 --threads 1 --repeats 1) | tag torch >>"$raw" \
            || say "torch deep peer failed"
    fi
}

for round in $(seq 1 "$rounds"); do
    say "== round $round of $rounds"
    for march in $builds; do run_hypergrid "$march"; done
    run_peers
done
say "uptime at the end: $(uptime)"

# ---- one table of ratios
python3 - "$raw" "$builds" <<'PY' | tee -a "$log"
import json, statistics, sys
raw, builds = sys.argv[1], sys.argv[2].split()
rows = [json.loads(l) for l in open(raw) if l.strip()]
med = lambda xs: statistics.median(xs) if xs else None

def hg(march, name, key="samples_per_s_wall"):
    return med([w[key] for r in rows if r["source"] == f"hypergrid {march} train"
                for w in r["workloads"] if w["name"] == name])

def peer(bench, D, threads, model=None):
    return med([r["samples_per_s_median"] for r in rows
                if r.get("bench") == bench and r.get("D") == D and r.get("threads") == threads])

workloads = [  # (hypergrid row, D, threads, numpy, torch)
    ("2-layer D=99", 99, 1, ("numpy_twolayer", 99, 1), ("torch_twolayer", 99, 1)),
    ("2-layer D=3072", 3072, 1, ("numpy_twolayer", 3072, 1), ("torch_twolayer", 3072, 1)),
    ("deep BN Adam D=3072", 3072, 1, None, ("torch_deep", 3072, 1)),
    ("2-layer D=3072 x2 threads", 3072, 2, ("numpy_twolayer", 3072, 2), ("torch_twolayer", 3072, 2)),
    ("deep BN Adam D=3072 x2 threads", 3072, 2, None, None),
]
f = lambda x, d=0: "—" if x is None else (f"{x/1000:.1f}k" if d == 0 else f"{x:.2f}")
ratio = lambda a, b: None if a is None or b is None else a / b
print()
print("samples/s (wall, median; hypergrid also per CPU second) and ratios hypergrid ÷ peer")
head = f"{'workload':31}" + "".join(f"{m:>22}" for m in builds) + f"{'numpy':>9}{'PyTorch':>9}"
head += "".join(f"{m[-2:]+'÷numpy':>10}{m[-2:]+'÷torch':>10}" for m in builds)
print(head)
for name, D, th, np_key, t_key in workloads:
    line = f"{name:31}"
    for m in builds:
        line += f"{f(hg(m, name)) + ' (' + f(hg(m, name, 'samples_per_cpu_s')) + '/CPU)':>22}"
    npv = peer(*np_key) if np_key else None
    tv = peer(*t_key) if t_key else None
    line += f"{f(npv):>9}{f(tv):>9}"
    for m in builds:
        line += f"{f(ratio(hg(m, name), npv), 2):>10}{f(ratio(hg(m, name), tv), 2):>10}"
    print(line)
for m in builds:
    one, two = hg(m, "2-layer D=3072"), hg(m, "2-layer D=3072 x2 threads")
    d1, d2 = hg(m, "deep BN Adam D=3072"), hg(m, "deep BN Adam D=3072 x2 threads")
    share = [r.get("evaluation_share_1_epoch_D99") for r in rows if r["source"] == f"hypergrid {m} train"]
    print(f"{m}: 2 threads ÷ 1 thread: 2-layer D=3072 {f(ratio(two, one), 2)}, deep {f(ratio(d2, d1), 2)};"
          f" evaluation share of a 1-epoch D=99 trial {f(med([s for s in share if s is not None]), 2)};"
          " other load (cores) per row: "
          + ", ".join(f(w.get("other_load_cores"), 2) for r in rows if r["source"] == f"hypergrid {m} train"
                      for w in r["workloads"]))
for r in rows:
    if r.get("bench") == "numpy_twolayer":
        arch = [b.get("architecture") for b in r.get("blas", []) if b.get("internal_api") == "openblas"]
        print(f"numpy's OpenBLAS kernel (threadpoolctl): {arch}"); break
gemm = [r for r in rows if r["source"].startswith("hypergrid") and " gemm " in r["source"]]
if gemm:
    print()
    print("GEMM ours ÷ OpenBLAS 0.3.21 (single thread), per OpenBLAS core setting")
    cores = sorted({r["source"].split()[-1] for r in gemm}, key=["default", "Haswell", "SkylakeX"].index)
    print(f"{'shape':20}" + "".join(f"{m[-2:] + ' ' + c:>13}" for m in builds for c in cores))
    names = [s["name"] for s in gemm[0]["shapes"]]
    for n in names:
        line = f"{n:20}"
        for m in builds:
            for c in cores:
                rs = [s["ratio"] for r in gemm if r["source"] == f"hypergrid {m} gemm {c}"
                      for s in r["shapes"] if s["name"] == n]
                line += f"{f(med(rs), 2):>13}"
        print(line)
    for m in builds:
        for c in cores:
            for r in gemm:
                if r["source"] == f"hypergrid {m} gemm {c}":
                    print(f"{m} {c}: OpenBLAS reports core {r['openblas_core']}, our peak {r['measured_peak_gflops']} GFLOP/s")
                    break
PY
