// Starting and stopping real `ail2-node` processes for the end-to-end tests.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, createWriteStream, existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiPromise, WsProvider } from '@polkadot/api';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '..', '..', '..');

/** The node binary: $AIL2_NODE, else the release build in $CARGO_TARGET_DIR. */
export function nodeBinary() {
  if (process.env.AIL2_NODE) return process.env.AIL2_NODE;
  const target = process.env.CARGO_TARGET_DIR || path.join(os.homedir(), '.cache', 'ail2', 'target');
  const bin = path.join(target, 'release', 'ail2-node');
  if (!existsSync(bin)) throw new Error(`ail2-node not found at ${bin}; build it or set AIL2_NODE`);
  return bin;
}

/** A TCP port that was free a moment ago on loopback. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * A running node. `args` are extra CLI arguments; ports are chosen here. The node writes
 * its log to `<basePath>/node.log`; on a failed test the log path is printed.
 */
export class Node {
  /**
   * `tmp: true` runs the node with `--tmp` (its database in a directory it deletes on
   * exit); otherwise it uses `basePath`, or a fresh temporary one, which survives restarts.
   */
  constructor({ name, args = [], basePath, tmp = false }) {
    this.name = name;
    this.args = args;
    this.tmp = tmp;
    this.ownsBase = !basePath;
    this.basePath = basePath || mkdtempSync(path.join(os.tmpdir(), `ail2-${name}-`));
    this.proc = null;
  }

  async start() {
    this.rpcPort ??= await freePort();
    this.p2pPort ??= await freePort();
    this.promPort ??= await freePort();
    const args = [
      ...(this.tmp ? ['--tmp'] : ['--base-path', this.basePath]),
      '--rpc-port', String(this.rpcPort),
      '--prometheus-port', String(this.promPort),
      '--no-telemetry',
      '--no-mdns',
      '--rpc-cors', 'all',
      '--listen-addr', `/ip4/127.0.0.1/tcp/${this.p2pPort}`,
      ...this.args,
    ];
    this.logPath = path.join(this.basePath, `${this.name}.log`);
    const log = createWriteStream(this.logPath, { flags: 'a' });
    this.proc = spawn(nodeBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stdout.pipe(log);
    this.proc.stderr.pipe(log);
    this.exited = new Promise((resolve) => this.proc.once('exit', (code, signal) => resolve({ code, signal })));
    await this.waitForRpc();
    return this;
  }

  get wsUrl() {
    return `ws://127.0.0.1:${this.rpcPort}`;
  }

  async rpc(method, params = []) {
    const res = await fetch(`http://127.0.0.1:${this.rpcPort}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    });
    const body = await res.json();
    if (body.error) throw new Error(`${method}: ${JSON.stringify(body.error)}`);
    return body.result;
  }

  async waitForRpc(timeoutMs = 120_000) {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    this.exited.then(() => { exited = true; });
    while (Date.now() < deadline) {
      if (exited) throw new Error(`${this.name} exited during start-up:\n${this.logTail()}`);
      try {
        await this.rpc('system_health');
        return;
      } catch {
        await sleep(250);
      }
    }
    throw new Error(`${this.name}: RPC not up after ${timeoutMs} ms:\n${this.logTail()}`);
  }

  /** The last lines of the node's log, for error messages (the log is deleted with the node). */
  logTail(lines = 30) {
    try {
      return readFileSync(this.logPath, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** The peer id derived from this node's key (for bootnode addresses). */
  async peerId() {
    return this.rpc('system_localPeerId');
  }

  async bestNumber() {
    const header = await this.rpc('chain_getHeader');
    return parseInt(header.number, 16);
  }

  async finalizedNumber() {
    const hash = await this.rpc('chain_getFinalizedHead');
    const header = await this.rpc('chain_getHeader', [hash]);
    return parseInt(header.number, 16);
  }

  /** Waits until the finalized head reaches `target`. */
  async waitForFinalized(target, timeoutMs = 180_000) {
    const deadline = Date.now() + timeoutMs;
    let last = -1;
    while (Date.now() < deadline) {
      last = await this.finalizedNumber();
      if (last >= target) return last;
      await sleep(1000);
    }
    throw new Error(`${this.name}: finalized #${last}, wanted #${target} within ${timeoutMs} ms:\n${this.logTail()}`);
  }

  async api() {
    return ApiPromise.create({ provider: new WsProvider(this.wsUrl), noInitWarn: true, throwOnConnect: true });
  }

  /** SIGKILL: the node gets no chance to flush, as after a crash or power loss. */
  async kill() {
    if (!this.proc || this.proc.exitCode !== null) return;
    this.proc.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM and wait, as an operator stopping the service. */
  async stop() {
    if (!this.proc || this.proc.exitCode !== null) return;
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 20_000);
    await this.exited;
    clearTimeout(timer);
  }

  async dispose() {
    await this.stop();
    if (this.ownsBase) rmSync(this.basePath, { recursive: true, force: true });
  }
}
