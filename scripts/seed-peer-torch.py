#!/usr/bin/env python3
"""The seed's deep MLP in PyTorch, on hypergrid's exact prepared data, one factor at a time.

The seed (the course report this project started from) trained [256,128,64] with
nn.BatchNorm1d between the affine layers and ReLU, Adam (lr 1e-3, weight_decay 1e-3),
lr x0.95 after every epoch, batches of 200 from a shuffled DataLoader, 10 epochs, and reported
56.7 % on the first 1,000 test images. hypergrid's rerun of that net scores lower. This script
trains the same net in PyTorch on the very arrays hypergrid trains on and switches one of
PyTorch's conventions at a time to hypergrid's, so that each factor's share of the gap is a
measurement:

  --init torch | he | normal:STD
        torch: nn.Linear's default (Kaiming-uniform a=sqrt(5): U(+-1/sqrt(fan_in)) for weights
        and biases). he: hypergrid's --he-init (Gaussian, std sqrt(2/fan_in), zero biases).
        normal:STD: Gaussian weights of that std, zero biases (hypergrid's --init-std STD; the
        course template's weights_init is normal:1e-3).
  --reg-convention torch | hypergrid
        torch: Adam(weight_decay=REG) adds REG*p to the gradient of every parameter (biases and
        BatchNorm's gamma and beta too). hypergrid: the loss adds REG*sum(W^2) over weight
        matrices only, i.e. 2*REG*W on weights and nothing on the rest.
  --sampling shuffle | replacement
        shuffle: each epoch visits the 49,000 rows once in a random order (DataLoader
        shuffle=True). replacement: every batch draws 200 rows with replacement (hypergrid;
        245 batches make an epoch, as hypergrid counts them).
  --data hypergrid | template
        hypergrid: the standardised features from hypergrid's cache file (per-feature mean and
        deviation fitted on the training split). template: the course template's
        transforms.Normalize((0.5,)*3, (0.5,)*3), i.e. pixel/127.5 - 1, from the raw files
        (needs --cifar-dir); the same rows in each split.
  --bn-momentum, --bn-eps, --adam-eps
        PyTorch's defaults (0.1, 1e-5, 1e-8) are also hypergrid's (BatchNormDefaults,
        UpdateRule.adamDefaults); the flags are here to check that they do not matter.

Data: hypergrid writes every prepared dataset to its cache directory as a `.hgdata` file (the
layout is documented in Sources/HypergridPreprocessing/DatasetCache.swift); this script reads it
directly (checking magic, version and CRC-32), so PyTorch sees bit-identical float32 features
and the same train/validation/test rows. Make one with e.g.

  hypergrid train --dataset cifar10 --data data/cifar-10-batches-bin --cache-dir /tmp/hg-cache \\
      --hidden 256,128,64 --batch-norm --optimizer adam --epochs 1

(scripts/download-cifar10.sh fetches the data) and pass the file it leaves in /tmp/hg-cache with
--hgdata. With --cifar-dir the script also scores all 10,000 test images, standardised with the
mean and deviation stored in the cache file (it checks that this reproduces the cached test rows).

Output: one JSON object per run (variant, seed, accuracies, wall seconds) on stdout and appended
to --out. Accuracies: validation (eval-mode BatchNorm, all validation rows), test on the cached
test split (the first 1,000 test images for CIFAR-10, as the seed), test on all 10,000 (with
--cifar-dir), train on the first 10,000 training rows (as hypergrid measures it), and the
seed's own validation measure (its loop never called model.eval(), so BatchNorm used each
200-row validation batch's statistics).

Example (the seed's conventions, then hypergrid's, three seeds each, one thread):
  python scripts/seed-peer-torch.py --hgdata /tmp/hg-cache/<fingerprint>.hgdata \\
      --cifar-dir data/cifar-10-batches-bin --seeds 0 1 2 --out /tmp/peer.jsonl
  python scripts/seed-peer-torch.py --hgdata ... --init he --reg-convention hypergrid \\
      --sampling replacement --seeds 0 1 2 --out /tmp/peer.jsonl
"""
from __future__ import annotations

