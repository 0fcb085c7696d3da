# Shared by the scripts: where builds go and how the node is built.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# One persistent target directory outside the clone, so every clone, CI run and session
# builds incrementally.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ail2/target}"
# One profile for everything: the node, the tests, CI.
PROFILE=release
# The development and test node shortens epochs and challenge windows (`fast-runtime`), so
# a dev chain pays a worker within a minute and end-to-end tests see settlement. Production
# nodes are built without it: `cargo build --profile production -p ail2-node`.
NODE_FEATURES="ail2-node/fast-runtime"
NODE_BIN="$CARGO_TARGET_DIR/$PROFILE/ail2-node"
WORKER_BIN="$CARGO_TARGET_DIR/$PROFILE/ail2-worker"
# The runtime's WASM build looks for Cargo.lock above its target directory, which lives
# outside the clone; point it at the workspace so it builds the locked versions.
export WASM_BUILD_WORKSPACE_HINT="$ROOT"
export AIL2_NODE="${AIL2_NODE:-$NODE_BIN}"
# litep2p turns on OpenSSL's `vendored` feature, which compiles OpenSSL from source: six
# CPU-minutes of a clean build (cargo's timings). setup.sh installs the system's libssl-dev,
# so link that instead.
export OPENSSL_NO_VENDOR=1

log() { printf '[%s] %s\n' "$(basename "$0")" "$*" >&2; }

# Builds the node. Tests, dev.sh and CI all go through this, so they share artifacts. It
# builds the whole workspace (every member is a dependency of the node anyway) so that the
# members are compiled with the features `cargo test --workspace` selects (their `default`
# on): built with `-p ail2-node`, the tests compiled the runtime, its WASM and the node a
# second time.
build_node() {
  log "building ail2-node ($PROFILE) into $CARGO_TARGET_DIR"
  (cd "$ROOT" && cargo build --locked --timings --profile "$PROFILE" --workspace --features "$NODE_FEATURES")
}

# Builds ail2-worker (its own workspace under worker/; flex CPU backend). The tests build it
# with `build_worker_and_tests` instead: the test-only dependencies change features of crates
# under the model (tempfile turns on bitflags' `std`, which rebuilds onig, tokenizers, the
# model and the race), so one build of every target compiles each crate once.
build_worker() {
  log "building ail2-worker ($PROFILE) into $CARGO_TARGET_DIR"
  (cd "$ROOT/worker" && cargo build --locked --timings --profile "$PROFILE" -p ail2-worker)
}

# Builds ail2-worker and every test and example of the worker's workspace in one go.
build_worker_and_tests() {
  log "building ail2-worker and the worker workspace's tests ($PROFILE) into $CARGO_TARGET_DIR"
  (cd "$ROOT/worker" && cargo build --locked --timings --profile "$PROFILE" --workspace --all-targets)
}

# Installs the end-to-end test dependencies (@polkadot/api) from package-lock.json.
install_e2e_deps() {
  if [ ! -d "$ROOT/tests/e2e/node_modules/@polkadot/api" ]; then
    log "installing @polkadot/api for the end-to-end tests"
    (cd "$ROOT/tests/e2e" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}
