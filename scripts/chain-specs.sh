#!/usr/bin/env bash
# Regenerates chain-specs/{local,testnet}.json and their -raw.json from the runtime's
# `local_testnet` and `testnet` genesis presets. With --check, regenerates into a temporary directory and
# fails if the checked-in genesis differs (e.g. after a preset or runtime-config change).
#
# The check leaves the runtime WASM itself out: rustc does not produce it byte for byte
# alike in two checkouts or target directories (code layout differs), so comparing it would
# fail every fresh clone. Reproducible runtime builds are a release-tooling task; here the
# genesis state is what must match.
set -euo pipefail
source "$(dirname "$0")/common.sh"

check=false
[ "${1:-}" = "--check" ] && check=true
[ -x "$NODE_BIN" ] || build_node

out="$ROOT/chain-specs"
$check && out="$(mktemp -d)"
mkdir -p "$out"

specs=(local testnet)
for chain in "${specs[@]}"; do
  "$NODE_BIN" build-spec --chain "$chain" --disable-default-bootnode 2>/dev/null >"$out/$chain.json"
  "$NODE_BIN" build-spec --chain "$chain" --disable-default-bootnode --raw 2>/dev/null >"$out/$chain-raw.json"
done

# A chain spec without its runtime code: `code` in the plain spec, the `:code` storage
# entry (0x3a636f6465) in the raw one.
without_code() {
  jq -S 'del(.genesis.runtimeGenesis.code) | del(.genesis.raw.top["0x3a636f6465"])' "$1"
}

if $check; then
  status=0
  for f in "${specs[@]/%/.json}" "${specs[@]/%/-raw.json}"; do
    if ! cmp -s <(without_code "$out/$f") <(without_code "$ROOT/chain-specs/$f"); then
      log "chain-specs/$f is stale: run scripts/chain-specs.sh and commit the result"
      diff <(without_code "$ROOT/chain-specs/$f") <(without_code "$out/$f") | head -20 >&2 || true
      status=1
    fi
  done
  rm -rf "$out"
  exit $status
fi
log "wrote ${specs[*]/%/.json} and their raw forms to $out"
