#!/usr/bin/env bash
# README command 2: set up, build and run every AIL2 test:
#   1. Rust tests of both workspaces: the chain (runtime, pallets, primitives, node) and the
#      worker (model against the NumPy reference, receipts, HTTP API),
#   2. the chain-spec check (chain-specs/ matches what the presets generate),
#   3. the worker's checked-in runtime metadata matches the runtime,
#   4. end-to-end tests against real ail2-node and ail2-worker processes (dev chain with a
#      serving worker; 4-validator network), the files in parallel on free ports.
# At the end (also when a phase fails) it prints how long each phase took; cargo's build
# timings (HTML, per crate) are kept under $CARGO_TARGET_DIR/cargo-timings/.
#
# AIL2_E2E_CONCURRENCY sets how many end-to-end files run at once (default 3: the files wait
# on blocks far more than they compute, and three at a time keep two cores busy without
# starving a node of its slot).
set -euo pipefail
source "$(dirname "$0")/common.sh"

phase_names=()
phase_seconds=()
phase_started=$SECONDS
report_phases() {
  local status=$?
  {
    printf '\n[test.sh] phase times (wall clock):\n'
    local i
    for i in "${!phase_names[@]}"; do
      printf '  %-58s %5d s\n' "${phase_names[$i]}" "${phase_seconds[$i]}"
    done
    printf '  %-58s %5d s\n' "total" "$SECONDS"
    if [ "$status" -ne 0 ]; then printf '  (stopped with status %d)\n' "$status"; fi
  } >&2
  exit "$status"
}
trap report_phases EXIT

# Runs "$@" as the phase named $1, recording its wall time.
phase() {
  local name=$1
  shift
  log "$name"
  phase_started=$SECONDS
  phase_names+=("$name")
  phase_seconds+=(0)
  local status=0
  "$@" || status=$?
  phase_seconds[${#phase_seconds[@]}-1]=$((SECONDS - phase_started))
  return "$status"
}

phase "setup" "$ROOT/scripts/setup.sh"
phase "build ail2-node ($PROFILE, fast-runtime)" build_node
phase "build ail2-worker and the worker tests ($PROFILE)" build_worker_and_tests

phase "race derivations: the Python reference against the vectors" \
  python3 "$ROOT/primitives/reference/race.py" --check "$ROOT/primitives/tests/race_vectors.json"
phase "receipt encodings: the Python reference against the vectors" \
  python3 "$ROOT/primitives/reference/receipts.py" --check "$ROOT/primitives/tests/receipt_vectors.json"
phase "issuance schedule: the Python reference against the vectors and Appendix F" \
  python3 "$ROOT/primitives/reference/issuance.py" --check "$ROOT/primitives/tests/issuance_vectors.json"
phase "issuance simulations: a year at three demand levels, self-dealing by weight share" \
  python3 "$ROOT/primitives/reference/issuance_sim.py"
phase "race adversary suite: shortcuts, tolerance, collapse and economics (tiny preset)" \
  python3 "$ROOT/worker/race/reference/adversary.py" --preset tiny --quiet
phase "cargo test: chain workspace" \
  bash -c "cd '$ROOT' && cargo test --locked --timings --profile '$PROFILE' --workspace --features '$NODE_FEATURES'"
phase "cargo test: worker workspace" \
  bash -c "cd '$ROOT/worker' && cargo test --locked --timings --profile '$PROFILE' --workspace"

phase "chain specs are up to date" "$ROOT/scripts/chain-specs.sh" --check
phase "the worker's runtime metadata is up to date" "$ROOT/scripts/refresh-metadata.sh" --check

phase "install end-to-end dependencies" install_e2e_deps
phase "end-to-end tests" bash -c "cd '$ROOT/tests/e2e' && node --test \
  --test-concurrency='${AIL2_E2E_CONCURRENCY:-3}' --test-reporter=spec ./*.test.mjs"
