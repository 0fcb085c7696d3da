// The Security Council and the treasury on a real dev chain, through @polkadot/api, without
// sudo: the council (Alice, Bob, Charlie in the dev preset) suspends a worker with a 2/3
// motion; a small-spender referendum's spend is paid out once.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Keyring } from '@polkadot/keyring';
import { UNITS, dispatchErrorName, freeBalance, sendAndFinalize } from './lib/chain.mjs';
import { ok, registerWorker } from './lib/ail2.mjs';
import { devChain, motion, referendum, until } from './lib/governance.mjs';

describe('council and treasury without sudo', () => {
  let node;
  let api;
  let k;

  before(async () => {
    ({ node, api, k } = await devChain('council'));
  });

  after(async () => {
    await api?.disconnect();
    await node?.dispose();
  });

  test('the Security Council suspends a worker with a 2/3 motion', async () => {
    const hot = new Keyring({ type: 'sr25519' }).addFromUri('//GovernanceWorker');
    await registerWorker(api, { owner: k.Bob, hot, receiptKeySeed: 0x71 });
    const status = async () => (await api.query.workers.workers(hot.address)).unwrap().status.toString();
    assert.equal(await status(), 'Active');
    await motion(api, k, 'council', ['Alice', 'Bob'], api.tx.workers.setStatus(hot.address, 'Suspended'));
    assert.equal(await status(), 'Suspended');
  });

  test('a treasury spend approved by referendum is paid out', async () => {
    const treasury = api.consts.receipts.treasuryAccount.toString();
    await ok(api, api.tx.balances.transferKeepAlive(treasury, 20_000n * UNITS), k.Ferdie);
    const amount = 1_234n * UNITS;
    const beneficiary = new Keyring({ type: 'sr25519' }).addFromUri('//GrantRecipient');
    const spendIndex = (await api.query.treasury.spendCount()).toNumber();
    await referendum(api, k, { Origins: 'SmallSpender' }, api.tx.treasury.spend(null, amount, beneficiary.address, null));
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
