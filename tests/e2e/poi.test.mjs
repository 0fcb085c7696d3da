// Proof of inference on a real `ail2-node --dev` with two real workers serving the tiny
// model: an honest one, and a cheater serving a perturbed copy of the weights under the
// honest model's id and version. Every receipt commits to its transcript; the payer fetches
// each transcript from the worker with its gateway key and replays it with
// `ail2-worker verify`: the honest worker's answers pass, the cheater's fail. The payer then
// reports the cheater's receipt on chain with the leaf and proof the cheater's batch endpoint
// serves; the verifier group (the other workers bidding for the model) votes it wrong — the
// honest worker by its own duties, fetching the transcript as a group member and replaying
// it, the verify-only member by hand — and the chain voids the batch, slashes the cheater
// and resets its reputation. (`poi-gateway.test.mjs` runs the spot checks the chain draws,
// through a gateway.)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady, secp256k1PairFromSeed } from '@polkadot/util-crypto';
import { hexToU8a, u8aToHex } from '@polkadot/util';
import { Node, freePort, sleep } from './lib/node.mjs';
import { FinalizedEvents, UNITS, dispatchErrorName, sendAndFinalize } from './lib/chain.mjs';
import { CENTS, authorisationHeaders, fundPayer, registerActiveModel, typeAt } from './lib/ail2.mjs';
import { WorkerProcess, workerBinary, workerCommand } from './lib/worker.mjs';

const STAKE = 10_000n * UNITS;
const ESCROW = 1_000n * UNITS;
const MAX_PRICE = UNITS / 10n;
const GATEWAY_SEED = 0x47;

