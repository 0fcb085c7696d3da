// Runs `ail2-worker` commands and serving processes for end-to-end tests.
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { createWriteStream, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort, repoRoot, sleep } from './node.mjs';

export function workerBinary() {
  if (process.env.AIL2_WORKER) return process.env.AIL2_WORKER;
  const target = process.env.CARGO_TARGET_DIR || path.join(process.env.HOME, '.cache', 'ail2', 'target');
  return path.join(target, 'release', 'ail2-worker');
}

/** Runs a one-shot `ail2-worker` command and returns its stdout. */
export function workerCommand(args, env = {}) {
  return execFileSync(workerBinary(), args, { env: { ...process.env, ...env }, encoding: 'utf8' });
}

/** A serving worker. */
export class WorkerProcess {
  constructor({ args, env = {}, logPath, port }) {
    this.args = args;
    this.env = env;
    this.logPath = logPath;
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
  }

  async start(timeoutMs = 120_000) {
    this.proc = spawn(workerBinary(), this.args, { env: { ...process.env, RUST_LOG: 'info', ...this.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const log = createWriteStream(this.logPath, { flags: 'a' });
    this.proc.stdout.pipe(log);
    this.proc.stderr.pipe(log);
    this.exited = new Promise((resolve) => this.proc.once('exit', resolve));
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.proc.exitCode !== null) throw new Error(`ail2-worker exited early; see ${this.logPath}`);
      try {
        const response = await fetch(`${this.url}/health`);
        if (response.ok) return this;
      } catch { /* not listening yet */ }
      await sleep(250);
    }
    throw new Error(`ail2-worker did not become healthy; see ${this.logPath}`);
  }

  /** SIGKILL: no chance to flush anything beyond what it already committed. */
  async kill() {
    if (this.proc && this.proc.exitCode === null) {
      this.proc.kill('SIGKILL');
      await this.exited;
    }
  }

  async stop() {
    if (this.proc && this.proc.exitCode === null) {
      this.proc.kill('SIGTERM');
      await Promise.race([this.exited, sleep(10_000)]);
      await this.kill();
    }
  }
}

/**
 * `ail2-worker gateway` on `chainUrl` with the dev gateway key and one API key of `payer`
 * (SS58) capped at `maxPrice`, its files and log in `dir`; resolves once `/health` shows
 * `workers` workers for the chain's model. Returns `{ gateway, apiKey, keysToml }` (the
 * configuration as written: it holds the key's hash only).
 */
export async function startGateway({ dir, chainUrl, payer, maxPrice, workers, registryIntervalMs = 2000 }) {
  workerCommand(['gateway-key', 'generate', '--out', path.join(dir, 'gateway.json'), '--secret', `0x${'64'.repeat(32)}`]);
  const made = spawnSync(workerBinary(), ['api-key', '--name', 'e2e', '--payer', payer, '--max-price', String(maxPrice), '--requests-per-minute', '6000'], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`ail2-worker api-key failed: ${made.stderr}`);
  const apiKey = made.stderr.match(/(ail2-[0-9a-f]{48})/)[1];
  writeFileSync(path.join(dir, 'keys.toml'), made.stdout);
  const port = await freePort();
  const gateway = new WorkerProcess({
    port,
    logPath: path.join(dir, 'gateway.log'),
    env: { AIL2_CHAIN_URL: chainUrl },
    args: ['gateway', '--api-keys', path.join(dir, 'keys.toml'), '--gateway-key-file', path.join(dir, 'gateway.json'),
      '--listen', `127.0.0.1:${port}`, '--probe-interval-ms', '500', '--registry-interval-ms', String(registryIntervalMs)],
  });
  await gateway.start();
  const deadline = Date.now() + 60_000;
  for (;;) {
    const health = await (await fetch(`${gateway.url}/health`)).json();
    if (health.models?.[0]?.workers === workers) break;
    if (Date.now() > deadline) {
      await gateway.stop();
      throw new Error(`the gateway never saw ${workers} workers: ${JSON.stringify(health)}`);
    }
    await sleep(250);
  }
  return { gateway, apiKey, keysToml: made.stdout };
}
