#!/usr/bin/env bash
# Fails if the release build of HypergridKernel calls libm's fmaf anywhere.
#
# Without a -march that has FMA, Swift lowers `addingProduct` to a call to
# fmaf (~100x slower than vfmadd). Package.swift passes -march=x86-64-v3 by
# default (HYPERGRID_MARCH overrides it); this script checks that the flag
# actually reached the kernel by disassembling its object files.
#
# Usage (from anywhere):  scripts/check-fma.sh
# Env: SCRATCH (default .build-gemm), HYPERGRID_MARCH (passed through to the build),
#      CHECK_ONLY=1 (check the objects already built instead of building).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scratch="${SCRATCH:-.build-gemm}"

if [ -z "${CHECK_ONLY:-}" ]; then
    echo "building HypergridKernel (release, march=${HYPERGRID_MARCH:-x86-64-v3 default}) in $scratch"
    swift build -c release --scratch-path "$scratch" --target HypergridKernel 2>&1 \
        | grep -vE "prohibited flag|^\[|^Building|^Build of" || true
fi

objdir="$scratch/release/HypergridKernel.build"
shopt -s nullglob
objects=("$objdir"/*.o)
if [ ${#objects[@]} -eq 0 ]; then
    echo "error: no object files in $objdir" >&2
    exit 2
fi

status=0
total_fma=0
for obj in "${objects[@]}"; do
    # -r interleaves relocations: in an unlinked object a call to libm shows
    # as `call <next insn>` followed by `R_X86_64_PLT32 fmaf-0x4` (or a GOT
    # relocation for `call *fmaf@GOTPCREL(%rip)`); a linked one names <fmaf@plt>.
    asm="$(objdump -dr --no-show-raw-insn "$obj")"
    calls="$(grep -B1 -E 'R_X86_64_[A-Z0-9_]+[[:space:]]+fmaf([-+@]|$)|call.*<fmaf' <<<"$asm" || true)"
    fma="$(grep -cE 'vfmadd|vfnmadd|vfmsub|vfnmsub' <<<"$asm" || true)"
    total_fma=$((total_fma + fma))
    if [ -n "$calls" ]; then
        echo "FAIL $(basename "$obj"): calls fmaf $(grep -cE 'fmaf' <<<"$calls") times, e.g."
        head -4 <<<"$calls"
        status=1
    else
        echo "ok   $(basename "$obj"): no fmaf call, $fma FMA instructions"
    fi
done
echo "checked ${#objects[@]} object files, $total_fma FMA instructions in total"
if [ "$status" -eq 0 ]; then
    echo "PASS: no call to fmaf in HypergridKernel"
fi
exit "$status"