import argparse
import json
import math
import os
import struct
import sys
import time
import zlib

import numpy as np

HG_MAGIC = b"HGRIDDS\0"
HG_FORMAT_VERSION = 2


class DataError(Exception):
    """A data file that cannot be used; the message names it."""


def read_hgdata(path: str) -> dict:
    """Reads a hypergrid cache file (DatasetCache format version 2) into numpy arrays.

    Returns {"train"|"validation"|"test": (features float32 [rows, columns], labels int64),
    "mean", "scale": float64 standardiser or None, "meta": the JSON metadata}.
    """
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise DataError(f"Cannot read {path}: {e.strerror}.")
    if len(raw) < 64 or raw[:8] != HG_MAGIC:
        raise DataError(f"{path} is not a hypergrid dataset cache file (no HGRIDDS magic).")
    version, crc = struct.unpack_from("<II", raw, 8)
    length, meta_offset, meta_length = struct.unpack_from("<QQQ", raw, 16)
    if version != HG_FORMAT_VERSION:
        raise DataError(f"{path} has cache format version {version}; this script reads {HG_FORMAT_VERSION}.")
    if length != len(raw):
        raise DataError(f"{path} is truncated: its header says {length} bytes, it has {len(raw)}.")
    if zlib.crc32(memoryview(raw)[64:]) != crc:
        raise DataError(f"{path} is corrupt: its CRC-32 does not match its contents.")
    meta = json.loads(raw[meta_offset:meta_offset + meta_length])
    columns = meta["columns"]
    out = {"meta": meta}
    for name, split in zip(("train", "validation", "test"), meta["splits"]):
        rows = split["rows"]
        x = np.frombuffer(raw, dtype="<f4", count=rows * columns, offset=split["featuresOffset"]).reshape(rows, columns)
        y = np.frombuffer(raw, dtype="<i4", count=rows, offset=split["labelsOffset"]).astype(np.int64)
        out[name] = (x, y)

    def doubles(place):
        if place is None:
            return None
        return np.frombuffer(raw, dtype="<f8", count=place["count"], offset=place["offset"])

    out["mean"] = doubles(meta.get("standardizerMean"))
    out["scale"] = doubles(meta.get("standardizerScale"))
    return out


def read_cifar_batch(path: str) -> tuple[np.ndarray, np.ndarray]:
    """One CIFAR-10 binary batch: uint8 pixels [rows, 3072] (R, G, B planes) and labels."""
    try:
        raw = np.fromfile(path, dtype=np.uint8)
    except OSError as e:
        raise DataError(f"Cannot read {path}: {e.strerror}.")
    if raw.size % 3073 != 0:
        raise DataError(f"{path} is not a CIFAR-10 binary batch: {raw.size} bytes is not a multiple of 3,073.")
    records = raw.reshape(-1, 3073)
    return records[:, 1:], records[:, 0].astype(np.int64)


