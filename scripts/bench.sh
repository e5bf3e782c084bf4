#!/usr/bin/env bash
# hypergrid's performance figures against the shared numpy and PyTorch peers, measured
# in one session and printed as ONE table: for every workload the hypergrid rows (the
# AVX-512 and AVX2 paths of the same binary) next to the numpy and PyTorch rows, with
# ratios, % of the FMA peak and where hypergrid's time went. Not a test: it prints
# figures. Absolute numbers drift on shared machines; ratios measured in the same session
# hold better, so hypergrid and the peers are interleaved round by round.
#
#   scripts/bench.sh [--rounds N] [--quick] [--no-gemm]
#
# Environment:
#   PEER_VENV        python venv with numpy, threadpoolctl (and torch)   [/tmp/peer-venv]
#   PEER_DIR         the peers' folder (bench_numpy.py, bench_torch.py)  [../shared/bench]
#   BENCH_MAX_WAIT   seconds a peer waits for a quiet machine per repetition [30]
#   HG_WAIT_QUIET    seconds hypergrid-bench waits for a quiet machine per repetition [30]
#   OUT              folder for the raw JSON lines and the log       [.build-bench/results]
#
# One default release build (.build-bench) runs twice per round: with the kernels it picks
# itself (AVX-512 where the CPU has it) and with HYPERGRID_KERNEL=avx2. The GEMM table
# runs with OpenBLAS's default core detection and with OPENBLAS_CORETYPE forced to
# Haswell and to SkylakeX (OpenBLAS 0.3.21 may not know the CPU and fall back to
# Prescott code). numpy brings its own, newer OpenBLAS: its peer runs with
# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset, and the kernel it picked (threadpoolctl)
# is printed.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
rounds=1
quick=0
gemm=1
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) rounds="$2"; shift 2 ;;
        --quick) quick=1; shift ;;
        --no-gemm) gemm=0; shift ;;
        -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
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

cpu_model="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
say "== hypergrid bench, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
say "machine: $cpu_model, $(nproc) CPUs," \
    "flags: $(grep -m1 -o -w -E 'avx512f|avx2' /proc/cpuinfo | sort -u | tr '\n' ' ')"
say "uptime: $(uptime)"
say "raw results: $raw"

# ---- build (the default build: no HYPERGRID_MARCH)
say "== building release"
env -u HYPERGRID_MARCH swift build -j "${BENCH_BUILD_JOBS:-1}" -c release --scratch-path .build-bench \
    --product hypergrid-bench >>"$log" 2>&1 || { say "build failed (see $log)"; exit 1; }
bin=".build-bench/release/hypergrid-bench"
# The paths to compare: the binary's own choice, and AVX2 when that choice was wider.
widest="$(env -u HYPERGRID_KERNEL "$bin" train --json --filter none --repeats 1 \
          | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["kernel"])')"
paths="$widest"
[ "$widest" = avx2 ] || paths="$widest avx2"
say "GEMM kernel paths: $paths"
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
    local path="$1"
    say "-- hypergrid $path: training table"
    HYPERGRID_KERNEL="$path" "$bin" train --json --wait-quiet "$hg_wait" "${hg_args[@]}" \
        | tag "hypergrid $path train" >>"$raw"
    if [ "$gemm" = 1 ]; then
        for core in default Haswell SkylakeX; do
            say "-- hypergrid $path: GEMM table, OpenBLAS core $core"
            if [ "$core" = default ]; then
                env -u OPENBLAS_CORETYPE HYPERGRID_KERNEL="$path" "$bin" --json \
                    | tag "hypergrid $path gemm $core" >>"$raw"
            else
                OPENBLAS_CORETYPE="$core" HYPERGRID_KERNEL="$path" "$bin" --json \
                    | tag "hypergrid $path gemm $core" >>"$raw"
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
    for path in $paths; do run_hypergrid "$path"; done
    run_peers
done
say "uptime at the end: $(uptime)"

# ---- one table
python3 - "$raw" "$paths" "$cpu_model" "$(nproc)" <<'PY' | tee -a "$log"
import json, statistics, sys
raw, paths, cpu, ncpu = sys.argv[1], sys.argv[2].split(), sys.argv[3], sys.argv[4]
rows = [json.loads(l) for l in open(raw) if l.strip()]
med = lambda xs: statistics.median(xs) if xs else None

def hg_rows(path, name):
    return [w for r in rows if r["source"] == f"hypergrid {path} train" for w in r["workloads"] if w["name"] == name]

def hg(path, name, key="samples_per_s_wall"):
    return med([w[key] for w in hg_rows(path, name)])

def peer(bench, D, threads):
    return med([r["samples_per_s_median"] for r in rows
                if r.get("bench") == bench and r.get("D") == D and r.get("threads") == threads])

