#!/usr/bin/env python3
"""Summarises scripts/seed-gap-study.sh's output directory as Markdown tables.

  python scripts/seed-gap-summary.py OUT_DIR

Per variant (in the order first seen): the number of seeds, then validation, test (the
first 1,000 test images, as the seed) and, for PyTorch, all 10,000 test images, each as
mean ± sample standard deviation over the seeds with the range, in percent.
"""
from __future__ import annotations

import json
import os
import statistics
import sys


def load(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def cell(values):
    values = [100 * v for v in values if v is not None]
    if not values:
        return "—"
    mean = statistics.fmean(values)
    if len(values) == 1:
        return f"{mean:.1f}"
    sd = statistics.stdev(values)
    return f"{mean:.1f} ± {sd:.1f} ({min(values):.1f}–{max(values):.1f})"


def grouped(rows, key):
    groups = {}
    for r in rows:
        groups.setdefault(r[key], []).append(r)
    return groups


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = sys.argv[1]
    torch_rows = load(os.path.join(out, "torch.jsonl"))
    hg_rows = load(os.path.join(out, "hypergrid.jsonl"))
    if torch_rows:
        print("| PyTorch variant | seeds | val % | test % (1,000) | test % (10,000) | train % (10,000) |")
        print("|---|---|---|---|---|---|")
        for label, rs in grouped(torch_rows, "variant").items():
            print(f"| {label} | {len(rs)} | {cell([r['val'] for r in rs])} | {cell([r['test'] for r in rs])} | "
                  f"{cell([r.get('test_all') for r in rs])} | {cell([r['train10k'] for r in rs])} |")
        print()
    if hg_rows:
        print("| hypergrid command | seeds | val % | test % (1,000) | train % (10,000) | flags |")
        print("|---|---|---|---|---|---|")
        for label, rs in grouped(hg_rows, "label").items():
            print(f"| {label} | {len(rs)} | {cell([r.get('val_accuracy') for r in rs])} | "
                  f"{cell([r.get('test_accuracy') for r in rs])} | {cell([r.get('train_accuracy') for r in rs])} | "
                  f"`{rs[0]['flags']}` |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
