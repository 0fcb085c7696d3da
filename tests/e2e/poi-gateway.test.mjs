// Spot checks on a real `ail2-node --dev`, behind a gateway, with nobody acting by hand:
// three workers serve the tiny model behind `ail2-worker gateway`, two honest and one
// cheater serving a perturbed copy of the weights under the model's id and version (with
// less stake, so that it never decides a vote). Each worker bids for the model and verifies
// by its own duties. The chain's parameters make every receipt due for a check; the verifier
// groups open the checks the duty seeds select, fetch each transcript as group members,
// replay it and vote. The honest workers' checks pass and they are never slashed; the
// cheater's fail, its batch is voided and it is slashed, and the gateway, reading the
// violation from the chain, excludes it from routing and lists it as excluded.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { u8aToHex } from '@polkadot/util';
import { Node, freePort, sleep } from './lib/node.mjs';
import { FinalizedEvents, UNITS } from './lib/chain.mjs';
import { DEV_GATEWAY_KEY, authorisationHeaders, fundPayer, ok, registerActiveModel } from './lib/ail2.mjs';
import { WorkerProcess, startGateway, workerCommand } from './lib/worker.mjs';

const HONEST_STAKE = 10_000n * UNITS;
const CHEATER_STAKE = 5_000n * UNITS;
const ESCROW = 1_000n * UNITS;
const MAX_PRICE = UNITS / 10n;
const PERBILL = 1_000_000_000;

