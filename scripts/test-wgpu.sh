#!/usr/bin/env bash
# The model and race tests on burn's wgpu backend. Without a GPU they run on Mesa's Vulkan
# software driver (lavapipe), slowly: a check that the wgpu path computes the same logits as
# the NumPy reference and race artifacts within the tolerance. Not part of README command 2
# (wgpu adds ~40 CPU-minutes to a cold build).
set -euo pipefail
source "$(dirname "$0")/common.sh"
"$ROOT/scripts/setup.sh"

if ! dpkg -s mesa-vulkan-drivers >/dev/null 2>&1; then
  log "installing Mesa's Vulkan drivers (lavapipe)"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends mesa-vulkan-drivers libvulkan1
fi

log "ail2-model tests on wgpu"
(cd "$ROOT/worker" && AIL2_BACKEND=wgpu cargo test --locked --profile "$PROFILE" -p ail2-model --features wgpu)
# The race model on wgpu: its artifacts against the NumPy reference within τ/10, batch 1
# against batch 512, and lazy models caught, as on flex.
log "ail2-race tests on wgpu"
(cd "$ROOT/worker" && AIL2_BACKEND=wgpu cargo test --locked --profile "$PROFILE" -p ail2-race --features wgpu)
