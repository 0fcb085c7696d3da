#!/usr/bin/env bash
# README command 1: set up, build and start a single-validator AIL2 development chain.
# RPC/WebSocket on ws://127.0.0.1:9944 (polkadot.js apps: Development → Local node).
# State is kept in a temporary directory and discarded on exit; pass `--base-path DIR`
# (or any other ail2-node flag) to change that.
set -euo pipefail
source "$(dirname "$0")/common.sh"

"$ROOT/scripts/setup.sh"
build_node

args=(--dev --rpc-cors all)
case " $* " in *" --base-path "*|*" -d "*) ;; *) args+=(--tmp) ;; esac

log "starting ail2-node ${args[*]} $*"
exec "$NODE_BIN" "${args[@]}" "$@"
