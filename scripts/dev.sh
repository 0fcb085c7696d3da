#!/usr/bin/env bash
# README command 1: set up, build and start a single-validator AIL2 development chain with
# one worker serving the project's tiny model, registered and ready for paid requests, and a
# gateway in front of it with an API key that spends payer Dave's escrow.
#
#   node:    ws://127.0.0.1:9944 (polkadot.js apps: Development → Local node)
#   worker:  http://127.0.0.1:8080 (takes gateway-signed requests only)
#   gateway: http://127.0.0.1:8090/v1 (OpenAI-compatible; the API key is printed at start)
#
# The chain's state lives in a temporary directory and is discarded on exit (pass
# `--base-path DIR`, or any other ail2-node flag, to change that); the worker's keys, model
# and receipt store live in $AIL2_DEV_DIR (default: a temporary directory). Ctrl-C stops both.
set -euo pipefail
source "$(dirname "$0")/common.sh"

"$ROOT/scripts/setup.sh"
build_node
build_worker
install_e2e_deps

dev_dir="${AIL2_DEV_DIR:-$(mktemp -d -t ail2-dev-XXXXXX)}"
mkdir -p "$dev_dir"
worker_port="${AIL2_WORKER_PORT:-8080}"
gateway_port="${AIL2_GATEWAY_PORT:-8090}"
export AIL2_DATA_DIR="$dev_dir/worker" AIL2_CHAIN_URL="ws://127.0.0.1:9944"

args=(--dev --rpc-cors all)
case " $* " in *" --base-path "*|*" -d "*) ;; *) args+=(--tmp) ;; esac
log "starting ail2-node ${args[*]} $* (log: $dev_dir/node.log)"
"$NODE_BIN" "${args[@]}" "$@" >"$dev_dir/node.log" 2>&1 &
node_pid=$!
worker_pid=""
gateway_pid=""
cleanup() {
  [ -n "$gateway_pid" ] && kill "$gateway_pid" 2>/dev/null || true
  [ -n "$worker_pid" ] && kill "$worker_pid" 2>/dev/null || true
  kill "$node_pid" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

for _ in $(seq 1 120); do
  curl -sf -H 'Content-Type: application/json' \
    -d '{"id":1,"jsonrpc":"2.0","method":"system_health","params":[]}' http://127.0.0.1:9944 >/dev/null 2>&1 && break
  sleep 0.5
done

log "registering the tiny model and funding payer Dave"
model_id=$(cd "$ROOT/tests/e2e" && node tools/dev-setup.mjs "$AIL2_CHAIN_URL")

[ -f "$dev_dir/model/config.json" ] || "$WORKER_BIN" init-model --preset tiny --out "$dev_dir/model" >/dev/null
[ -f "$AIL2_DATA_DIR/keys.json" ] || "$WORKER_BIN" keys generate --hot-uri //Ferdie >/dev/null
log "registering the worker (owner //Bob, hot key //Ferdie)"
"$WORKER_BIN" register --owner-uri //Bob --stake 10000000000000000 --endpoint "http://127.0.0.1:$worker_port"

log "starting ail2-worker serve on 127.0.0.1:$worker_port (log: $dev_dir/worker.log)"
"$WORKER_BIN" serve --model-dir "$dev_dir/model" --model-id "$model_id" --model-name tiny \
  --listen "127.0.0.1:$worker_port" --batch-max-receipts 10 --batch-max-age-secs 30 \
  >"$dev_dir/worker.log" 2>&1 &
worker_pid=$!
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$worker_port/health" >/dev/null 2>&1 && break
  sleep 0.5
done

# The gateway signs with the dev gateway key dev-setup registered for Dave; Dave's API key is
# made once per dev directory (the gateway's configuration holds only its hash).
[ -f "$dev_dir/gateway-key.json" ] ||
  "$WORKER_BIN" gateway-key generate --out "$dev_dir/gateway-key.json" --secret "0x$(printf '64%.0s' $(seq 32))" >/dev/null
if [ ! -f "$dev_dir/api-keys.toml" ]; then
  "$WORKER_BIN" api-key --name dev --payer 5DAAnrj7VHTznn2AWBemMuyBwZWs6FNFjdyVXUeYum3PTXFy \
    --max-price 100000000000 >"$dev_dir/api-keys.toml" 2>"$dev_dir/api-key.out"
  chmod 600 "$dev_dir/api-key.out"
fi
api_key=$(grep -o 'ail2-[0-9a-f]*' "$dev_dir/api-key.out")
log "starting ail2-worker gateway on 127.0.0.1:$gateway_port (log: $dev_dir/gateway.log)"
"$WORKER_BIN" gateway --api-keys "$dev_dir/api-keys.toml" --gateway-key-file "$dev_dir/gateway-key.json" \
  --listen "127.0.0.1:$gateway_port" >"$dev_dir/gateway.log" 2>&1 &
gateway_pid=$!
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$gateway_port/health" | grep -q '"workers":1' && break
  sleep 0.5
done
log "ready: node ws://127.0.0.1:9944, worker http://127.0.0.1:$worker_port (model id $model_id)"
log "gateway http://127.0.0.1:$gateway_port/v1 with API key (payer Dave): $api_key"
log "try: curl -s http://127.0.0.1:$gateway_port/v1/chat/completions -H 'authorization: Bearer $api_key' -H 'content-type: application/json' -d '{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello!\"}]}'"
wait "$node_pid"
