#!/usr/bin/env bash
# The benchmark: set up .venv with the comparison servers (FastAPI, uvicorn,
# sse-starlette), then run every contestant side by side on loopback and write the
# table to BENCHMARKS.md. Extra arguments go to `python -m benchmarks.run`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh bench
exec .venv/bin/python -m benchmarks.run "$@"
