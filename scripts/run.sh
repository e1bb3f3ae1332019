#!/usr/bin/env bash
# The main job: set up .venv, then open JupyterLab with the lcsse extension on, the
# offline model as the default chain's model (unless OPENAI_API_KEY is set) and the
# first tutorial notebook open. Extra arguments go to `jupyter lab`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh lab
exec .venv/bin/jupyter lcsse "$@"
