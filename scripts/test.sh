#!/usr/bin/env bash
# Set up (idempotent) and run the whole test suite: unit tests and real-cluster integration tests.
# Extra arguments go to pytest (e.g. -m "not cluster" for the quick unit tests only).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m pytest -v -p no:cacheprovider "$@"
