#!/usr/bin/env bash
# Install the peer provers used by benchmarks/peers.py (EZKL and JSTprove).
# Not part of `make test`: the peers are only needed for the side-by-side benchmark.
#
#   bash benchmarks/install_peers.sh
#
# The peers go into their own venv (default benchmarks/out/venv-peers, gitignored), not the
# project venv: jstprove pins numpy 2.2, onnx 1.17, onnxruntime 1.21 and pulls torch and
# transformers, which would downgrade the packages the project is tested against.
# benchmarks/peers.py runs every peer stage with this venv's python in a subprocess.
#
# Versions are pinned so that figures stay comparable between runs; jstprove 2.1.0 is
# the newest release that installs on Python 3.11 (2.2 and later need 3.12).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PEERS_VENV="${PEERS_VENV:-$ROOT/benchmarks/out/venv-peers}"
PYTHON="${PYTHON:-python3.11}"
EZKL_VERSION="${EZKL_VERSION:-23.0.5}"
JSTPROVE_VERSION="${JSTPROVE_VERSION:-2.1.0}"

# JSTprove's prover runs under MPI; /usr/bin/time -v measures peak RSS per stage.
if command -v apt-get >/dev/null 2>&1; then
    SUDO=""
    if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q openmpi-bin libopenmpi3 time
fi

if [ ! -x "$PEERS_VENV/bin/python" ]; then
    "$PYTHON" -m venv "$PEERS_VENV"
fi
"$PEERS_VENV/bin/python" -m pip install -q --upgrade pip
"$PEERS_VENV/bin/python" -m pip install -q "ezkl==$EZKL_VERSION" "jstprove==$JSTPROVE_VERSION" psutil
"$PEERS_VENV/bin/python" -m pip show ezkl jstprove | grep -E '^(Name|Version)'
