// The gateway in front of two workers on a real `ail2-node --dev` (fast-runtime): it reads
// the registry and the model from the chain, routes requests over both workers, survives one
// being killed mid-run without a client-visible error, serves OpenAI's own Python client
// (plain and streaming), and every receipt it returned — from both workers — settles on
// chain.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { u8aToHex } from '@polkadot/util';
import { Node, freePort, repoRoot, sleep } from './lib/node.mjs';
import { UNITS } from './lib/chain.mjs';
import { DEV_GATEWAY_KEY, VERSION, fundPayer, price, registerActiveModel } from './lib/ail2.mjs';
import { WorkerProcess, startGateway, workerCommand } from './lib/worker.mjs';

const STAKE = 10_000n * UNITS;
const ESCROW = 1_000n * UNITS;
const MAX_PRICE = UNITS / 10n;
const REQUESTS = 24;

describe('ail2-worker gateway on ail2-node --dev', () => {
  let node;
  let api;
  let k;
  let dir;
  let gateway;
  let apiKey;
  const workers = {};
  const processes = [];

  before(async () => {
    await cryptoWaitReady();
    dir = mkdtempSync(path.join(os.tmpdir(), 'ail2-gateway-e2e-'));
    node = await new Node({ name: 'gateway', tmp: true, args: ['--dev'] }).start();
    api = await node.api();
    const keyring = new Keyring({ type: 'sr25519' });
    k = Object.fromEntries(['Alice', 'Bob', 'Charlie', 'Dave', 'Eve', 'Ferdie'].map((n) => [n, keyring.addFromUri(`//${n}`)]));

    workerCommand(['init-model', '--preset', 'tiny', '--out', path.join(dir, 'model')]);
    const modelId = await registerActiveModel(api, { name: 'tiny', developer: k.Charlie, sudo: k.Alice });
    await fundPayer(api, { payer: k.Dave, amount: ESCROW, gatewayKey: DEV_GATEWAY_KEY() });

    // Two workers, each with its own hot key, owner and port, registered at their real URL.
    for (const [name, hot, owner] of [['a', '//Ferdie', '//Bob'], ['b', '//Eve', '//Alice']]) {
      const port = await freePort();
      const env = { AIL2_DATA_DIR: path.join(dir, `data-${name}`), AIL2_CHAIN_URL: node.wsUrl };
      workerCommand(['keys', 'generate', '--hot-uri', hot], env);
      workerCommand(['register', '--owner-uri', owner, '--stake', String(STAKE), '--endpoint', `http://127.0.0.1:${port}`], env);
      const account = u8aToHex(keyring.addFromUri(hot).publicKey);
      workers[account] = { name, port, env, modelId };
    }
    for (const worker of Object.values(workers)) worker.process = await startWorker(worker, 2);

    // The gateway: Dave's API key (hashed in its configuration) and the dev gateway key.
    let keysToml;
    ({ gateway, apiKey, keysToml } = await startGateway({ dir, chainUrl: node.wsUrl, payer: k.Dave.address, maxPrice: MAX_PRICE, workers: 2 }));
    processes.push(gateway);
    assert.ok(!keysToml.includes(apiKey), 'the configuration holds only the hash');
  });

  after(async () => {
    for (const proc of processes) await proc.stop();
    await api?.disconnect();
    await node?.dispose();
    if (dir && !process.env.AIL2_E2E_KEEP) rmSync(dir, { recursive: true, force: true });
  });

  async function startWorker(worker, batchAgeSecs) {
    const proc = new WorkerProcess({
      port: worker.port,
      logPath: path.join(dir, `worker-${worker.name}.log`),
      env: worker.env,
      args: ['serve', '--model-dir', path.join(dir, 'model'), '--model-id', String(worker.modelId), '--model-name', 'tiny',
        '--listen', `127.0.0.1:${worker.port}`, '--batch-max-receipts', '100', '--batch-max-age-secs', String(batchAgeSecs),
        // This test kills a worker while its receipts may be under check: as a verifier the
        // other would rightly vote the unfetchable transcripts invalid. Spot checks have
        // their own tests (poi-gateway.test.mjs); here the workers only bid.
        '--no-verify'],
    });
    processes.push(proc);
    return proc.start();
  }

  async function chat(content) {
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      body: JSON.stringify({ model: 'tiny', messages: [{ role: 'user', content }], max_tokens: 12 }),
    });
    const body = await response.json();
    return { status: response.status, body, worker: response.headers.get('x-ail2-worker') };
  }

  const answered = [];
  let killedWorker;

  test('requests spread over both workers and a killed worker costs the client nothing', async () => {
    let next = 0;
    // Two clients at once; after a third of the requests the worker that has served the most
    // so far is SIGKILLed (the router samples, so which one that is is not fixed in advance).
    async function client() {
      while (next < REQUESTS) {
        const n = next;
        next += 1;
        if (n === REQUESTS / 3 && killedWorker === undefined) {
          const tally = (account) => answered.filter((r) => r.worker === account).length;
          killedWorker = Object.keys(workers).reduce((a, b) => (tally(b) > tally(a) ? b : a));
          await workers[killedWorker].process.kill();
        }
        const result = await chat(`Request ${n}: tell me about routers.`);
        assert.equal(result.status, 200, JSON.stringify(result.body));
        assert.equal(BigInt(result.body.receipt.price), price(result.body.usage.prompt_tokens, result.body.usage.completion_tokens));
        answered.push(result);
      }
    }
    await Promise.all([client(), client()]);
    const first = killedWorker;
    const second = Object.keys(workers).find((account) => account !== first);
    assert.equal(answered.length, REQUESTS);
    const served = (account) => answered.filter((r) => r.worker === account).length;
    assert.ok(served(first) > 0, 'the killed worker served requests before it was killed');
    assert.ok(served(second) > 0, 'the surviving worker served requests');
    assert.equal(served(first) + served(second), REQUESTS);

    // The router's choices are what the gateway reports per worker.
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    for (const account of [first, second]) {
      const line = metrics.split('\n').find((l) => l.startsWith('ail2_gateway_worker_selections_total') && l.includes(account));
      assert.ok(line && Number(line.split(' ').pop()) >= served(account), `${account}: ${line}`);
    }
    // The killed worker's in-flight or next request was retried elsewhere, or it was marked
    // offline by a probe first; either way no client saw an error.
    const usage = await (await fetch(`${gateway.url}/v1/ail2/usage`, { headers: { authorization: `Bearer ${apiKey}` } })).json();
    assert.equal(usage.requests, REQUESTS);
    assert.equal(BigInt(usage.spent), answered.reduce((sum, r) => sum + BigInt(r.body.receipt.price), 0n));
  });

  test("OpenAI's Python client works against the gateway, plain and streaming", () => {
    const run = spawnSync('python3', [path.join(repoRoot, 'tests', 'e2e', 'tools', 'openai_client.py'), `${gateway.url}/v1`, apiKey, 'tiny'], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(run.status, 0, run.stderr);
    const out = JSON.parse(run.stdout);
    assert.ok(out.text.length > 0);
    assert.ok(['stop', 'length'].includes(out.finish_reason));
    assert.ok(out.usage.completion_tokens > 0);
    assert.match(out.receipt.scale, /^0x[0-9a-f]+$/);
    assert.ok(out.stream_text.length > 0);
    assert.ok(out.stream_finish_reason);
    assert.match(out.stream_receipt.scale, /^0x[0-9a-f]+$/);
    // Greedy decoding: the stream says what the plain answer said.
    assert.equal(out.stream_text, out.text);
  });

  test('receipts from both workers settle on chain', async () => {
    // The killed worker comes back on its own store and proposes what it acknowledged.
    assert.ok(killedWorker, 'a worker was killed by the first test');
    workers[killedWorker].process = await startWorker(workers[killedWorker], 1);
    const dave = u8aToHex(k.Dave.publicKey);
    for (const [account, { modelId }] of Object.entries(workers)) {
      const counters = answered.filter((r) => r.worker === account).map((r) => BigInt(r.body.receipt.counter));
      const highest = counters.reduce((a, b) => (a > b ? a : b), 0n);
      const deadline = Date.now() + 240_000;
      for (;;) {
        // The replay guard of the worker's stream to Dave: this model at 1.0.0.
        const proposed = (await api.query.receipts.lastCounter(account, dave, modelId, VERSION)).toBigInt();
        if (proposed >= highest) break;
        if (Date.now() > deadline) throw new Error(`${account} proposed up to ${proposed}, answered up to ${highest}`);
        await sleep(1_000);
      }
    }
    // Every batch of both workers reaches Paid.
    const deadline = Date.now() + 240_000;
    for (;;) {
      const batches = await api.query.receipts.batches.entries();
      const ours = batches.map(([, b]) => b.unwrap()).filter((b) => Object.keys(workers).includes(b.worker.toHex()));
      const workersPaid = new Set(ours.filter((b) => b.status.isPaid).map((b) => b.worker.toHex()));
      if (ours.length > 0 && ours.every((b) => b.status.isPaid) && workersPaid.size === 2) {
        const total = ours.reduce((sum, b) => sum + b.root.sum.toBigInt(), 0n);
        const returned = answered.reduce((sum, r) => sum + BigInt(r.body.receipt.price), 0n);
        // The Python client's two requests were billed too.
        assert.ok(total >= returned, `${total} paid, ${returned} returned to the test's own requests`);
        break;
      }
      if (Date.now() > deadline) throw new Error(`batches not all paid: ${ours.map((b) => `${b.worker.toHex()}:${b.status.type}`)}`);
      await sleep(2_000);
    }
  });
});
