#!/usr/bin/env bash
# Downloads the official CIFAR-10 binary version and extracts it.
#
#   scripts/download-cifar10.sh [DEST]
#
# DEST defaults to data/ in this repository (git ignores it), so the files end up in
# data/cifar-10-batches-bin/ (data_batch_1..5.bin, test_batch.bin, batches.meta.txt), the path
# the example grids and the README's commands name, relative to the repository's root;
# `hypergrid train --dataset cifar10` without --data looks there first (from the repository's
# root), then in ~/.local/share/hypergrid/cifar-10-batches-bin, where
# `scripts/download-cifar10.sh ~/.local/share/hypergrid` puts them for use from any folder.
#
# Idempotent: when DEST/cifar-10-batches-bin already holds all six batch files of the right
# size, it does nothing; an interrupted download is resumed; the archive is checked against the
# MD5 published on the dataset's page before anything is extracted, and extraction goes through
# a temporary folder so that a failure never leaves a half-written dataset behind.
set -euo pipefail

URL="https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
MD5="c32a1d4ab5d03f1284b67883e8d87530"   # published at https://www.cs.toronto.edu/~kriz/cifar.html
ARCHIVE_BYTES=170052171
RECORD_BYTES=3073
RECORDS_PER_FILE=10000
FILES=(data_batch_1.bin data_batch_2.bin data_batch_3.bin data_batch_4.bin data_batch_5.bin test_batch.bin)

dest="${1:-$(cd "$(dirname "$0")/.." && pwd)/data}"
target="$dest/cifar-10-batches-bin"

complete() {
    local f size
    for f in "${FILES[@]}"; do
        [[ -f "$target/$f" ]] || return 1
        size=$(stat -c %s "$target/$f")
        [[ "$size" -eq $((RECORD_BYTES * RECORDS_PER_FILE)) ]] || return 1
    done
}

if complete; then
    echo "CIFAR-10 is already in $target"
    exit 0
fi

mkdir -p "$dest"
archive="$dest/cifar-10-binary.tar.gz"
partial="$archive.part"

md5_ok() { [[ "$(md5sum "$1" | cut -d' ' -f1)" == "$MD5" ]]; }

if [[ ! -f "$archive" ]] || ! md5_ok "$archive"; then
    rm -f "$archive"
    echo "Downloading $URL"
    if command -v curl >/dev/null 2>&1; then
        # -C - resumes a partial download; --fail turns HTTP errors into a non-zero exit.
        curl --fail --location --retry 3 -C - --output "$partial" "$URL"
    elif command -v wget >/dev/null 2>&1; then
        wget --tries=3 --continue --output-document="$partial" "$URL"
    else
        echo "error: neither curl nor wget is installed" >&2
        exit 1
    fi
    size=$(stat -c %s "$partial")
    if [[ "$size" -ne "$ARCHIVE_BYTES" ]] || ! md5_ok "$partial"; then
        # A bad partial file would be resumed forever: start from scratch next time.
        rm -f "$partial"
        echo "error: the downloaded archive ($size bytes) does not match the published MD5 $MD5; removed it, run again" >&2
        exit 1
    fi
    mv "$partial" "$archive"
fi

staging=$(mktemp -d "$dest/.cifar-10-extract.XXXXXX")
trap 'rm -rf "$staging"' EXIT
# Only the expected members, so a tampered archive cannot write elsewhere.
tar -xzf "$archive" -C "$staging" "${FILES[@]/#/cifar-10-batches-bin/}" cifar-10-batches-bin/batches.meta.txt
rm -rf "$target"
mv "$staging/cifar-10-batches-bin" "$target"
chmod 0644 "$target"/*

if ! complete; then
    echo "error: extraction did not produce the six expected files in $target" >&2
    exit 1
fi
rm -f "$archive"
echo "CIFAR-10 is in $target"
