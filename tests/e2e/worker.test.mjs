// ail2-worker against a real `ail2-node --dev` (fast-runtime): the worker registers, serves
// the project's tiny model, signs a receipt for every request authorised by the payer's
// gateway key, closes a batch, proposes it, settles it after the challenge window, and the
// worker's owner is paid exactly its share. A worker killed between persisting receipts and
// proposing them proposes them once, all of them, after a restart. A worker that serves two
// versions of the model to one payer, with the gateway's counters interleaved between them,
// settles both streams, each paid by its own version's revenue split. A leaf asked for in a
// data-availability challenge is posted by the worker itself, which earns the bond.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady, keccakAsU8a, secp256k1PairFromSeed } from '@polkadot/util-crypto';
import { u8aToHex } from '@polkadot/util';
import { Node, freePort, sleep } from './lib/node.mjs';
import { UNITS, freeBalance } from './lib/chain.mjs';
import { SPLIT, VERSION, authorisationHeaders, fundPayer, modelMetadata, ok, price, registerActiveModel } from './lib/ail2.mjs';
import { WorkerProcess, workerCommand } from './lib/worker.mjs';

const STAKE = 10_000n * UNITS;
const ESCROW = 1_000n * UNITS;
const MAX_PRICE = UNITS / 10n;

/** Parts per billion, rounded down, as Perbill::mul_floor. */
const partOf = (parts, total) => (BigInt(parts) * total) / 1_000_000_000n;

