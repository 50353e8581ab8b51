#!/usr/bin/env bash
# Run the default quality experiment recorded in QUALITY.md: the six positional encodings on the
# scaled gpt2-small recipe, and GELU vs SwiGLU at equal parameters (both with RoPE), 3 seeds each.
# Seeds 0-1 of every recipe run first and seed 2 after, so an interrupted run still covers every
# recipe. The last two passes reuse the saved results and only print the JSON and the table.
# Usage: scripts/quality_experiment.sh [extra `explorer train` options]
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-.venv/bin/python}
recipes=(bench/quality/gpt2-{learned,sinusoidal,relative,alibi,rope,xpos}.json bench/quality/gpt2-rope-swiglu.json)
"$python" -m explorer train "${recipes[@]}" --seeds 2 "$@" > /dev/null
"$python" -m explorer train "${recipes[@]}" --seeds 3 "$@" --json > results/quality-experiment.json
"$python" -m explorer train "${recipes[@]}" --seeds 3 "$@"