workloads = [  # (hypergrid row, numpy key, torch key)
    ("2-layer D=99", ("numpy_twolayer", 99, 1), ("torch_twolayer", 99, 1)),
    ("2-layer D=3072", ("numpy_twolayer", 3072, 1), ("torch_twolayer", 3072, 1)),
    ("deep BN Adam D=3072", None, ("torch_deep", 3072, 1)),
    ("2-layer D=3072 x2 threads", ("numpy_twolayer", 3072, 2), ("torch_twolayer", 3072, 2)),
    ("deep BN Adam D=3072 x2 threads", None, None),
    ("deep BN Adam D=3072 + features", None, None),
    ("deep BN Adam D=3072 + features + MixUp", None, None),
    ("2048-1024 BN Adam D=3072 + features", None, None),
]
k = lambda x: "—" if x is None else f"{x/1000:.1f}k"
pc = lambda x: "—" if x is None else f"{100*x:.0f} %"
rt = lambda a, b: "—" if a is None or b is None else f"{a/b:.2f}×"
peaks = {p: med([r["measured_peak_gflops"] for r in rows if r["source"] == f"hypergrid {p} train"]) for p in paths}
print()
print(f"machine: {cpu}, {ncpu} CPUs (shared: see the other-load column and the uptime lines above)")
print("measured 1-core FMA peak: " + ", ".join(f"{p} {peaks[p]} GFLOP/s" for p in paths))
print("samples/s over the wall time of the whole training (evaluation included), float32, batch 200, H 256;")
print("hypergrid: median of its repetitions; time shares: GEMM (fused finishes included), 10-wide = its")
print("part in GEMMs with a dimension ≤ 16, optimizer updates, rest = everything else")
print()
print("| workload | implementation | samples/s | ÷ numpy | ÷ PyTorch | % of peak | GEMM | 10-wide | optimizer | rest | other load |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for name, np_key, t_key in workloads:
    npv = peer(*np_key) if np_key else None
    tv = peer(*t_key) if t_key else None
    for p in paths:
        v = hg(p, name)
        if v is None: continue
        rest = None
        g, o = hg(p, name, "gemm_share"), hg(p, name, "optimizer_share")
        if g is not None and o is not None: rest = max(0.0, 1 - g - o)
        load = hg(p, name, "other_load_cores")
        print(f"| {name} | hypergrid {p} | {k(v)} | {rt(v, npv)} | {rt(v, tv)} | {hg(p, name, 'percent_of_peak') or '—'} % "
              f"| {pc(g)} | {pc(hg(p, name, 'narrow_gemm_share'))} | {pc(o)} | {pc(rest)} | {'—' if load is None else f'{load:.2f}'} |")
    if np_key: print(f"| {name} | numpy | {k(npv)} | | | | | | | | |")
    if t_key: print(f"| {name} | PyTorch | {k(tv)} | | | | | | | | |")
print()
for p in paths:
    one, two = hg(p, "2-layer D=3072"), hg(p, "2-layer D=3072 x2 threads")
    d1, d2 = hg(p, "deep BN Adam D=3072"), hg(p, "deep BN Adam D=3072 x2 threads")
    share = [r.get("evaluation_share_1_epoch_D99") for r in rows if r["source"] == f"hypergrid {p} train"]
    print(f"hypergrid {p}: 2 threads ÷ 1 thread: 2-layer D=3072 {rt(two, one)}, deep {rt(d2, d1)};"
          f" evaluation share of a 1-epoch D=99 trial {pc(med([s for s in share if s is not None]))}")
    print(f"hypergrid {p}: the deep net with dropout, label smoothing, weight decay, shuffled epochs and"
          f" a cosine schedule runs at {rt(hg(p, 'deep BN Adam D=3072 + features'), d1)} the plain deep net's samples/s;"
          f" MixUp (α 0.2) on top: {rt(hg(p, 'deep BN Adam D=3072 + features + MixUp'), hg(p, 'deep BN Adam D=3072 + features'))}")
# Same bits on every path and thread count: the loss checksums of one model must agree.
for base in ["2-layer D=99", "2-layer D=3072", "deep BN Adam D=3072"]:
    sums = {(p, n): {w["loss_checksum"] for w in hg_rows(p, n)} for p in paths
            for n in [base, base + " x2 threads"] if hg_rows(p, n)}
    every = set().union(*sums.values()) if sums else set()
    print(f"{base}: loss checksums over {len(sums)} path × thread runs: "
          + ("identical" if len(every) == 1 else f"DIFFER {sums}"))
for r in rows:
    if r.get("bench") == "numpy_twolayer":
        arch = [b.get("architecture") for b in r.get("blas", []) if b.get("internal_api") == "openblas"]
        print(f"numpy's OpenBLAS kernel (threadpoolctl): {arch}"); break
gemm = [r for r in rows if r["source"].startswith("hypergrid") and " gemm " in r["source"]]
if gemm:
    print()
    print("GEMM GFLOP/s (single thread), ours per path and OpenBLAS 0.3.21 per core setting")
    cores = sorted({r["source"].split()[-1] for r in gemm}, key=["default", "Haswell", "SkylakeX"].index)
    print("| shape | " + " | ".join(f"ours {p}" for p in paths) + " | " + " | ".join(f"OpenBLAS {c}" for c in cores) + " |")
    print("|---|" + "---|" * (len(paths) + len(cores)))
    for s0 in gemm[0]["shapes"]:
        n = s0["name"]
        ours = [med([s["gflops"] for r in gemm if r["source"].startswith(f"hypergrid {p} gemm")
                     for s in r["shapes"] if s["name"] == n]) for p in paths]
        blas = [med([s["openblas_gflops"] for r in gemm if r["source"].endswith(f" gemm {c}")
                     for s in r["shapes"] if s["name"] == n]) for c in cores]
        print(f"| {n} {s0['layout']} {s0['m']}×{s0['n']}×{s0['k']} | " + " | ".join("—" if x is None else f"{x:.1f}" for x in ours + blas) + " |")
    for c in cores:
        for r in gemm:
            if r["source"].endswith(f" gemm {c}"):
                print(f"OpenBLAS {c}: reports core {r['openblas_core']}"); break
PY

# ---- the minibatch augmentations (flip, random crop, MixUp) beside a copy of the batch
echo | tee -a "$log"
"$bin" augment | tee -a "$log"
