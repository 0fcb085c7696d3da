#!/usr/bin/env bash
# README command 1: set up, build and start a single-validator AIL2 development chain with
# one worker serving the project's tiny model, registered and ready for paid requests.
#
#   node:   ws://127.0.0.1:9944 (polkadot.js apps: Development → Local node)
#   worker: http://127.0.0.1:8080 (OpenAI-compatible; see the README for a curl request)
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
export AIL2_DATA_DIR="$dev_dir/worker" AIL2_CHAIN_URL="ws://127.0.0.1:9944"

args=(--dev --rpc-cors all)
case " $* " in *" --base-path "*|*" -d "*) ;; *) args+=(--tmp) ;; esac
log "starting ail2-node ${args[*]} $* (log: $dev_dir/node.log)"
"$NODE_BIN" "${args[@]}" "$@" >"$dev_dir/node.log" 2>&1 &
node_pid=$!
worker_pid=""
cleanup() {
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
log "ready: node ws://127.0.0.1:9944, worker http://127.0.0.1:$worker_port (model id $model_id)"
log "sign a request as payer Dave: eval \"\$(cd tests/e2e && node tools/dev-authorise.mjs)\""
wait "$node_pid"
