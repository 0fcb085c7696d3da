#!/usr/bin/env bash
# Starts the four-validator local network (Alice, Bob, Charlie, Dave) on loopback from
# chain-specs/local-raw.json. Alice's RPC is ws://127.0.0.1:9944, Bob's 9945, and so on.
# Data lives under $AIL2_LOCALNET_DIR (default /tmp/ail2-localnet); Ctrl-C stops all four.
set -euo pipefail
source "$(dirname "$0")/common.sh"

"$ROOT/scripts/setup.sh"
build_node

dir="${AIL2_LOCALNET_DIR:-/tmp/ail2-localnet}"
mkdir -p "$dir"
spec="$ROOT/chain-specs/local-raw.json"
names=(alice bob charlie dave)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait' EXIT INT TERM

# Validators need a network key on disk or on the command line; fixed ones keep peer ids
# stable across restarts.
node_key() { printf '%064x' "$(($1 + 1))"; }
rpc() { curl -s -H 'content-type: application/json' -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$2\",\"params\":[]}" "http://127.0.0.1:$1" | jq -r .result; }
alice_peer=""

for i in "${!names[@]}"; do
  name=${names[$i]}
  args=(--chain "$spec" "--$name" --base-path "$dir/$name" --node-key "$(node_key "$i")"
        --port $((30333 + i)) --rpc-port $((9944 + i)) --prometheus-port $((9615 + i))
        --rpc-cors all --no-mdns)
  if [ "$i" -gt 0 ] && [ -n "$alice_peer" ]; then
    args+=(--bootnodes "/ip4/127.0.0.1/tcp/30333/p2p/$alice_peer")
  fi
  log "starting $name (rpc $((9944 + i)), log $dir/$name.log)"
  "$NODE_BIN" "${args[@]}" >"$dir/$name.log" 2>&1 &
  pids+=($!)
  if [ "$i" -eq 0 ]; then
    for _ in $(seq 1 240); do
      alice_peer=$(rpc 9944 system_localPeerId 2>/dev/null || true)
      [ -n "$alice_peer" ] && [ "$alice_peer" != null ] && break
      sleep 0.5
    done
    [ -n "$alice_peer" ] && [ "$alice_peer" != null ] || { log "alice did not come up; see $dir/alice.log"; exit 1; }
  fi
done
log "running; Ctrl-C to stop"
wait