describe('proof of inference on ail2-node --dev', () => {
  let node;
  let api;
  let k;
  let dir;
  let modelId;
  const gatewayKey = secp256k1PairFromSeed(new Uint8Array(32).fill(GATEWAY_SEED));
  const workers = {};
  let events;

  async function ok(tx, signer) {
    const { events, dispatchError } = await sendAndFinalize(tx, signer);
    assert.equal(dispatchErrorName(api, dispatchError), null);
    return events;
  }

  /** Keys, registration and a serving process for a worker owned by `owner` with hot key `hotUri`. */
  async function startWorker(name, { owner, hotUri, modelDir }) {
    const data = path.join(dir, `${name}-data`);
    const env = { AIL2_DATA_DIR: data, AIL2_CHAIN_URL: node.wsUrl };
    const keys = workerCommand(['keys', 'generate', '--hot-uri', hotUri], env);
    const receiptKey = keys.match(/receipt key:\s+(0x[0-9a-f]+)/)[1];
    const port = await freePort();
    workerCommand(['register', '--owner-uri', owner, '--stake', String(STAKE), '--endpoint', `http://127.0.0.1:${port}`], env);
    const worker = new WorkerProcess({
      port,
      logPath: path.join(dir, `${name}.log`),
      env,
      args: ['serve', '--model-dir', modelDir, '--model-id', String(modelId), '--model-name', 'tiny',
        '--listen', `127.0.0.1:${port}`, '--batch-max-receipts', '2', '--batch-max-age-secs', '600'],
    });
    workers[name] = { process: await worker.start(), receiptKey };
    return workers[name];
  }

  before(async () => {
    await cryptoWaitReady();
    dir = mkdtempSync(path.join(os.tmpdir(), 'ail2-poi-e2e-'));
    node = await new Node({ name: 'poi', tmp: true, args: ['--dev'] }).start();
    api = await node.api();
    const keyring = new Keyring({ type: 'sr25519' });
    k = Object.fromEntries(['Alice', 'Bob', 'Charlie', 'Dave', 'Eve', 'Ferdie'].map((n) => [n, keyring.addFromUri(`//${n}`)]));
    k.verifier = keyring.addFromUri('//Verifier');

    const honestModel = path.join(dir, 'model');
    const cheapModel = path.join(dir, 'cheap-model');
    workerCommand(['init-model', '--preset', 'tiny', '--out', honestModel]);
    workerCommand(['init-model', '--out', cheapModel, '--perturb-from', honestModel, '--scale', '0.9']);
    workerCommand(['gateway-key', 'generate', '--out', path.join(dir, 'gateway.key'),
      '--secret', u8aToHex(new Uint8Array(32).fill(GATEWAY_SEED))]);

    modelId = await registerActiveModel(api, { name: 'tiny', developer: k.Charlie, sudo: k.Alice });
    await fundPayer(api, { payer: k.Dave, amount: ESCROW, gatewayKey });
    // The hot keys pay fees and bids.
    await ok(api.tx.utility.batchAll([k.Ferdie, k.Eve, k.verifier].map((w) => api.tx.balances.transferKeepAlive(w.address, 10n * UNITS))), k.Alice);
    await startWorker('honest', { owner: '//Bob', hotUri: '//Ferdie', modelDir: honestModel });
    await startWorker('cheater', { owner: '//Alice', hotUri: '//Eve', modelDir: cheapModel });
    // A third worker that only verifies: registered, bidding for the model, serving nothing.
    const data = path.join(dir, 'verifier-data');
    const env = { AIL2_DATA_DIR: data, AIL2_CHAIN_URL: node.wsUrl };
    workerCommand(['keys', 'generate', '--hot-uri', '//Verifier'], env);
    workerCommand(['register', '--owner-uri', '//Charlie', '--stake', String(STAKE), '--endpoint', 'http://127.0.0.1:1'], env);
    // The serving workers bid for the model by themselves (their duties); the verify-only
    // member bids by hand. The bidders are the model's verifier group.
    await ok(api.tx.poi.bid(modelId, CENTS), k.verifier);
    events = new FinalizedEvents(api, node);
  });

  after(async () => {
    for (const { process } of Object.values(workers)) await process.stop();
    await api?.disconnect();
    await node?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function chat(name, counter, content) {
    const { process, receiptKey } = workers[name];
    const headers = authorisationHeaders(api, {
      payer: k.Dave.publicKey, workerReceiptKey: receiptKey, modelId, counter, maxPrice: MAX_PRICE, gatewayKey,
    });
    const response = await fetch(`${process.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ model: 'tiny', messages: [{ role: 'user', content }], max_tokens: 24, temperature: 0.8, seed: counter }),
    });
    const body = await response.json();
    assert.equal(response.status, 200, JSON.stringify(body));
    return body;
  }

  function verify(name, receipt) {
    const result = spawnSync(workerBinary(), ['verify', '--receipt', receipt.scale, '--worker-url', workers[name].process.url,
      '--gateway-key', path.join(dir, 'gateway.key'), '--model-dir', path.join(dir, 'model')], { encoding: 'utf8' });
    // The worker's log lines share stdout with the verdict, the one line that is JSON.
    const line = result.stdout.split('\n').find((l) => l.startsWith('{'));
    assert.ok(line, `ail2-worker verify printed no verdict (status ${result.status}): ${result.stdout} ${result.stderr}`);
    return { status: result.status, verdict: JSON.parse(line) };
  }

  test('the honest worker passes the replay, the cheater fails it, and a report slashes the cheater', async () => {
    // Bids are drained at each round boundary: the verify-only member bids again so that it
    // is in the group whatever round the batches land in (the serving workers bid each round).
    await ok(api.tx.poi.bid(modelId, CENTS), k.verifier);
    const honest = [await chat('honest', 1, 'Tell me about the sea.'), await chat('honest', 2, 'And the moon?')];
    const cheated = [await chat('cheater', 1, 'Tell me about the sea.'), await chat('cheater', 2, 'And the moon?')];
    for (const answer of [...honest, ...cheated]) assert.match(answer.receipt.transcript, /^0x[0-9a-f]{64}$/);

    for (const answer of honest) {
      const { status, verdict } = verify('honest', answer.receipt);
      assert.equal(status, 0, JSON.stringify(verdict));
      assert.equal(verdict.verdict, 'pass');
    }
    for (const answer of cheated) {
      const { status, verdict } = verify('cheater', answer.receipt);
      assert.equal(status, 2, JSON.stringify(verdict));
      assert.equal(verdict.verdict, 'fail');
      assert.ok(['diverged', 'not_sampled'].includes(verdict.failure), JSON.stringify(verdict));
    }

    // The cheater's two receipts make its batch; the payer reports the first.
    const eve = u8aToHex(k.Eve.publicKey);
    const proposed = await events.waitFor('receipts', 'BatchProposed', (d) => d.worker.toHex() === eve);
    const batch = proposed.data.batch.toNumber();
    const audit = (await api.query.poi.audits(batch)).unwrap();
    const group = audit.group.map(([who]) => who.toHex());
    assert.deepEqual(new Set(group), new Set([u8aToHex(k.Ferdie.publicKey), u8aToHex(k.verifier.publicKey)]));

    // The model declares a 1% spot-check rate, so the group may have opened a check on a
    // leaf already: the payer reports one that has none.
    const index = (await api.query.poi.checks(batch, 0)).isNone ? 0 : 1;
    // The worker serves the batch under the chain's id once it has seen its own proposal
    // finalized, which may be a moment after the event is visible here.
    const proofUrl = `${workers.cheater.process.url}/v1/batches/${batch}/proof/${index}`;
    let proofResponse = await fetch(proofUrl);
    for (let i = 0; i < 30 && proofResponse.status === 404; i += 1) {
      await sleep(500);
      proofResponse = await fetch(proofUrl);
    }
    assert.equal(proofResponse.status, 200);
    const served = await proofResponse.json();
    const proof = api.createType('(u64, Vec<([u8;32], u128)>)', hexToU8a(served.proof));
    const receipt = api.createType(typeAt(api, 'ail2_primitives::receipt::SignedReceipt'), hexToU8a(served.receipt.scale));
    const leaf = { index: proof[0], receipt, siblings: proof[1].map(([hash, sum]) => ({ hash, sum })) };
    const stakeBefore = (await api.query.workers.workers(k.Eve.address)).unwrap().stake.toBigInt();
    await ok(api.tx.poi.report(batch, leaf), k.Dave);

    // The verify-only member replayed it (as above) and votes by hand; the honest worker's
    // duties fetch the transcript as a member of the group, replay it and vote.
    await ok(api.tx.poi.vote(batch, index, false), k.verifier);
    const concluded = await events.waitFor('poi', 'CheckConcluded', (d) => d.batch.toNumber() === batch && d.index.toNumber() === index, 60_000);
    assert.equal(concluded.data.outcome.toString(), 'Failed');
    const votes = events.all('poi', 'Voted').filter((e) => e.data.batch.toNumber() === batch);
    assert.ok(votes.some((e) => e.data.verifier.toHex() === u8aToHex(k.Ferdie.publicKey) && !e.data.valid.isTrue),
      'the honest worker voted by its duties');
    const status = (await api.query.receipts.batches(batch)).unwrap().status.toString();
    assert.equal(status, 'Voided');
    const cheater = (await api.query.workers.workers(k.Eve.address)).unwrap();
    assert.ok(cheater.stake.toBigInt() < stakeBefore, 'the cheater was slashed');
    assert.equal(cheater.reputation.toNumber(), 0);
    assert.ok((await api.query.poi.audits(batch)).isNone);
  });
});
