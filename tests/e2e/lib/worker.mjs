// Runs `ail2-worker` commands and serving processes for end-to-end tests.
import { spawn, execFileSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { repoRoot, sleep } from './node.mjs';

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
