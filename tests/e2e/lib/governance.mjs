// Governance flows through @polkadot/api, as polkadot.js apps' Governance pages run them:
// referenda from preimage to approval and collective motions. Shared by the governance
// end-to-end files; each starts its own dev chain.
import assert from 'node:assert/strict';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { Node } from './node.mjs';
import { UNITS, dispatchErrorName } from './chain.mjs';
import { ok } from './ail2.mjs';

/** Conviction-1x ayes of these accounts clear every track's support curve at once. */
export const VOTERS = ['Alice', 'Bob', 'Charlie', 'Dave', 'Eve', 'Ferdie'];
const VOTE = 5_000_000n * UNITS;

/** A `--dev` node (sudo exists there but is not used) with the voters' keys. */
export async function devChain(name) {
  await cryptoWaitReady();
  const node = await new Node({ name, tmp: true, args: ['--dev'] }).start();
  const api = await node.api();
  const keyring = new Keyring({ type: 'sr25519' });
  const k = {};
  for (const voter of VOTERS) k[voter] = keyring.addFromUri(`//${voter}`);
  return { node, api, k };
}

/** Waits until `check` resolves truthy, polling every half block. */
export async function until(check, what, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 1_500));
  }
  throw new Error(`${what} not seen in ${timeoutMs} ms`);
}

/**
 * A referendum on the track of `origin` for `call`, from preimage to approval: Alice notes
 * the preimage (unless `submit` is given: it submits and returns the index), submits and
 * places the decision deposit, every voter votes aye with conviction. Resolves once approved.
 */
export async function referendum(api, k, origin, call, { submit } = {}) {
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

/** Proposes `call` in `collective` with threshold `ayes.length`; all of `ayes` vote; closes it. */
export async function motion(api, k, collective, ayes, call) {
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
