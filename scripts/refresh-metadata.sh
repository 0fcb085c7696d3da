#!/usr/bin/env bash
# Writes the runtime metadata the worker's chain client is generated from
# (worker/chain/metadata/ail2.scale), read from a freshly started `ail2-node --dev`.
# With --check, fails if the checked-in file differs from what the current runtime reports,
# i.e. the worker would be built against a stale runtime.
set -euo pipefail
source "$(dirname "$0")/common.sh"

check=false
[ "${1:-}" = "--check" ] && check=true
[ -x "$NODE_BIN" ] || build_node

target="$ROOT/worker/chain/metadata/ail2.scale"
dir="$(mktemp -d)"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$NODE_BIN" --dev --base-path "$dir/node" --rpc-port "$port" --no-prometheus --no-telemetry \
  --port 0 >"$dir/node.log" 2>&1 &
node_pid=$!
trap 'kill $node_pid 2>/dev/null || true; wait $node_pid 2>/dev/null || true; rm -rf "$dir"' EXIT

rpc() {
  curl -sf -H 'Content-Type: application/json' \
    -d "{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"$1\",\"params\":[]}" "http://127.0.0.1:$port"
}
for _ in $(seq 1 120); do
  rpc system_health >/dev/null 2>&1 && break
  sleep 0.5
done
rpc state_getMetadata | jq -r .result \
  | python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.stdin.read().strip()[2:]))' >"$dir/ail2.scale"
[ -s "$dir/ail2.scale" ] || { log "could not read metadata from the node"; cat "$dir/node.log" >&2; exit 1; }

if $check; then
  if ! cmp -s "$dir/ail2.scale" "$target"; then
    log "worker/chain/metadata/ail2.scale is stale: run scripts/refresh-metadata.sh and commit it"
    exit 1
  fi
  log "metadata is up to date"
else
  cp "$dir/ail2.scale" "$target"
  log "wrote $target ($(wc -c <"$target") bytes)"
fi
