#!/usr/bin/env bash
# Set up a fresh machine for Gatepost: Debian packages (when missing), a virtualenv in .venv, the package.
#   scripts/setup.sh          the gateway only
#   scripts/setup.sh test     the gateway and everything the tests need
set -euo pipefail
cd "$(dirname "$0")/.."
want_test="${1:-}"

apt_packages=()
need() { command -v "$1" >/dev/null 2>&1 || apt_packages+=("$2"); }
# a C compiler and Python's headers: the request path's modules are compiled with mypyc when they are there
# (setup.py; without them Gatepost installs as pure Python, slower: docs/performance.md, "Compiled request path")
need gcc gcc
"${PYTHON:-python3}" -c 'import os, sysconfig; raise SystemExit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' \
  || apt_packages+=(python3-dev)
if [ "$want_test" = "test" ]; then
  need redis-server redis-server
  need curl curl
  need node nodejs   # Node.js functions of SAM/CloudFormation templates (templates/node_functions.py)
  [ -x /usr/sbin/nginx ] || need nginx nginx  # the normalising upstream of tests/core/test_edge_nginx.py
  [ -n "$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null)" ] || apt_packages+=(postgresql)
  # (gcc, above: libinjection-python, for SqliMatchStatement/XssMatchStatement, builds from source too)
  # AWS's Node.js runtime interface client (npm aws-lambda-ric) builds native code (curl, aws-lambda-cpp)
  need npm npm
  need cmake cmake
  need g++ g++
  need make make
  need autoreconf autoconf
  need automake automake
  need libtoolize libtool
  dpkg -s libcurl4-openssl-dev >/dev/null 2>&1 || ! command -v dpkg >/dev/null || apt_packages+=(libcurl4-openssl-dev)
  need chromium chromium                 # the admin route map page, in a real browser (tests/admin/test_route_map_page.py)
  need chromedriver chromium-driver      # Selenium drives it
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

# Node.js functions of templates run through AWS's own runtime interface client when it is there
# (templates/node_functions.py finds it on PATH; tests look in .venv/node). Built once per machine (a shared
# cache, under a lock) and bounded: a failed or slow build leaves Gatepost's runner (the same Runtime API
# protocol) as the only client, and says so.
RIC_VERSION=3.3.0
RIC_DIR="${GATEPOST_RIC_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/gatepost/aws-lambda-ric-$RIC_VERSION}"
if [ "$want_test" = "test" ] && command -v npm >/dev/null; then
  mkdir -p "$RIC_DIR"
  (
    flock 9
    if [ ! -x "$RIC_DIR/node_modules/.bin/aws-lambda-ric" ]; then
      echo "setup: building aws-lambda-ric $RIC_VERSION in $RIC_DIR (npm, native code: a few minutes)"
      timeout 1800 npm install --prefix "$RIC_DIR" --no-audit --no-fund --loglevel=error \
        "aws-lambda-ric@$RIC_VERSION" >"$RIC_DIR/install.log" 2>&1 ||
        echo "setup: aws-lambda-ric could not be built (see $RIC_DIR/install.log): Node.js functions use" \
             "Gatepost's runner only, and the tests of AWS's client are skipped" >&2
    fi
  ) 9>"$RIC_DIR.lock"
  ln -sfn "$RIC_DIR" .venv/node
fi
