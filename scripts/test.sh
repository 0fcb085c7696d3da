#!/usr/bin/env bash
# README command 2: set up, build and run every AIL2 test:
#   1. Rust tests of both workspaces: the chain (runtime, pallets, primitives, node) and the
#      worker (model against the NumPy reference, receipts, HTTP API),
#   2. the chain-spec check (chain-specs/ matches what the presets generate),
#   3. the worker's checked-in runtime metadata matches the runtime,
#   4. end-to-end tests against real ail2-node and ail2-worker processes (dev chain with a
#      serving worker; 4-validator network).
set -euo pipefail
source "$(dirname "$0")/common.sh"

"$ROOT/scripts/setup.sh"
build_node
build_worker

log "race derivations: the independent Python implementation reproduces the checked-in vectors"
python3 "$ROOT/primitives/reference/race.py" --check "$ROOT/primitives/tests/race_vectors.json"
log "cargo test (workspace, $PROFILE)"
(cd "$ROOT" && cargo test --locked --profile "$PROFILE" --workspace --features "$NODE_FEATURES")
log "cargo test (worker workspace, $PROFILE)"
(cd "$ROOT/worker" && cargo test --locked --profile "$PROFILE" --workspace)

log "chain specs are up to date"
"$ROOT/scripts/chain-specs.sh" --check
log "the worker's runtime metadata is up to date"
"$ROOT/scripts/refresh-metadata.sh" --check

install_e2e_deps
log "end-to-end tests"
(cd "$ROOT/tests/e2e" && node --test --test-concurrency=1 --test-reporter=spec ./*.test.mjs)
