#!/usr/bin/env bash
# Settlement primitives on this machine: Merkle-sum tree build for a batch of N receipts
# (default 1,000,000), proof verification, receipt signing and verification rates.
#   scripts/bench-settlement.sh [RECEIPTS]
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$ROOT"
cargo run --locked --profile "$PROFILE" -p ail2-primitives --example settlement_bench -- "${1:-1000000}"
