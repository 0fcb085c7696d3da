#!/usr/bin/env bash
# Regenerates chain-specs/local.json and chain-specs/local-raw.json from the runtime's
# `local_testnet` genesis preset. With --check, regenerates into a temporary directory and
# fails if the checked-in files differ (e.g. after a runtime change).
set -euo pipefail
source "$(dirname "$0")/common.sh"

check=false
[ "${1:-}" = "--check" ] && check=true
[ -x "$NODE_BIN" ] || build_node

out="$ROOT/chain-specs"
$check && out="$(mktemp -d)"
mkdir -p "$out"

"$NODE_BIN" build-spec --chain local --disable-default-bootnode 2>/dev/null >"$out/local.json"
"$NODE_BIN" build-spec --chain local --disable-default-bootnode --raw 2>/dev/null >"$out/local-raw.json"

if $check; then
  status=0
  for f in local.json local-raw.json; do
    if ! cmp -s "$out/$f" "$ROOT/chain-specs/$f"; then
      log "chain-specs/$f is stale: run scripts/chain-specs.sh and commit the result"
      status=1
    fi
  done
  rm -rf "$out"
  exit $status
fi
log "wrote $out/local.json and $out/local-raw.json"
