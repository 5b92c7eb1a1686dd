#!/usr/bin/env bash
# Install everything, then lint, type-check and run the whole test suite on real servers
# (the test session starts its own embedded MongoDB-wire server and Kafka broker).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh dev
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
# Browser tests drive Debian's chromium (Playwright never downloads one).
if [ ! -x /usr/bin/chromium ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update && $sudo apt-get install -y chromium
fi
# pytest exits 5 when no test ran; with set -e that fails the run, as it should.
.venv/bin/pytest "$@"
