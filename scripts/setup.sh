#!/usr/bin/env bash
# Installs everything AIL2 needs to build and test on a fresh Debian/Ubuntu machine.
# Idempotent: every step checks before it installs.
set -euo pipefail

log() { printf '[setup] %s\n' "$*"; }

need_apt=()
command -v protoc >/dev/null 2>&1 || need_apt+=(protobuf-compiler)
command -v clang >/dev/null 2>&1 || need_apt+=(clang)
command -v pkg-config >/dev/null 2>&1 || need_apt+=(pkg-config)
dpkg -s libssl-dev >/dev/null 2>&1 || need_apt+=(libssl-dev)
command -v curl >/dev/null 2>&1 || need_apt+=(curl)
command -v jq >/dev/null 2>&1 || need_apt+=(jq)
command -v python3 >/dev/null 2>&1 || need_apt+=(python3 python3-pip)

if [ "${#need_apt[@]}" -gt 0 ]; then
  log "installing system packages: ${need_apt[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi

if ! command -v rustup >/dev/null 2>&1; then
  echo "rustup is required (https://rustup.rs); install it and re-run" >&2
  exit 1
fi

# rust-toolchain.toml names the channel, targets and components; this makes rustup
# install them now rather than on first use inside a build.
cd "$(dirname "$0")/.."
toolchain=$(sed -n 's/^channel *= *"\(.*\)"/\1/p' rust-toolchain.toml)
rustup toolchain list | grep -q "^${toolchain}" || rustup toolchain install "$toolchain" --profile minimal
rustup target list --toolchain "$toolchain" --installed | grep -q '^wasm32v1-none$' || rustup target add --toolchain "$toolchain" wasm32v1-none
rustup component list --toolchain "$toolchain" --installed | grep -q '^rust-src' || rustup component add --toolchain "$toolchain" rust-src
# The worker's model tests compare burn against an independent NumPy forward pass.
if ! python3 -c 'import numpy, safetensors' >/dev/null 2>&1; then
  log "installing the NumPy reference's Python packages"
  python3 -m pip install --quiet --disable-pip-version-check -r worker/model/reference/requirements.txt \
    || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages -r worker/model/reference/requirements.txt
fi
# The gateway's end-to-end test drives it with OpenAI's own Python client.
if ! python3 -c 'import openai' >/dev/null 2>&1; then
  log "installing the OpenAI Python client for the gateway test"
  python3 -m pip install --quiet --disable-pip-version-check -r tests/e2e/requirements.txt \
    || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages -r tests/e2e/requirements.txt
fi
log "ok"
