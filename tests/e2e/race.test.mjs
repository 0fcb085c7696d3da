// PoW races on a real `ail2-node --dev` (fast-runtime: 3 s blocks, a race every 24 blocks, a
// 36 s window). Three registered workers follow the chain with `ail2-worker race`: two honest
// ones, one limited to a single thread, and an adversary (`--overclaim 2`) that commits to
// twice the nonces it computed. Each computes the window, commits to its leaves, serves the
// openings its validators ask for over HTTP, and opens and recomputes the leaves of the
// participants it is assigned to. The race is finalized on chain with both honest workers
// accepted, their weights in the ratio of their measured speeds within 10%, and the
// adversary, whose extra leaves cannot be opened, rejected and slashed. When the day (40
// blocks) closes, issuance mints its providers' part to the honest workers' owners by weight.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { u8aToHex } from '@polkadot/util';
import { Node, freePort, sleep } from './lib/node.mjs';
import { UNITS } from './lib/chain.mjs';
import { WorkerProcess, workerCommand } from './lib/worker.mjs';

const STAKE = 10_000n * UNITS;

describe('PoW races on ail2-node --dev', () => {
  let node;
  let api;
  let dir;
  const workers = [];
  let firstRace;

  before(async () => {
    await cryptoWaitReady();
    dir = mkdtempSync(path.join(os.tmpdir(), 'ail2-race-e2e-'));
    node = await new Node({ name: 'race', tmp: true, args: ['--dev'] }).start();
    api = await node.api();
    const keyring = new Keyring({ type: 'sr25519' });
    const roles = [
      ['single', '//Ferdie', '//Bob', ['--threads', '1']],
      ['all-cores', '//Eve', '//Alice', []],
      ['overclaimer', '//Dave', '//Charlie', ['--threads', '1', '--overclaim', '2']],
    ];
    for (const [name, hot, owner, extra] of roles) {
      const env = { AIL2_DATA_DIR: path.join(dir, `data-${name}`), AIL2_CHAIN_URL: node.wsUrl };
      const endpointPort = await freePort();
      workerCommand(['keys', 'generate', '--hot-uri', hot], env);
      workerCommand(['register', '--owner-uri', owner, '--stake', String(STAKE), '--endpoint', `http://127.0.0.1:${endpointPort}`], env);
      const port = await freePort();
      const args = ['race', '--listen', `127.0.0.1:${port}`, '--batch', '128', ...extra];
      const proc = new WorkerProcess({ port, env, args, logPath: path.join(dir, `race-${name}.log`) });
      await proc.start();
      workers.push({ name, account: u8aToHex(keyring.addFromUri(hot).publicKey), proc });
    }
  });

  after(async () => {
    for (const { proc } of workers) await proc.stop();
    await api?.disconnect();
    await node?.dispose();
    if (dir && !process.env.AIL2_E2E_KEEP) rmSync(dir, { recursive: true, force: true });
  });

  const health = () => Promise.all(workers.map(async (w) => (await fetch(`${w.proc.url}/health`)).json()));

  test('honest workers are accepted with weights in proportion to their speed; the overclaimer is rejected and slashed', async () => {
    // Wait for the first race all three worked (race 0 unless the set-up ran late) to be
    // finalized on chain.
    const deadline = Date.now() + 420_000;
    let race;
    for (;;) {
      const worked = (await health()).map((h) => h.last_work?.race);
      const last = (await api.query.race.lastFinalized()).toJSON();
      if (worked.every((r) => r !== undefined && r === worked[0]) && last !== null && last >= worked[0]) {
        race = worked[0];
        break;
      }
      if (Date.now() > deadline) throw new Error(`no race all three worked was finalized in time: ${worked}, ${last}`);
      await sleep(2_000);
    }
    firstRace = race;
    const stored = await api.query.race.raceWeights(race);
    const weights = new Map((stored.isSome ? stored.unwrap() : []).map(([account, weight]) => [account.toHex(), weight.toNumber()]));
    const reports = await health();
    const [single, all, cheat] = workers.map((w, i) => ({ ...w, health: reports[i], weight: weights.get(w.account) ?? 0 }));
    const report = JSON.stringify({ race, weights: [...weights], reports });
    for (const w of [single, all]) {
      assert.equal(w.health.last_work?.race, race, `${w.name} worked race ${race}: ${report}`);
      assert.ok(w.health.last_work.committed > 0, `${w.name} committed: ${report}`);
      // Accepted: the weight is the count it committed, every nonce it computed.
      assert.equal(w.weight, w.health.last_work.committed, `${w.name} accepted with its count: ${report}`);
      assert.equal(w.health.last_work.committed, w.health.last_work.nonces, `${w.name} committed all it computed: ${report}`);
      assert.ok(w.health.votes_cast >= 2, `${w.name} validated both others: ${report}`);
      // Its look at the other honest worker passed every leaf; at the overclaimer's failed all.
      const other = w === single ? all : single;
      const seen = (who) => w.health.validations.find((v) => v.race === race && v.participant === who.account);
      assert.equal(seen(other)?.failed, 0, `${w.name} found ${other.name}'s leaves sound: ${report}`);
      assert.ok(seen(other).opened > 0, report);
      assert.equal(seen(cheat)?.failed, seen(cheat)?.opened, `${w.name} could open none of the overclaimer's leaves: ${report}`);
    }
    const weightRatio = single.weight / all.weight;
    const speedRatio = single.health.last_work.nonces_per_second / all.health.last_work.nonces_per_second;
    console.log(`race ${race}: weights ${single.weight} and ${all.weight} (ratio ${weightRatio.toFixed(3)}), speeds ${single.health.last_work.nonces_per_second.toFixed(0)} and ${all.health.last_work.nonces_per_second.toFixed(0)} nonces/s (ratio ${speedRatio.toFixed(3)})`);
    assert.ok(Math.abs(weightRatio / speedRatio - 1) <= 0.1, `weight ratio ${weightRatio} vs speed ratio ${speedRatio}: ${report}`);

    // The overclaimer: committed twice what it computed, rejected, no weight, slashed.
    assert.equal(cheat.health.last_work.committed, 2 * cheat.health.last_work.nonces, report);
    assert.equal(cheat.weight, 0, report);
    const worker = (await api.query.workers.workers(cheat.account)).unwrap();
    assert.ok(worker.stake.toBigInt() < STAKE, `the overclaimer's stake was slashed: ${worker.stake}`);
    assert.ok((await api.query.slashing.records(cheat.account)).isSome, 'the violation is on its record');
  });

  test('the next race is seeded by the weighted workers as committers', async () => {
    // The race after it starts with its participants as committers; both commit and reveal,
    // and the window opens with a seed fixed from their two secrets.
    assert.notEqual(firstRace, undefined, 'the first test found a race');
    const reveals = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`race ${firstRace + 1} never fixed its seed`)), 240_000);
      let unsubscribe = () => {};
      api.query.system.events((events) => {
        const fixed = events.find(({ event }) => event.section === 'race' && event.method === 'SeedFixed' && event.data[0].toNumber() > firstRace);
        if (fixed) {
          clearTimeout(timer);
          unsubscribe();
          resolve(fixed.event.data[2].toNumber());
        }
      }).then((u) => { unsubscribe = u; });
    });
    assert.equal(reveals, 2, 'both committers revealed');
  });

  test('accepted weight is paid by issuance when its day closes: by weight, to the owners', async () => {
    // The first day to close with work after the first race: its providers' part is minted
    // to the honest workers' owners in proportion to their summed weights of that day.
    assert.notEqual(firstRace, undefined, 'the first test found a race');
    const { closed, rewarded, blockHash } = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no day closed with work and paid')), 240_000);
      let unsubscribe = () => {};
      let closed;
      api.rpc.chain.subscribeNewHeads(async (header) => {
        const blockHash = header.hash;
        const events = await (await api.at(blockHash)).query.system.events();
        for (const { event } of events) {
          if (event.section !== 'issuance') continue;
          if (event.method === 'DayClosed' && event.data.providers.toBigInt() > 0n) closed = event.data;
        }
        const rewarded = events.filter(({ event }) => event.section === 'issuance' && event.method === 'Rewarded').map(({ event }) => event.data);
        if (closed && rewarded.length > 0) {
          clearTimeout(timer);
          unsubscribe();
          resolve({ closed, rewarded, blockHash });
        }
      }).then((u) => { unsubscribe = u; });
    });
    const keyring = new Keyring({ type: 'sr25519' });
    const owners = new Map([[workers[0].account, u8aToHex(keyring.addFromUri('//Bob').publicKey)], [workers[1].account, u8aToHex(keyring.addFromUri('//Alice').publicKey)]]);
    const providers = closed.providers.toBigInt();
    const totalWeight = rewarded.reduce((sum, r) => sum + r.weight.toBigInt(), 0n);
    const paid = new Map(rewarded.map((r) => [r.worker.toHex(), r]));
    assert.equal(paid.size, 2, `the two honest workers are paid: ${JSON.stringify(rewarded)}`);
    assert.ok(!paid.has(workers[2].account), 'the overclaimer, with no weight, is not');
    const parent = (await api.rpc.chain.getHeader(blockHash)).parentHash;
    for (const [worker, owner] of owners) {
      const reward = paid.get(worker);
      assert.equal(reward.owner.toHex(), owner, 'paid to the worker\'s owner');
      assert.equal(reward.amount.toBigInt(), (providers * reward.weight.toBigInt()) / totalWeight);
    }
    // Bob owns the single-thread worker and pays no fees (its hot key does): its free
    // balance grew by exactly the reward. (Alice's also takes block authors' fee shares.)
    const bob = owners.get(workers[0].account);
    const before = (await (await api.at(parent)).query.system.account(bob)).data.free.toBigInt();
    const after = (await (await api.at(blockHash)).query.system.account(bob)).data.free.toBigInt();
    assert.equal(after - before, paid.get(workers[0].account).amount.toBigInt(), 'minted into the owner\'s free balance');
    // 70 % of the day's issuance: 20 % went to the training fund, 10 % to the validators.
    const issued = closed.issued.toBigInt();
    assert.equal(closed.trainingFund.toBigInt(), (issued * 200_000_000n) / 1_000_000_000n);
    assert.equal(providers, issued - closed.trainingFund.toBigInt() - closed.validators.toBigInt());
    assert.ok(issued >= closed.minimum.toBigInt(), 'at least the minimum daily issuance');
  });
});
