#!/usr/bin/env bash
# Runs the FRAME benchmarks of the AIL2 pallets and writes runtime/src/weights/<pallet>.rs.
#
#   scripts/benchmarks.sh                 # all AIL2 pallets, 50 steps × 20 repeats
#   scripts/benchmarks.sh pallet_receipts # one pallet
#   STEPS=2 REPEAT=1 scripts/benchmarks.sh   # a quick smoke run
#
# Builds ail2-node with `runtime-benchmarks` into the shared target directory (the crates
# whose features do not change are reused; the benchmark binary is kept apart as
# ail2-node-benchmarks so the normal node is not replaced).
set -euo pipefail
source "$(dirname "$0")/common.sh"

STEPS="${STEPS:-50}"
REPEAT="${REPEAT:-20}"
PALLETS=("$@")
if [ ${#PALLETS[@]} -eq 0 ]; then
  PALLETS=(pallet_workers pallet_models pallet_receipts pallet_challenges pallet_slashing)
fi

# frame-benchmarking-cli pulls in a test runtime whose WASM build cannot find itself in
# our workspace; `benchmark pallet` does not use it.
export SKIP_FRAME_STORAGE_ACCESS_TEST_RUNTIME_WASM_BUILD=1
log "building ail2-node with runtime-benchmarks"
(cd "$ROOT" && cargo build --locked --profile "$PROFILE" -p ail2-node --features runtime-benchmarks)
BENCH_BIN="$CARGO_TARGET_DIR/$PROFILE/ail2-node-benchmarks"
cp "$NODE_BIN" "$BENCH_BIN"
# Put the normal node back so scripts and tests never run the benchmark build by accident.
rm -f "$NODE_BIN"

mkdir -p "$ROOT/runtime/src/weights"
for pallet in "${PALLETS[@]}"; do
  log "benchmarking $pallet ($STEPS steps, $REPEAT repeats)"
  "$BENCH_BIN" benchmark pallet \
    --runtime-log=warn \
    --chain dev \
    --pallet "$pallet" \
    --extrinsic '*' \
    --steps "$STEPS" \
    --repeat "$REPEAT" \
    --wasm-execution compiled \
    --heap-pages 4096 \
    --header "$ROOT/scripts/weights-header.txt" \
    --output "$ROOT/runtime/src/weights/$pallet.rs"
done
log "weights written to runtime/src/weights/"
