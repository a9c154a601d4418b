#!/usr/bin/env bash
# Set up (idempotent) and run the kafka-chaos CLI: scripts/chaos.sh run scenarios/leader-kill.toml
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/kafka-chaos "$@"
