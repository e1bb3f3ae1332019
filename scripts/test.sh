#!/usr/bin/env bash
# The whole test suite from a clean clone: set up .venv, make sure Debian's chromium
# (browser tests; apt, never `playwright install`), nodejs (the widget's JavaScript
# tests) and npm (configurable-http-proxy for the JupyterHub test) are there, then lint,
# check the import contract, type-check and test. Extra arguments go to pytest.
#
# A tier first runs only that tier of tests/ (see tests/README.md): `unit` is the fast
# loop (no apt, no npm, no browser: well under a minute), `server`, `kernel` and `e2e`
# set up what they need. With no tier, everything runs: that is what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
tier=""
case "${1:-}" in
  unit | server | kernel | e2e) tier="$1"; shift ;;
esac
bash scripts/setup.sh test
if [ "$tier" = unit ]; then
  echo "test: unit tier (ruff, the import contract, pytest tests/unit)"
  .venv/bin/ruff check .
  .venv/bin/lint-imports --no-cache
  exec .venv/bin/python -m pytest tests/unit "$@"
fi

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
# esbuild for the AG-UI browser test (tests/e2e/test_browser_agui.py bundles
# tests/agui_client/browser_app.mjs with HttpAgent at test time): same folder, pinned.
if ! grep -qs '"version": "0.28.2"' .npm-tools/node_modules/esbuild/package.json; then
  echo "test: npm install esbuild@0.28.2 into .npm-tools/"
  npm install --prefix .npm-tools --no-audit --no-fund --loglevel=error --save-exact esbuild@0.28.2
fi

# The widget's build tools (esbuild, markdown-it, temml) for the bundle's freshness test:
# js/package-lock.json pins them; installed again only when the lock changed.
if ! cmp -s js/package-lock.json js/node_modules/.installed-lock.json 2>/dev/null; then
  echo "test: npm ci --prefix js (the widget's build tools)"
  npm ci --prefix js --no-audit --no-fund --loglevel=error
  cp js/package-lock.json js/node_modules/.installed-lock.json
fi

echo "test: ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "test: the import contract (.importlinter)"
.venv/bin/lint-imports --no-cache
echo "test: mypy"
.venv/bin/mypy
echo "test: node --test (the widget's modules, its bundle, the shared vectors)"
node --test tests/js/
if [ -n "$tier" ]; then
  echo "test: pytest tests/$tier"
  exec .venv/bin/python -m pytest "tests/$tier" "$@"
fi
echo "test: pytest"
exec .venv/bin/python -m pytest "$@"
