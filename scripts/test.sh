#!/usr/bin/env bash
# The whole test suite from a clean clone: set up .venv, make sure Debian's chromium
# (browser tests; apt, never `playwright install`), nodejs (the widget's JavaScript
# tests) and npm (configurable-http-proxy for the JupyterHub test) are there, then lint,
# type-check and test. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test

# apt_install COMMAND PACKAGE: install PACKAGE from Debian when COMMAND is missing.
apt_install() {
  command -v "$1" >/dev/null 2>&1 && return 0
  echo "test: installing Debian's $2 (for $1)"
  local sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "$2" >/dev/null
}
apt_install chromium chromium
apt_install node nodejs
apt_install npm npm
# configurable-http-proxy for the JupyterHub test: project-local, never global (-g).
if [ ! -x .npm-tools/node_modules/.bin/configurable-http-proxy ]; then
  echo "test: npm install configurable-http-proxy into .npm-tools/"
  npm install --prefix .npm-tools --no-audit --no-fund --loglevel=error configurable-http-proxy@5
fi
# @ag-ui/client for the AG-UI client test (tests/agui_client/run_agent.mjs): same
# project-local folder, pinned to the version the test was written against.
if ! grep -qs '"version": "1.0.0"' .npm-tools/node_modules/@ag-ui/client/package.json; then
  echo "test: npm install @ag-ui/client@1.0.0 into .npm-tools/"
  npm install --prefix .npm-tools --no-audit --no-fund --loglevel=error --save-exact @ag-ui/client@1.0.0
fi
# esbuild for the AG-UI browser test (tests/test_browser_agui.py bundles
# tests/agui_client/browser_app.mjs with HttpAgent at test time): same folder, pinned.
if ! grep -qs '"version": "0.28.2"' .npm-tools/node_modules/esbuild/package.json; then
  echo "test: npm install esbuild@0.28.2 into .npm-tools/"
  npm install --prefix .npm-tools --no-audit --no-fund --loglevel=error --save-exact esbuild@0.28.2
fi

echo "test: ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "test: mypy"
.venv/bin/mypy
echo "test: node --test (the widget's SSE parser on the shared vectors)"
node --test tests/js/
echo "test: pytest"
exec .venv/bin/python -m pytest "$@"
