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
  PALLETS=(pallet_workers pallet_models pallet_receipts pallet_challenges pallet_slashing pallet_race pallet_poi pallet_issuance)
fi

# frame-benchmarking-cli pulls in a test runtime whose WASM build cannot find itself in
# our workspace; `benchmark pallet` does not use it.
export SKIP_FRAME_STORAGE_ACCESS_TEST_RUNTIME_WASM_BUILD=1
log "building ail2-node with runtime-benchmarks"
(cd "$ROOT" && cargo build --locked --profile "$PROFILE" -p ail2-node --features runtime-benchmarks)
BENCH_BIN="$CARGO_TARGET_DIR/$PROFILE/ail2-node-benchmarks"
cp "$NODE_BIN" "$BENCH_BIN"
# Scripts and tests must never run the benchmark build by accident: the next build_node
# puts the normal node back.
rm -f "$NODE_BIN"
RUNTIME_WASM="$CARGO_TARGET_DIR/$PROFILE/wbuild/ail2-runtime/ail2_runtime.compact.compressed.wasm"

mkdir -p "$ROOT/runtime/src/weights"
for pallet in "${PALLETS[@]}"; do
  steps="$STEPS" repeat="$REPEAT"
  # open_dispute's setup registers up to MaxWorkers (1,024) workers for every repeat; 10
  # steps × 5 repeats keep the run near ten minutes and still fit the linear component.
  if [ "$pallet" = pallet_challenges ]; then
    steps="${CHALLENGES_STEPS:-10}" repeat="${CHALLENGES_REPEAT:-5}"
  fi
  # pallet_race's hook benchmarks register up to MaxParticipants (256) workers per repeat.
  if [ "$pallet" = pallet_race ]; then
    steps="${RACE_STEPS:-10}" repeat="${RACE_REPEAT:-3}"
  fi
  # pallet_poi's end_round elects from up to MaxBidders bidders of every model and pays the
  # previous round's bids: ~20 s a run at 50 × 20.
  # pallet_issuance's hook benchmarks register up to 1,024 workers per repeat (~3 ms each).
  if [ "$pallet" = pallet_issuance ]; then
    steps="${ISSUANCE_STEPS:-10}" repeat="${ISSUANCE_REPEAT:-5}"
  fi
  if [ "$pallet" = pallet_poi ]; then
    steps="${POI_STEPS:-10}" repeat="${POI_REPEAT:-3}"
  fi
  log "benchmarking $pallet ($steps steps, $repeat repeats)"
  "$BENCH_BIN" benchmark pallet \
    --runtime-log=warn \
    --runtime "$RUNTIME_WASM" \
    --genesis-builder runtime \
    --genesis-builder-preset development \
    --pallet "$pallet" \
    --extrinsic '*' \
    --steps "$steps" \
    --repeat "$repeat" \
    --wasm-execution compiled \
    --heap-pages 4096 \
    --header "$ROOT/scripts/weights-header.txt" \
    --output "$ROOT/runtime/src/weights/$pallet.rs"
done
log "weights written to runtime/src/weights/"
