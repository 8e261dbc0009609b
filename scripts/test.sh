#!/usr/bin/env bash
# Set up and run every check: ruff, mypy, the whole pytest suite (real Redis, real servers on 127.0.0.1).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
echo "== ruff";   .venv/bin/ruff check src tests bench examples
echo "== mypy";   .venv/bin/mypy
echo "== pytest"; .venv/bin/pytest "$@"
