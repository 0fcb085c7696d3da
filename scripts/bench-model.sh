#!/usr/bin/env bash
# Tokens/s of the tiny and the ~100M-parameter random models on this machine (flex CPU
# backend unless ail2-worker was built with `--features wgpu`).
set -euo pipefail
source "$(dirname "$0")/common.sh"
build_worker
"$WORKER_BIN" bench-model --preset tiny --tokens 256 --prompt 64
"$WORKER_BIN" bench-model --preset 100m --tokens 32 --prompt 64
