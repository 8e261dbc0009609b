#!/usr/bin/env bash
# Set up and run the payments example on embedded defaults (SQLite catalog, in-memory counters), saying
# what happens at each step: install, start (the gateway and the example's helper processes), first request.
# Extra arguments go to `gatepost serve` (e.g. --port 8081). Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
CONFIG=examples/payments/gatepost.yaml
PORT=8080
args=("$@")
for i in "${!args[@]}"; do
  if [ "${args[$i]}" = "--port" ] && [ $((i + 1)) -lt ${#args[@]} ]; then PORT="${args[$((i + 1))]}"; fi
done
BASE="http://127.0.0.1:$PORT"
say() { printf 'demo: %s\n' "$*"; }
started=$SECONDS

if [ -x .venv/bin/gatepost ] && [ .venv/bin/gatepost -nt pyproject.toml ] && .venv/bin/python -c "import gatepost" 2>/dev/null; then
  say "1/3 install: .venv already has gatepost (bash scripts/setup.sh reinstalls)"
else
  say "1/3 install: a virtualenv in .venv and the gatepost package (scripts/setup.sh; a few minutes the first time: the request path is compiled to C)"
  bash scripts/setup.sh
fi

say "2/3 start: gatepost serve $CONFIG: the demo upstream and the bank's issuer first, then the gateway with"
say "    the built-in user pool; the first start creates demo credentials and prints them once"
.venv/bin/gatepost serve "$CONFIG" "$@" &
gateway=$!
trap 'kill -TERM $gateway 2>/dev/null; wait $gateway; exit 0' INT TERM
# 3/3, as soon as the gateway is ready (Python rather than curl: nothing that setup.sh does not install)
.venv/bin/python - "$BASE" "$gateway" <<'PY' || { wait $gateway || exit $?; exit 1; }
import os, sys, time, urllib.error, urllib.request
base, pid = sys.argv[1], int(sys.argv[2])
for _ in range(1200):
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit(1)  # the gateway stopped: its own message says why
    try:
        urllib.request.urlopen(base + "/_gatepost/ready", timeout=2).close()
        break
    except (urllib.error.URLError, OSError):
        time.sleep(0.1)
print(f"demo: 3/3 first request: GET {base}/health", flush=True)
with urllib.request.urlopen(base + "/health", timeout=5) as answer:
    print(f"demo: HTTP {answer.status} {answer.read().decode()}")
PY
say "ready in $((SECONDS - started)) s. Try the callers: README.md, \"paste these one by one\". Ctrl-C stops the demo."
wait $gateway
