#!/usr/bin/env bash
# Install what the app needs and start it: scripts/app.sh [streamlit options]
set -euo pipefail
cd "$(dirname "$0")/.."
python=$(scripts/setup.sh requirements.txt | tail -n 1)
exec "$python" -m streamlit run app.py "$@"
