#!/usr/bin/env bash
# Create (or reuse) a Python environment with this project's requirements.
#
#   scripts/setup.sh [requirements file]
#
# Inside an active virtual environment that one is used; otherwise ./.venv is created. A torch
# that the environment already has is kept. Otherwise TORCH_SPEC (default torch==2.13.0) is
# installed before anything else, so no later requirement pulls a multi-gigabyte CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
requirements=${1:-requirements.txt}

if [ -n "${VIRTUAL_ENV:-}" ]; then
  python=python
else
  [ -x .venv/bin/python ] || python3 -m venv .venv
  python=.venv/bin/python
fi

if ! "$python" -c "import torch" >/dev/null 2>&1; then
  "$python" -m pip install --disable-pip-version-check -q "${TORCH_SPEC:-torch==2.13.0}"
fi
"$python" -m pip install --disable-pip-version-check -q -r "$requirements"
echo "$python"
