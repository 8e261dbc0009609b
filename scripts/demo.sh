#!/usr/bin/env bash
# Set up and run the payments example on embedded defaults (SQLite catalog, in-memory counters).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/gatepost serve examples/payments/gatepost.yaml "$@"
