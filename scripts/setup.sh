#!/usr/bin/env bash
# Creates .venv beside the repo and installs jupyter-lcsse into it (editable), with
# the extras named in $1 ("lab" for the main job, "test" for the suite). Safe to rerun:
# pip skips what is already there, so a second run takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-lab}"
py="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $($py --version)"
  "$py" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
echo "setup: installing jupyter-lcsse[$extras] into .venv"
if [ "$extras" = test ]; then
  # The suite also runs the dev group's tools (ruff, mypy, import-linter).
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[test]" --group dev
else
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[$extras]"
fi
