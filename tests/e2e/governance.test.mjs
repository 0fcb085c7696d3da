// Governance on a real dev chain, driven through @polkadot/api as polkadot.js apps drives
// it, without sudo: a model approved by referendum on the model track; a Parameter
// Committee motion that puts a race-parameter change to referendum, visible in the next
// race; the Security Council suspending a worker with a 2/3 motion; a treasury spend paid
// out. The dev preset's Security Council is Alice, Bob and Charlie, its Parameter
// Committee Dave, Eve and Ferdie.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady, secp256k1PairFromSeed } from '@polkadot/util-crypto';
import { u8aToHex } from '@polkadot/util';
import { Node } from './lib/node.mjs';
import { UNITS, dispatchErrorName, freeBalance, sendAndFinalize } from './lib/chain.mjs';
import { POLICY, SPLIT, VERSION, ok, receiptKeyProof } from './lib/ail2.mjs';

/** Conviction-1x ayes of these accounts clear every track's support curve at once. */
const VOTERS = ['Alice', 'Bob', 'Charlie', 'Dave', 'Eve', 'Ferdie'];
const VOTE = 5_000_000n * UNITS;

describe('governance without sudo', () => {
  let node;
  let api;
  const k = {};

  before(async () => {
    await cryptoWaitReady();
    node = await new Node({ name: 'governance', tmp: true, args: ['--dev'] }).start();
    api = await node.api();
    const keyring = new Keyring({ type: 'sr25519' });
    for (const name of VOTERS) k[name] = keyring.addFromUri(`//${name}`);
  });

  after(async () => {
    await api?.disconnect();
    await node?.dispose();
  });

  /**
   * A referendum on the track of `origin` for `call`, from preimage to approval: Alice notes
   * the preimage (unless `submit` is given: it submits and returns the index), submits and
   * places the decision deposit, everyone votes aye with conviction. Resolves once approved.
   */
  async function referendum(origin, call, { submit } = {}) {
    let index;
    if (submit) {
      index = await submit();
    } else {
      await ok(api, api.tx.preimage.notePreimage(call.method.toHex()), k.Alice);
      const len = call.method.encodedLength;
      const events = await ok(api, api.tx.referenda.submit(origin, { Lookup: { hash: call.method.hash, len } }, { After: 0 }), k.Alice);
      index = events.find(({ event }) => api.events.referenda.Submitted.is(event)).event.data.index.toNumber();
    }
    await ok(api, api.tx.referenda.placeDecisionDeposit(index), k.Alice);
    await Promise.all(VOTERS.map((name) => ok(api, api.tx.convictionVoting.vote(index, {
      Standard: { vote: { aye: true, conviction: 'Locked1x' }, balance: VOTE },
    }), k[name])));
    await until(async () => {
      const info = (await api.query.referenda.referendumInfoFor(index)).unwrap();
      if (!info.isOngoing && !info.isApproved) throw new Error(`referendum ${index} ended ${info.type}`);
      return info.isApproved;
    }, `approval of referendum ${index}`);
    return index;
  }

  /** Waits until `check` resolves truthy, polling every block's worth of time. */
  async function until(check, what, timeoutMs = 120_000) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 1_500));
    }
    throw new Error(`${what} not seen in ${timeoutMs} ms`);
  }

  /** Proposes `call` in `collective` with threshold `ayes.length`; all of `ayes` vote; closes it. */
  async function motion(collective, ayes, call) {
    const tx = api.tx[collective];
    const index = (await api.query[collective].proposalCount()).toNumber();
    const length = call.method.encodedLength;
    await ok(api, tx.propose(ayes.length, call, length), k[ayes[0]]);
    const hash = call.method.hash;
    await Promise.all(ayes.map((name) => ok(api, tx.vote(hash, index, true), k[name])));
    const events = await ok(api, tx.close(hash, index, { refTime: 10_000_000_000n, proofSize: 1_000_000n }, length), k[ayes[0]]);
    const executed = events.find(({ event }) => api.events[collective].Executed.is(event));
    assert.ok(executed, `${collective} motion not executed`);
    const { result } = executed.event.data;
    if (result.isErr) assert.fail(`${collective} motion failed: ${dispatchErrorName(api, result.asErr)}`);
  }

  test('a model is approved through a referendum on the model track', async () => {
    const modelId = (await api.query.models.nextModelId()).toNumber();
    await ok(api, api.tx.models.registerModel('gov-model', VERSION, {
      imageDigest: u8aToHex(new Uint8Array(32).fill(0x22)),
      gpu: { minVramMib: 1_024, minCuda: { major: 11, minor: 0 }, gpuCount: 1 },
      pricing: POLICY,
      computeUnitsPerToken: 1,
      constraints: { allowedRegions: [], maxLatencyMs: 10_000 },
      revenueSplit: SPLIT,
      qos: { minSuccessRate: 900_000_000, targetP99LatencyMs: 5_000 },
      security: { requireAttestation: false, allowNetwork: false, spotCheckRate: 10_000_000 },
    }), k.Charlie);
    // Nobody's key approves it directly.
    const direct = await sendAndFinalize(api.tx.models.approveModel(modelId), k.Alice);
    assert.equal(dispatchErrorName(api, direct.dispatchError), 'BadOrigin');

    const started = (await api.rpc.chain.getHeader()).number.toNumber();
    await referendum({ Origins: 'ModelAdmin' }, api.tx.models.approveModel(modelId));
    await until(async () => (await api.query.models.models(modelId)).unwrap().status.toString() === 'Approved', 'model approval');
    const enacted = (await api.rpc.chain.getHeader()).number.toNumber();
    console.log(`model track: approved and enacted ${enacted - started} blocks after registration`);
    await ok(api, api.tx.models.activateModel(modelId), k.Charlie);
  });

  test('a Parameter Committee motion puts a race-parameter change to referendum; the next race runs with it', async () => {
    const params = (await api.query.race.params()).toJSON();
    const changed = { ...params, sampleSize: params.sampleSize + 1 };
    const call = api.tx.race.setParams(changed);
    // A signed account cannot submit on the parameter track.
    await ok(api, api.tx.preimage.notePreimage(call.method.toHex()), k.Alice);
    const proposal = { Lookup: { hash: call.method.hash, len: call.method.encodedLength } };
    const refused = await sendAndFinalize(api.tx.referenda.submit({ Origins: 'ParameterAdmin' }, proposal, { After: 0 }), k.Dave);
    assert.equal(dispatchErrorName(api, refused.dispatchError), 'BadOrigin');

    await referendum({ Origins: 'ParameterAdmin' }, call, {
      submit: async () => {
        const index = (await api.query.referenda.referendumCount()).toNumber();
        await motion('technicalCommittee', ['Dave', 'Eve'], api.tx.referenda.submit({ Origins: 'ParameterAdmin' }, proposal, { After: 0 }));
        return index;
      },
    });
    await until(async () => (await api.query.race.params()).toJSON().sampleSize === changed.sampleSize, 'parameter enactment');
    // A race already running keeps its parameters; the next one starts with the new ones.
    const running = (await api.query.race.currentRace()).unwrapOr(null);
    const runningIndex = running ? running.index.toNumber() : -1;
    await until(async () => {
      const race = (await api.query.race.currentRace()).unwrapOr(null);
      return race && race.index.toNumber() > runningIndex && race.params.sampleSize.toNumber() === changed.sampleSize;
    }, 'a race with the new sample size', 180_000);
  });

  test('the Security Council suspends a worker with a 2/3 motion', async () => {
    const owner = k.Bob;
    const hot = new Keyring({ type: 'sr25519' }).addFromUri('//GovernanceWorker');
    await ok(api, api.tx.balances.transferKeepAlive(hot.address, 10n * UNITS), k.Bob);
    const receiptKey = secp256k1PairFromSeed(new Uint8Array(32).fill(0x71));
    await ok(api, api.tx.workers.register(hot.address, receiptKey.publicKey, receiptKeyProof(receiptKey, owner.publicKey, hot.publicKey), {
      gpuModel: 'NVIDIA A100', gpuCount: 1, vramMib: 81_920, cuda: { major: 12, minor: 2 },
      region: { latMicroDeg: 48_856_613, lonMicroDeg: 2_352_222 },
    }, 'https://worker.example.org', 2_000n * UNITS), owner);
    const status = async () => (await api.query.workers.workers(hot.address)).unwrap().status.toString();
    assert.equal(await status(), 'Active');
    await motion('council', ['Alice', 'Bob'], api.tx.workers.setStatus(hot.address, 'Suspended'));
    assert.equal(await status(), 'Suspended');
  });

  test('a treasury spend approved by referendum is paid out', async () => {
    const treasury = api.consts.receipts.treasuryAccount.toString();
    await ok(api, api.tx.balances.transferKeepAlive(treasury, 20_000n * UNITS), k.Ferdie);
    const amount = 1_234n * UNITS;
    const beneficiary = new Keyring({ type: 'sr25519' }).addFromUri('//GrantRecipient');
    const spendIndex = (await api.query.treasury.spendCount()).toNumber();
    await referendum({ Origins: 'SmallSpender' }, api.tx.treasury.spend(null, amount, beneficiary.address, null));
    await until(async () => (await api.query.treasury.spends(spendIndex)).isSome, 'the approved spend');
    const before = await freeBalance(api, treasury);
    await ok(api, api.tx.treasury.payout(spendIndex), k.Eve);
    assert.equal(await freeBalance(api, beneficiary.address), amount);
    // Less the treasury's share of the payout's own fee (a fraction of a unit).
    const spent = before - await freeBalance(api, treasury);
    assert.ok(spent <= amount && spent > amount - UNITS, `treasury paid ${spent}`);
    // Paid once.
    const again = await sendAndFinalize(api.tx.treasury.payout(spendIndex), k.Eve);
    assert.match(dispatchErrorName(api, again.dispatchError), /treasury\.(AlreadyAttempted|InvalidIndex)/);
  });
});
