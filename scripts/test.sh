#!/usr/bin/env bash
# Install what the tests need and run them: scripts/test.sh [pytest options]
set -euo pipefail
cd "$(dirname "$0")/.."
python=$(scripts/setup.sh requirements-dev.txt | tail -n 1)

# The browser test drives Debian's Chromium. As root with apt, install it; elsewhere the test
# is skipped with the reason.
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1 \
    || echo "note: could not install chromium; the browser test will be skipped"
fi

exec "$python" -m pytest -q "$@"
