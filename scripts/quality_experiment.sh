#!/usr/bin/env bash
# Run the default quality experiment recorded in QUALITY.md: the six positional encodings on the
# scaled gpt2-small recipe (plus sinusoidal with embeddings scaled by sqrt(d_model)), and GELU vs
# SwiGLU at equal parameters (both with RoPE), SEEDS seeds each (default 3).
# Seeds 0-1 of every recipe run first and later seeds after, so an interrupted run still covers
# every recipe. The last two passes reuse the saved results and only print the JSON and the table.
# Usage: [SEEDS=K] scripts/quality_experiment.sh [extra `explorer train` options]
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-.venv/bin/python}
seeds=${SEEDS:-3}
recipes=(bench/quality/gpt2-{learned,sinusoidal,relative,alibi,rope,xpos}.json
         bench/quality/gpt2-rope-swiglu.json bench/quality/gpt2-sinusoidal-scaled.json)
mkdir -p results
"$python" -m explorer train "${recipes[@]}" --seeds 2 "$@" > /dev/null
"$python" -m explorer train "${recipes[@]}" --seeds "$seeds" "$@" --json > results/quality-experiment.json
"$python" -m explorer train "${recipes[@]}" --seeds "$seeds" "$@"
