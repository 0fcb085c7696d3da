#!/usr/bin/env bash
# Measures a dev node: resident memory once it has produced N blocks (default 100) and is
# otherwise idle, and the observed block time (mean and spread of on-chain timestamps).
#   scripts/measure-node.sh [BLOCKS]
set -euo pipefail
source "$(dirname "$0")/common.sh"
blocks="${1:-100}"
[ -x "$NODE_BIN" ] || build_node

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
p2p=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
log=$(mktemp)
"$NODE_BIN" --dev --tmp --rpc-port "$port" --port "$p2p" --no-prometheus --no-telemetry >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$log"' EXIT

rpc() {
  curl -s -H 'content-type: application/json' \
    -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$1\",\"params\":$2}" "http://127.0.0.1:$port"
}
until rpc system_health '[]' >/dev/null 2>&1; do sleep 0.5; done
start=$(date +%s)
while :; do
  best=$(rpc chain_getHeader '[]' | jq -r '.result.number' 2>/dev/null || echo 0x0)
  [ $((best)) -ge "$blocks" ] && break
  sleep 2
done
elapsed=$(( $(date +%s) - start ))
rss_kib=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
hwm_kib=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")

# Timestamps (ms) of blocks 1..N from Timestamp.Now: twox128("Timestamp") ++ twox128("Now").
key=0xf0c365c3cf59d671eb72da0e7a4113c49f1f0515f462cdcf84e0f1d6045dfcbb
prev=""; deltas=()
for n in $(seq 1 "$blocks"); do
  hash=$(rpc chain_getBlockHash "[$n]" | jq -r .result)
  raw=$(rpc state_getStorage "[\"$key\", \"$hash\"]" | jq -r .result)
  # SCALE u64, little-endian hex.
  ts=$(python3 -c "import sys; print(int.from_bytes(bytes.fromhex(sys.argv[1][2:]), 'little'))" "$raw")
  [ -n "$prev" ] && deltas+=($((ts - prev)))
  prev=$ts
done
python3 - "$blocks" "$elapsed" "$rss_kib" "$hwm_kib" "${deltas[@]}" <<'PY'
import statistics, sys
blocks, elapsed, rss, hwm = map(int, sys.argv[1:5])
d = [int(x) for x in sys.argv[5:]]
print(f"blocks: {blocks} in {elapsed} s of wall time")
print(f"RSS after block {blocks}: {rss/1024:.1f} MiB (peak {hwm/1024:.1f} MiB)")
print(f"block time: mean {statistics.mean(d)/1000:.3f} s, stdev {statistics.pstdev(d)/1000:.3f} s, "
      f"min {min(d)/1000:.3f} s, max {max(d)/1000:.3f} s over {len(d)} intervals")
PY