describe('ail2-worker on ail2-node --dev', () => {
  let node;
  let api;
  let k;
  let dir;
  let modelId;
  let receiptKey;
  const gatewayKey = secp256k1PairFromSeed(new Uint8Array(32).fill(0x47));
  const workers = [];

  before(async () => {
    await cryptoWaitReady();
    dir = mkdtempSync(path.join(os.tmpdir(), 'ail2-worker-e2e-'));
    node = await new Node({ name: 'worker', tmp: true, args: ['--dev'] }).start();
    api = await node.api();
    const keyring = new Keyring({ type: 'sr25519' });
    k = Object.fromEntries(['Alice', 'Bob', 'Charlie', 'Dave', 'Ferdie'].map((n) => [n, keyring.addFromUri(`//${n}`)]));

    workerCommand(['init-model', '--preset', 'tiny', '--out', path.join(dir, 'model')]);
    const env = { AIL2_DATA_DIR: path.join(dir, 'data'), AIL2_CHAIN_URL: node.wsUrl };
    const keys = workerCommand(['keys', 'generate', '--hot-uri', '//Ferdie'], env);
    receiptKey = keys.match(/receipt key:\s+(0x[0-9a-f]+)/)[1];

    modelId = await registerActiveModel(api, { name: 'tiny', developer: k.Charlie, sudo: k.Alice });
    await fundPayer(api, { payer: k.Dave, amount: ESCROW, gatewayKey });
    const register = ['register', '--owner-uri', '//Bob', '--stake', String(STAKE), '--endpoint', 'http://127.0.0.1:1'];
    workerCommand(register, env);
    // Registering again is a no-op, not an error.
    workerCommand(register, env);
  });

  after(async () => {
    for (const worker of workers) await worker.stop();
    await api?.disconnect();
    await node?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function startWorker(batchArgs, version = VERSION) {
    const port = await freePort();
    const worker = new WorkerProcess({
      port,
      logPath: path.join(dir, `worker-${workers.length}.log`),
      env: { AIL2_DATA_DIR: path.join(dir, 'data'), AIL2_CHAIN_URL: node.wsUrl },
      args: ['serve', '--model-dir', path.join(dir, 'model'), '--model-id', String(modelId), '--model-name', 'tiny',
        '--model-version', `${version.major}.${version.minor}.${version.patch}`,
        '--listen', `127.0.0.1:${port}`, ...batchArgs],
    });
    workers.push(worker);
    return worker.start();
  }

  async function chat(worker, counter, content, version = VERSION) {
    const headers = authorisationHeaders(api, {
      payer: k.Dave.publicKey, workerReceiptKey: receiptKey, modelId, counter, maxPrice: MAX_PRICE, gatewayKey, version,
    });
    const response = await fetch(`${worker.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ model: 'tiny', messages: [{ role: 'user', content }], max_tokens: 16, seed: counter }),
    });
    const body = await response.json();
    assert.equal(response.status, 200, JSON.stringify(body));
    assert.equal(BigInt(body.receipt.price), price(body.usage.prompt_tokens, body.usage.completion_tokens));
    return body;
  }

  /** Waits for a `section` (default receipts) event matching `predicate` in finalized blocks. */
  async function waitForEvent(name, predicate, timeoutMs = 180_000, section = 'receipts') {
    const deadline = Date.now() + timeoutMs;
    let seen = 0;
    while (Date.now() < deadline) {
      const head = (await node.finalizedNumber());
      for (let n = seen + 1; n <= head; n += 1) {
        const hash = await api.rpc.chain.getBlockHash(n);
        const events = await (await api.at(hash)).query.system.events();
        for (const { event } of events) {
          if (event.section === section && event.method === name && predicate(event.data)) return { event, block: n };
        }
      }
      seen = head;
      await sleep(1_000);
    }
    throw new Error(`no ${section}.${name} event within ${timeoutMs} ms`);
  }

  test('served requests are batched, proposed, settled and paid to the owner', async () => {
    const worker = await startWorker(['--batch-max-receipts', '3', '--batch-max-age-secs', '600']);
    const bobBefore = await freeBalance(api, k.Bob.address);
    const bodies = [];
    for (const counter of [1, 2, 3]) bodies.push(await chat(worker, counter, `Question number ${counter}?`));
    const total = bodies.reduce((sum, b) => sum + BigInt(b.receipt.price), 0n);

    const proposed = await waitForEvent('BatchProposed', (d) => d.payer.toHex() === u8aToHex(k.Dave.publicKey));
    const batch = proposed.event.data.batch.toNumber();
    const onChain = (await api.query.receipts.batches(batch)).unwrap();
    assert.equal(onChain.count.toNumber(), 3);
    assert.equal(onChain.firstCounter.toNumber(), 1);
    assert.equal(onChain.lastCounter.toNumber(), 3);
    assert.equal(onChain.root.sum.toBigInt(), total);

    const paid = await waitForEvent('BatchPaid', (d) => d.batch.toNumber() === batch);
    // The training fund's share comes off the top; the model's split shares the rest.
    const training = partOf((await api.query.issuance.trainingShare()).toNumber(), total);
    assert.equal(paid.event.data.trainingFundShare.toBigInt(), training);
    const shared = total - training;
    const expected = shared - partOf(SPLIT.modelOwner, shared) - partOf(SPLIT.treasury, shared) - partOf(SPLIT.ecosystem, shared);
    assert.equal((await freeBalance(api, k.Bob.address)) - bobBefore, expected);

    // The worker saw it all: its next pass records the payout.
    let metrics = '';
    for (let i = 0; i < 40 && !/ail2_worker_batches_settled_total 1/.test(metrics); i += 1) {
      await sleep(500);
      metrics = await (await fetch(`${worker.url}/metrics`)).text();
    }
    assert.match(metrics, /ail2_worker_receipts_total 3/);
    assert.match(metrics, /ail2_worker_batches_proposed_total 1/);
    assert.match(metrics, /ail2_worker_batches_settled_total 1/);
    await worker.stop();
  });

  test('a worker killed before proposing proposes its receipts once after a restart', async () => {
    // Receipts 4 and 5 are acknowledged, then the worker dies before its batch is due.
    const first = await startWorker(['--batch-max-receipts', '100', '--batch-max-age-secs', '3600']);
    const acknowledged = [await chat(first, 4, 'Before the crash'), await chat(first, 5, 'Right before the crash')];
    await first.kill();

    const second = await startWorker(['--batch-max-receipts', '100', '--batch-max-age-secs', '1']);
    const proposed = await waitForEvent('BatchProposed', (d) => d.firstCounter.toNumber() === 4, 120_000);
    const batchId = proposed.event.data.batch.toNumber();
    const onChain = (await api.query.receipts.batches(batchId)).unwrap();
    assert.equal(onChain.count.toNumber(), 2);
    assert.equal(onChain.lastCounter.toNumber(), 5);
    const total = acknowledged.reduce((sum, b) => sum + BigInt(b.receipt.price), 0n);
    assert.equal(onChain.root.sum.toBigInt(), total);

    // Exactly one proposal covers them: the pair's last counter moved to 5 and no other batch
    // starts at 4.
    await sleep(6_000);
    let covering = 0;
    for (let id = 0; id < (await api.query.receipts.nextBatchId()).toNumber(); id += 1) {
      const entry = await api.query.receipts.batches(id);
      if (entry.isSome && entry.unwrap().firstCounter.toNumber() >= 4) covering += 1;
    }
    assert.equal(covering, 1);
    await second.stop();
  });

  test('two versions served to one payer with interleaved counters settle as two streams, each by its split', async () => {
    const v2 = { major: 2, minor: 0, patch: 0 };
    const split2 = { worker: 600_000_000, modelOwner: 300_000_000, treasury: 70_000_000, ecosystem: 30_000_000 };
    await ok(api, api.tx.models.proposeVersion(modelId, v2, { ...modelMetadata(0x12), revenueSplit: split2 }), k.Charlie);
    await ok(api, api.tx.sudo.sudo(api.tx.models.approveVersion(modelId, v2)), k.Alice);
    const hold = ['--batch-max-receipts', '100', '--batch-max-age-secs', '3600'];

    // 1.0.0 is served counters 6 and 8, then the model moves to 2.0.0 and the worker with it,
    // which is served 7 and 9: one gateway sequence, two streams.
    const first = await startWorker(hold);
    const old = [await chat(first, 6, 'First under the old version'), await chat(first, 8, 'Second under the old version')];
    await first.stop();
    await ok(api, api.tx.models.activateVersion(modelId, v2), k.Charlie);
    const second = await startWorker(hold, v2);
    const fresh = [await chat(second, 7, 'First under the new one', v2), await chat(second, 9, 'Second under the new one', v2)];
    await second.stop();

    // A worker whose batches are due closes and proposes both; the chain takes the second
    // although its range overlaps the first's.
    const third = await startWorker(['--batch-max-receipts', '100', '--batch-max-age-secs', '1'], v2);
    const dave = u8aToHex(k.Dave.publicKey);
    const streams = [[old, VERSION, SPLIT, 6, 8], [fresh, v2, split2, 7, 9]];
    for (const [bodies, version, split, firstCounter, lastCounter] of streams) {
      const proposed = await waitForEvent('BatchProposed', (d) => d.payer.toHex() === dave && d.firstCounter.toNumber() === firstCounter);
      const batch = proposed.event.data.batch.toNumber();
      const onChain = (await api.query.receipts.batches(batch)).unwrap();
      assert.equal(onChain.version.major.toNumber(), version.major);
      assert.equal(onChain.lastCounter.toNumber(), lastCounter);
      assert.equal(onChain.count.toNumber(), 2);
      const total = bodies.reduce((sum, b) => sum + BigInt(b.receipt.price), 0n);
      assert.equal(onChain.root.sum.toBigInt(), total);

      // Paid by the split of the version it was served under, though 2.0.0 is current.
      const paid = await waitForEvent('BatchPaid', (d) => d.batch.toNumber() === batch);
      const shared = total - paid.event.data.trainingFundShare.toBigInt();
      assert.equal(paid.event.data.modelOwnerShare.toBigInt(), partOf(split.modelOwner, shared));
      assert.equal(paid.event.data.treasuryShare.toBigInt(), partOf(split.treasury, shared));

      // The worker serves the batch by the chain's id, and its leaves where the chain says.
      const served = await (await fetch(`${third.url}/v1/batches/${batch}`)).json();
      assert.equal(served.batch, batch);
      assert.equal(served.version.major, version.major);
      assert.equal(served.content_hash, onChain.contentHash.toHex());
      assert.ok(['proposed', 'paid'].includes(served.state), served.state);
      const url = new TextDecoder().decode(onChain.url.toU8a(true));
      assert.ok(url.endsWith(`/v1/leaves/${served.content_hash}`), url);
      const leaves = new Uint8Array(await (await fetch(`${third.url}${served.leaves}`)).arrayBuffer());
      assert.equal(u8aToHex(keccakAsU8a(leaves)), served.content_hash);
    }
    await third.stop();
  });

  test('a leaf asked for on chain is posted by the worker, which earns the bond, and the batch is paid', async () => {
    const worker = await startWorker(['--batch-max-receipts', '2', '--batch-max-age-secs', '600'], { major: 2, minor: 0, patch: 0 });
    const v2 = { major: 2, minor: 0, patch: 0 };
    await chat(worker, 10, 'Ask me for this one', v2);
    await chat(worker, 11, 'Or this one', v2);
    const proposed = await waitForEvent('BatchProposed', (d) => d.firstCounter.toNumber() === 10);
    const batch = proposed.event.data.batch.toNumber();

    const bond = api.consts.challenges.availabilityBond.toBigInt();
    await ok(api, api.tx.challenges.challengeAvailability(batch, 1), k.Alice);
    const answered = await waitForEvent('AvailabilityAnswered', (d) => d.batch.toNumber() === batch, 120_000, 'challenges');
    assert.equal(answered.event.data.index.toNumber(), 1);
    assert.equal(answered.event.data.toWorker.toBigInt(), bond);
    assert.equal((await api.query.challenges.availabilityChallenges(batch)).isNone, true);

    // The leaf is on chain in the answer: it is the worker's receipt for counter 11.
    const block = await api.rpc.chain.getBlock(await api.rpc.chain.getBlockHash(answered.block));
    const call = block.block.extrinsics.map((x) => x.method).find((m) => m.section === 'challenges' && m.method === 'answerAvailability');
    assert.ok(call, 'the answer is an extrinsic of that block');
    assert.equal(call.args[1].receipt.receipt.counter.toNumber(), 11);

    // Answered, nothing holds the batch: it is paid after its window.
    await waitForEvent('BatchPaid', (d) => d.batch.toNumber() === batch);
    let metrics = '';
    for (let i = 0; i < 20 && !/ail2_worker_availability_answered_total 1/.test(metrics); i += 1) {
      metrics = await (await fetch(`${worker.url}/metrics`)).text();
      await sleep(500);
    }
    assert.match(metrics, /ail2_worker_availability_answered_total 1/);
    await worker.stop();
  });

  test('the fees of a day\'s paid batches earn the demand subsidy when the day closes: nine coins a coin in batch 1', async () => {
    const closed = await waitForEvent('DayClosed', (d) => d.fees.toBigInt() > 0n, 180_000, 'issuance');
    const { day, fees, demandSubsidy, minimum, issued } = closed.event.data;
    // The day's fees are the totals of the batches paid in its blocks.
    const length = api.consts.issuance.dayLength.toNumber();
    let paid = 0n;
    for (let n = Math.max(1, day.toNumber() * length); n < (day.toNumber() + 1) * length; n += 1) {
      const events = await (await api.at(await api.rpc.chain.getBlockHash(n))).query.system.events();
      for (const { event } of events) {
        if (event.section !== 'receipts' || event.method !== 'BatchPaid') continue;
        const d = event.data;
        paid += d.workerShare.toBigInt() + d.modelOwnerShare.toBigInt() + d.treasuryShare.toBigInt() + d.ecosystemShare.toBigInt() + d.trainingFundShare.toBigInt();
      }
    }
    assert.equal(fees.toBigInt(), paid);
    assert.equal(demandSubsidy.toBigInt(), 9n * fees.toBigInt(), 'batch 1: s/(1 − s) = 0.9/0.1');
    const larger = demandSubsidy.toBigInt() > minimum.toBigInt() ? demandSubsidy.toBigInt() : minimum.toBigInt();
    assert.equal(issued.toBigInt(), larger);
    // The training fund holds its 20 % of the batches and of the day's issuance.
    assert.ok((await freeBalance(api, api.consts.issuance.trainingFundAccount.toHex())) > 0n);
  });
});
