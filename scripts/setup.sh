#!/usr/bin/env bash
# Idempotent set-up: Python environment, Docker engine, broker image. Fast when all are there already.
#  - .venv with the harness installed (reinstalled only when pyproject.toml changes)
#  - a Docker engine: when none answers, install Debian's docker.io (if needed) and start dockerd
#  - the broker image (offline recipe), built only when missing
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '[setup] %s\n' "$*" >&2; }
die() { printf 'setup: %s\n' "$*" >&2; exit 2; }

apt_ready=""
apt_install() {
  command -v apt-get >/dev/null || die "apt-get not found: install $* by hand"
  if [ -z "$apt_ready" ]; then apt-get update -qq >/dev/null || die "apt-get update failed"; apt_ready=1; fi
  say "installing $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null || die "apt-get install $* failed"
}

# 1. Python environment
PY=${PYTHON:-python3}
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  say "creating .venv and installing the harness"
  [ -d .venv ] || "$PY" -m venv .venv || die "could not create a virtualenv with $PY"
  .venv/bin/pip install -q --upgrade pip >/dev/null
  .venv/bin/pip install -q -e '.[test]' || die "pip install failed"
  rm -f .venv/.installed-*; touch "$stamp"
fi

# 2. Docker engine (only when none answers)
if ! timeout 10 docker info >/dev/null 2>&1; then
  command -v dockerd >/dev/null || apt_install docker.io
  say "starting dockerd"
  nohup dockerd >/var/log/kafka-chaos-dockerd.log 2>&1 &
  for _ in $(seq 1 60); do timeout 5 docker info >/dev/null 2>&1 && break; sleep 1; done
  timeout 10 docker info >/dev/null 2>&1 || die "dockerd did not come up; see /var/log/kafka-chaos-dockerd.log"
fi

# 3. Broker image (offline recipe; `kafka-chaos image --recipe official` where a registry is reachable)
if ! .venv/bin/python -c "import sys; from harness.cluster.config import ImageSpec; from harness.cluster.image import image_exists; sys.exit(0 if image_exists(ImageSpec().tag) else 1)"; then
  command -v mmdebstrap >/dev/null || apt_install mmdebstrap
  command -v mvn >/dev/null || apt_install maven
  .venv/bin/kafka-chaos image || die "broker image build failed"
fi
say "ready"
