#!/usr/bin/env bash
# Set up a fresh machine for Gatepost: Debian packages (when missing), a virtualenv in .venv, the package.
#   scripts/setup.sh          the gateway only
#   scripts/setup.sh test     the gateway and everything the tests need
set -euo pipefail
cd "$(dirname "$0")/.."
want_test="${1:-}"

apt_packages=()
need() { command -v "$1" >/dev/null 2>&1 || apt_packages+=("$2"); }
if [ "$want_test" = "test" ]; then
  need redis-server redis-server
  need curl curl
  need node nodejs   # Node.js functions of SAM/CloudFormation templates (templates/node_functions.py)
  [ -x /usr/sbin/nginx ] || need nginx nginx  # the normalising upstream of tests/core/test_edge_nginx.py
  [ -n "$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null)" ] || apt_packages+=(postgresql)
  need gcc gcc  # libinjection-python (SqliMatchStatement/XssMatchStatement) builds from source
  need python3-config python3-dev
fi
if [ "${#apt_packages[@]}" -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing ${apt_packages[*]} (apt)"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_packages[@]}" >/dev/null
  else
    echo "setup: please install: ${apt_packages[*]}" >&2
    exit 1
  fi
fi

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
if [ "$want_test" = "test" ]; then
  .venv/bin/python -m pip install -q -e ".[test]" 2>&1 | grep -v -e "^WARNING: Location" -e "^$" || true
else
  .venv/bin/python -m pip install -q -e . 2>&1 | grep -v -e "^WARNING: Location" -e "^$" || true
fi
.venv/bin/python -c "import gatepost" || { echo "setup: installing gatepost failed" >&2; exit 1; }
