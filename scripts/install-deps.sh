#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages hypergrid builds and runs with. Idempotent:
# packages already installed are not touched, and apt-get runs only when something
# is missing. Uses sudo when not run as root.
#
#   scripts/install-deps.sh [--deploy-tests] [EXTRA_PACKAGE...]
#
# --deploy-tests adds what the deployment tests use (scripts/test passes it): an SSH server,
# Slurm and munge, iproute2 for network namespaces, systemd-analyze, kubectl (for
# `kubectl kustomize`, offline), qemu-user (runs the binary on an emulated AVX2-only CPU) and
# PyPI's kubernetes-validate in the venv $HYPERGRID_DEPLOY_VENV (default
# ~/.cache/hypergrid/deploy-venv), and the runtimes the model-export tests check exports
# against (PyPI's onnx, onnxruntime, safetensors, numpy) in the venv $HYPERGRID_MODEL_VENV
# (default ~/.cache/hypergrid/model-venv).
set -euo pipefail

deploy_tests=false
if [ "${1:-}" = "--deploy-tests" ]; then deploy_tests=true; shift; fi

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
packages+=("$@")   # extra packages a caller needs
if $deploy_tests; then
  packages+=(
    openssh-server   # a real sshd in network namespaces for scripts/spawn-workers
    slurm-wlm munge  # a single-node Slurm cluster for deploy/slurm (scripts/test-slurm)
    python3-venv     # the venv for kubernetes-validate
    systemd          # systemd-analyze verify for deploy/systemd (runs without a running systemd)
    qemu-user        # qemu-x86_64 -cpu Haswell: proves the binary runs without AVX-512
    binutils         # objdump: the test that finds AVX-512 code only in the AVX-512 GEMM copy
  )
  # kubectl renders deploy/kubernetes offline (`kubectl kustomize`); Debian calls it kubernetes-client.
  command -v kubectl >/dev/null || packages+=(kubernetes-client)
fi

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

if $deploy_tests; then
  # The Kubernetes schema validator; PyPI's wheel bundles the schemas, so it works offline.
  venv="${HYPERGRID_DEPLOY_VENV:-$HOME/.cache/hypergrid/deploy-venv}"
  if ! "$venv/bin/kubernetes-validate" --version >/dev/null 2>&1; then
    echo "install-deps: installing kubernetes-validate into $venv"
    /usr/bin/python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check 'kubernetes-validate==1.*'
  fi
fi

if $deploy_tests; then
  # The runtimes a user loads hypergrid's exports with: ONNX's checker, onnxruntime, and the
  # safetensors reader (ModelExportEndToEndTests; scripts/check-model-export.py).
  model_venv="${HYPERGRID_MODEL_VENV:-$HOME/.cache/hypergrid/model-venv}"
  if ! "$model_venv/bin/python" -c 'import onnx, onnxruntime, safetensors, numpy' >/dev/null 2>&1; then
    echo "install-deps: installing onnx, onnxruntime, safetensors and numpy into $model_venv"
    /usr/bin/python3 -m venv "$model_venv"
    "$model_venv/bin/pip" install -q --disable-pip-version-check 'onnx>=1.16,<2' 'onnxruntime>=1.18,<2' 'safetensors>=0.4,<1' 'numpy>=1.26,<3'
  fi
fi
