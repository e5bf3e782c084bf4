#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages hypergrid builds and runs with. Idempotent:
# packages already installed are not touched, and apt-get runs only when something
# is missing. Uses sudo when not run as root.
set -euo pipefail

packages=(
  libzmq3-dev            # ZeroMQ: coordinator <-> worker transport
  liblapack-dev          # LAPACK's symmetric eigensolver for PCA
  libopenblas-dev        # fast LAPACK/BLAS backend (and the benchmark's reference sgemm)
  zlib1g-dev             # reading gzipped IDX files (Fashion-MNIST, MNIST)
  pkg-config             # lets SwiftPM find libzmq
  dataset-fashion-mnist  # the default dataset, in /usr/share/datasets/fashion-mnist
  iproute2               # ip netns/veth for the network-partition tests
  chromium               # headless browser: the tests check that report.html renders
  libxml2                # FoundationXML's parser: the tests parse the report's SVG files
)
packages+=("$@")   # extra packages a caller needs (e.g. the cluster tests)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  echo "install-deps: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v swift >/dev/null || {
  echo "install-deps: the Swift toolchain (6.0 or newer) is not on PATH; install it from swift.org first" >&2
  exit 1
}
