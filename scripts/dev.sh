#!/usr/bin/env bash
# Install everything, then start the whole desk on the embedded servers (Ctrl-C stops it).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh embedded
exec .venv/bin/jamp dev "$@"