def read_cifar(root: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    parts = [read_cifar_batch(os.path.join(root, f"data_batch_{i}.bin")) for i in range(1, 6)]
    xtr = np.concatenate([p[0] for p in parts])
    ytr = np.concatenate([p[1] for p in parts])
    xte, yte = read_cifar_batch(os.path.join(root, "test_batch.bin"))
    # hypergrid keeps image rows pixel-major, channels interleaved (R, G, B of pixel 0, then
    # pixel 1, ...), not the file's three planes: reorder so that feature j means the same here.
    hwc = lambda x: np.ascontiguousarray(x.reshape(-1, 3, 1024).transpose(0, 2, 1).reshape(-1, 3072))
    return hwc(xtr), ytr, hwc(xte), yte


def prepare(args) -> dict:
    """The splits the runs use, as float32 numpy arrays."""
    hg = read_hgdata(args.hgdata)
    ntr, nval, ntest = (hg[s][0].shape[0] for s in ("train", "validation", "test"))
    data = {"train": hg["train"], "validation": hg["validation"], "test": hg["test"], "notes": []}
    if args.cifar_dir:
        xtr_raw, ytr_raw, xte_raw, yte_raw = read_cifar(args.cifar_dir)
        # The cached splits must be the conventional rows (train 0..<ntr, validation next, test
        # from 0): check the labels before building anything from the raw files.
        if not (np.array_equal(ytr_raw[:ntr], hg["train"][1]) and
                np.array_equal(ytr_raw[ntr:ntr + nval], hg["validation"][1]) and
                np.array_equal(yte_raw[:ntest], hg["test"][1])):
            raise DataError(f"The splits of {args.hgdata} are not CIFAR-10's conventional rows of {args.cifar_dir}.")
        if hg["mean"] is not None and hg["mean"].size == xte_raw.shape[1]:
            full = ((xte_raw.astype(np.float64) - hg["mean"]) / hg["scale"]).astype(np.float32)
            diff = float(np.abs(full[:ntest] - hg["test"][0]).max())
            if diff > 1e-4:
                raise DataError(f"Standardising {args.cifar_dir} with the statistics of {args.hgdata} does not give its "
                                f"test rows (max difference {diff:.3g}): another dataset or preprocessing.")
            if args.data == "hypergrid":
                data["notes"].append(f"all 10,000 test images standardised with the cached statistics "
                                     f"(max difference to the cached test rows {diff:.2g})")
            data["test_all"] = (full, yte_raw)
        if args.data == "template":
            scale = lambda x: (x.astype(np.float32) / np.float32(127.5) - np.float32(1.0))
            data["train"] = (scale(xtr_raw[:ntr]), ytr_raw[:ntr])
            data["validation"] = (scale(xtr_raw[ntr:ntr + nval]), ytr_raw[ntr:ntr + nval])
            data["test"] = (scale(xte_raw[:ntest]), yte_raw[:ntest])
            data["test_all"] = (scale(xte_raw), yte_raw)
    elif args.data == "template":
        raise DataError("--data template needs --cifar-dir (the raw CIFAR-10 binary files).")
    return data


def build_model(torch, nn, d_in, hidden, classes, bn, bn_momentum, bn_eps):
    layers, prev = [], d_in
    for h in hidden:
        layers.append(nn.Linear(prev, h))
        if bn:
            layers.append(nn.BatchNorm1d(h, eps=bn_eps, momentum=bn_momentum))
        layers.append(nn.ReLU())
        prev = h
    layers.append(nn.Linear(prev, classes))
    return nn.Sequential(*layers)


def initialise(torch, nn, model, init: str):
    """Re-initialises the Linear layers (the default keeps PyTorch's own initialisation)."""
    if init == "torch":
        return
    for m in model.modules():
        if isinstance(m, nn.Linear):
            if init == "he":
                std = math.sqrt(2.0 / m.in_features)
            elif init.startswith("normal:"):
                std = float(init.split(":", 1)[1])
            else:
                raise ValueError(init)
            with torch.no_grad():
                m.weight.normal_(0.0, std)
                m.bias.zero_()


def accuracy(torch, model, x, y, chunk=1000) -> float:
    correct = 0
    with torch.no_grad():
        for i in range(0, x.shape[0], chunk):
            correct += (model(x[i:i + chunk]).argmax(1) == y[i:i + chunk]).sum().item()
    return correct / x.shape[0]


def train_once(torch, nn, F, data, args, seed: int) -> dict:
    torch.manual_seed(seed)
    # Copies: the cache file's arrays are read-only views, which torch will not wrap.
    t = lambda a: torch.from_numpy(np.array(a))
    xtr, ytr = map(t, data["train"])
    xval, yval = map(t, data["validation"])
    xte, yte = map(t, data["test"])
    classes = int(max(ytr.max(), yval.max(), yte.max()).item()) + 1
    model = build_model(torch, nn, xtr.shape[1], args.hidden, classes, not args.no_bn, args.bn_momentum, args.bn_eps)
    initialise(torch, nn, model, args.init)

    if args.reg_convention == "torch":
        groups = [{"params": list(model.parameters()), "weight_decay": args.reg}]
    else:
        weights = [m.weight for m in model.modules() if isinstance(m, nn.Linear)]
        ids = {id(w) for w in weights}
        others = [p for p in model.parameters() if id(p) not in ids]
        groups = [{"params": weights, "weight_decay": 2 * args.reg}, {"params": others, "weight_decay": 0.0}]
    opt = torch.optim.Adam(groups, lr=args.lr, eps=args.adam_eps)

    n = xtr.shape[0]
    per_epoch = max(n // args.batch_size, 1)
    history = []
    start = time.perf_counter()
    for epoch in range(args.epochs):
        model.train()
        if args.sampling == "shuffle":
            perm = torch.randperm(n)
            batches = (perm[i:i + args.batch_size] for i in range(0, n, args.batch_size))
        else:
            batches = (torch.randint(0, n, (args.batch_size,)) for _ in range(per_epoch))
        for idx in batches:
            loss = F.cross_entropy(model(xtr[idx]), ytr[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        for g in opt.param_groups:
            g["lr"] *= args.decay
        model.eval()
        history.append(round(accuracy(torch, model, xval, yval), 4))
    wall = time.perf_counter() - start

    model.eval()
    result = {
        "val": accuracy(torch, model, xval, yval),
        "test": accuracy(torch, model, xte, yte),
        "train10k": accuracy(torch, model, xtr[:10_000], ytr[:10_000]),
    }
    if "test_all" in data:
        result["test_all"] = accuracy(torch, model, *map(t, data["test_all"]))
    # The seed's validation loop ran in training mode: BatchNorm normalised each 200-row
    # validation batch with its own statistics (the running statistics were not used).
    model.train()
    correct = 0
    with torch.no_grad():
        for i in range(0, xval.shape[0], args.batch_size):
            correct += (model(xval[i:i + args.batch_size]).argmax(1) == yval[i:i + args.batch_size]).sum().item()
    result["val_trainmode"] = correct / xval.shape[0]
    result["val_history"] = history
    result["train_seconds"] = round(wall, 1)
    return result


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--hgdata", required=True, help="hypergrid cache file (.hgdata) holding the prepared splits")
    p.add_argument("--cifar-dir", help="CIFAR-10 binary files: scores all 10,000 test images; needed by --data template")
    p.add_argument("--data", choices=["hypergrid", "template"], default="hypergrid")
    p.add_argument("--hidden", type=int, nargs="+", default=[256, 128, 64])
    p.add_argument("--no-bn", action="store_true", help="no BatchNorm1d")
    p.add_argument("--init", default="torch", help="torch, he or normal:STD")
    p.add_argument("--reg-convention", choices=["torch", "hypergrid"], default="torch")
    p.add_argument("--reg", type=float, default=1e-3, help="weight_decay (torch) or reg (hypergrid)")
    p.add_argument("--sampling", choices=["shuffle", "replacement"], default="shuffle")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--decay", type=float, default=0.95)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=200)
    p.add_argument("--bn-momentum", type=float, default=0.1)
    p.add_argument("--bn-eps", type=float, default=1e-5)
    p.add_argument("--adam-eps", type=float, default=1e-8)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--label", help="name of the variant in the output (default: built from the flags)")
    p.add_argument("--out", help="also append the JSON lines to this file")
    args = p.parse_args()
    if not (args.init in ("torch", "he") or args.init.startswith("normal:")):
        p.error(f"--init {args.init}: use torch, he or normal:STD")

    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    torch.set_num_threads(args.threads)

    try:
        data = prepare(args)
    except DataError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    for note in data["notes"]:
        print(f"note: {note}", file=sys.stderr)

    label = args.label or (f"data={args.data} init={args.init} reg={args.reg_convention}:{args.reg:g} "
                           f"sampling={args.sampling} bn={args.bn_momentum:g}/{args.bn_eps:g} adam_eps={args.adam_eps:g}")
    for seed in args.seeds:
        r = train_once(torch, nn, F, data, args, seed)
        record = {"variant": label, "seed": seed, **{k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()},
                  "torch": torch.__version__, "threads": args.threads}
        line = json.dumps(record)
        print(line, flush=True)
        if args.out:
            with open(args.out, "a") as f:
                f.write(line + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