describe('spot checks through a gateway on ail2-node --dev', () => {
  let node;
  let api;
  let k;
  let dir;
  let gateway;
  let apiKey;
  let events;
  const processes = [];
  let modelId;
  // By hot key (hex): { name, url, receiptKey }.
  const workers = {};

  before(async () => {
    await cryptoWaitReady();
    dir = mkdtempSync(path.join(os.tmpdir(), 'ail2-poi-gateway-e2e-'));
    node = await new Node({ name: 'poi-gateway', tmp: true, args: ['--dev'] }).start();
    api = await node.api();
    events = new FinalizedEvents(api, node);
    const keyring = new Keyring({ type: 'sr25519' });
    k = Object.fromEntries(['Alice', 'Bob', 'Charlie', 'Dave', 'Eve', 'Ferdie'].map((n) => [n, keyring.addFromUri(`//${n}`)]));

    const honestModel = path.join(dir, 'model');
    const cheapModel = path.join(dir, 'cheap-model');
    workerCommand(['init-model', '--preset', 'tiny', '--out', honestModel]);
    workerCommand(['init-model', '--out', cheapModel, '--perturb-from', honestModel, '--scale', '0.9']);
    modelId = await registerActiveModel(api, { name: 'tiny', developer: k.Charlie, sudo: k.Alice });
    await fundPayer(api, { payer: k.Dave, amount: ESCROW, gatewayKey: DEV_GATEWAY_KEY() });
    // Every receipt is due for a check (P_verify at most and at least 100%).
    const params = (await api.query.poi.params()).toJSON();
    await ok(api, api.tx.sudo.sudo(api.tx.poi.setParams({ ...params, p0: PERBILL, pMax: PERBILL })), k.Alice);

    const hotKeys = ['//Ferdie', '//HonestTwo', '//Eve'];
    await ok(api, api.tx.utility.batchAll(hotKeys.map((uri) => api.tx.balances.transferKeepAlive(keyring.addFromUri(uri).address, 10n * UNITS))), k.Alice);
    for (const [name, hot, owner, stake, modelDir] of [
      ['honest-a', '//Ferdie', '//Bob', HONEST_STAKE, honestModel],
      ['honest-b', '//HonestTwo', '//Dave', HONEST_STAKE, honestModel],
      ['cheater', '//Eve', '//Alice', CHEATER_STAKE, cheapModel],
    ]) {
      const port = await freePort();
      const env = { AIL2_DATA_DIR: path.join(dir, `data-${name}`), AIL2_CHAIN_URL: node.wsUrl };
      const keys = workerCommand(['keys', 'generate', '--hot-uri', hot], env);
      const receiptKey = keys.match(/receipt key:\s+(0x[0-9a-f]+)/)[1];
      workerCommand(['register', '--owner-uri', owner, '--stake', String(stake), '--endpoint', `http://127.0.0.1:${port}`], env);
      const proc = new WorkerProcess({
        port,
        logPath: path.join(dir, `${name}.log`),
        env,
        args: ['serve', '--model-dir', modelDir, '--model-id', String(modelId), '--model-name', 'tiny',
          '--listen', `127.0.0.1:${port}`, '--batch-max-receipts', '2', '--batch-max-age-secs', '600', '--duty-poll-ms', '1000'],
      });
      processes.push(proc);
      await proc.start();
      workers[u8aToHex(keyring.addFromUri(hot).publicKey)] = { name, url: proc.url, receiptKey };
    }

    ({ gateway, apiKey } = await startGateway({ dir, chainUrl: node.wsUrl, payer: k.Dave.address, maxPrice: MAX_PRICE, workers: 3, registryIntervalMs: 1000 }));
    processes.push(gateway);
  });

  after(async () => {
    for (const proc of processes) await proc.stop();
    await api?.disconnect();
    await node?.dispose();
    if (dir && !process.env.AIL2_E2E_KEEP) rmSync(dir, { recursive: true, force: true });
  });

  const body = (content) => JSON.stringify({ model: 'tiny', messages: [{ role: 'user', content }], max_tokens: 16, temperature: 0.8 });

  /** A request through the gateway; the worker that served it. */
  async function chat(content) {
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      body: body(content),
    });
    const answer = await response.json();
    assert.equal(response.status, 200, JSON.stringify(answer));
    return response.headers.get('x-ail2-worker');
  }

  /** A request straight to the worker `hot`, authorised with the gateway's key. */
  async function chatDirect(hot, counter, content) {
    const headers = authorisationHeaders(api, {
      payer: k.Dave.publicKey, workerReceiptKey: workers[hot].receiptKey, modelId, counter, maxPrice: MAX_PRICE, gatewayKey: DEV_GATEWAY_KEY(),
    });
    const response = await fetch(`${workers[hot].url}/v1/chat/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: body(content),
    });
    assert.equal(response.status, 200, await response.text());
  }

  const stake = async (hot) => (await api.query.workers.workers(hot)).unwrap().stake.toBigInt();
  const nameOf = (hot) => workers[hot].name;

  test('the groups catch the cheater by spot checks alone, and the gateway stops routing to it', async () => {
    // Every worker serves a whole batch (two receipts) of the payer's: the router, left to
    // itself, may send everything to one worker. (The gateway's own counters, from its clock
    // in microseconds, are above these.) Then traffic through the gateway.
    for (const hot of Object.keys(workers)) {
      for (const counter of [1, 2]) await chatDirect(hot, counter, `Question ${counter} for ${nameOf(hot)}?`);
    }
    for (let i = 0; i < 8; i += 1) await chat(`Question number ${i}?`);

    // Checks open on every leaf and conclude without anyone acting by hand.
    const batchOf = new Map();
    const cheater = Object.keys(workers).find((hot) => nameOf(hot) === 'cheater');
    const failed = await events.waitFor('poi', 'CheckConcluded', (d) => {
      for (const proposed of events.all('receipts', 'BatchProposed')) {
        batchOf.set(proposed.data.batch.toNumber(), proposed.data.worker.toHex());
      }
      return d.outcome.toString() === 'Failed';
    }, 180_000).catch((error) => {
      // What the chain saw, for the failure's message.
      const seen = events.events.filter(({ event }) => ['poi', 'receipts'].includes(event.section))
        .map(({ block, event }) => `#${block} ${event.section}.${event.method} ${JSON.stringify(event.data.toHuman())}`);
      const names = Object.fromEntries(Object.keys(workers).map((hot) => [api.createType('AccountId32', hot).toString(), nameOf(hot)]));
      throw new Error(`${error.message}; workers ${JSON.stringify(names)}; events:\n${seen.join('\n')}`);
    });
    assert.equal(batchOf.get(failed.data.batch.toNumber()), cheater, 'only the cheater fails a check');
    const voided = (await api.query.receipts.batches(failed.data.batch)).unwrap().status.toString();
    assert.equal(voided, 'Voided');
    assert.ok(await stake(cheater) < CHEATER_STAKE, 'the cheater was slashed');

    // An honest worker's check passes: the replay of the other honest worker outweighs the
    // cheater's vote.
    const passed = await events.waitFor('poi', 'CheckConcluded', (d) => d.outcome.toString() === 'Passed', 120_000);
    assert.notEqual(batchOf.get(passed.data.batch.toNumber()) ?? cheater, cheater);
    for (const { event } of events.events.filter(({ event }) => event.section === 'poi' && event.method === 'CheckConcluded')) {
      const worker = batchOf.get(event.data.batch.toNumber());
      if (event.data.outcome.toString() === 'Failed') assert.equal(worker, cheater, `${nameOf(worker)} failed a check`);
    }
    for (const hot of Object.keys(workers).filter((hot) => hot !== cheater)) {
      assert.equal(await stake(hot), HONEST_STAKE, `${nameOf(hot)} was never slashed`);
    }
    const opened = events.all('poi', 'CheckOpened');
    assert.ok(opened.every((e) => e.data.reporter.isNone), 'every check was a spot check');

    // The gateway reads the violation from the chain and excludes the cheater.
    const deadline = Date.now() + 30_000;
    let listed;
    for (;;) {
      const { workers: risks } = await (await fetch(`${gateway.url}/workers`)).json();
      listed = risks.find((entry) => entry.worker === cheater);
      if (listed?.level === 'excluded') break;
      assert.ok(Date.now() < deadline, `the gateway did not exclude the cheater: ${JSON.stringify(risks)}`);
      await sleep(500);
    }
    assert.ok(listed.features.violations >= 1, JSON.stringify(listed));
    for (let i = 0; i < 6; i += 1) {
      assert.notEqual(await chat(`After the verdict ${i}?`), cheater, 'the excluded cheater is never routed to');
    }
  });
});
