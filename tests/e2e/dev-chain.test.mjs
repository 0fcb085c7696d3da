// A real `ail2-node --dev --tmp`, driven through @polkadot/api exactly as polkadot.js apps
// drives it: metadata, transfers, rejected transactions, and a new validator joining.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady, mnemonicGenerate } from '@polkadot/util-crypto';
import { u8aToHex } from '@polkadot/util';
import { Node } from './lib/node.mjs';
import { UNITS, dispatchErrorName, feePaid, freeBalance, parentOf, sendAndFinalize } from './lib/chain.mjs';

/** The pallets the AIL2 runtime is expected to expose. */
const EXPECTED_PALLETS = [
  'System', 'Timestamp', 'Babe', 'Balances', 'TransactionPayment', 'Authorship', 'Staking',
  'Offences', 'Historical', 'Session', 'Grandpa', 'VoterList', 'Utility', 'Multisig', 'Proxy',
  'Workers', 'Models', 'Receipts', 'Challenges', 'Slashing', 'Race', 'Preimage', 'Scheduler',
  'Referenda', 'ConvictionVoting', 'Origins', 'Whitelist', 'Treasury', 'Council', 'Elections',
  'TechnicalCommittee', 'TechnicalMembership', 'Sudo',
];

/** Alice authors every dev block: of each fee she pays, the author's 20 % comes back to her. */
const authorShare = (fee) => fee - (fee * 80n) / 100n;

describe('ail2-node --dev', () => {
  let node;
  let api;
  let alice;
  let bob;
  let eve;

  before(async () => {
    await cryptoWaitReady();
    node = await new Node({ name: 'dev', tmp: true, args: ['--dev'] }).start();
    api = await node.api();
    const keyring = new Keyring({ type: 'sr25519' });
    alice = keyring.addFromUri('//Alice');
    bob = keyring.addFromUri('//Bob');
    eve = keyring.addFromUri('//Eve');
  });

  after(async () => {
    await api?.disconnect();
    await node?.dispose();
  });

  test('produces and finalizes blocks', async () => {
    const finalized = await node.waitForFinalized(2);
    assert.ok(finalized >= 2);
    const best = await node.bestNumber();
    assert.ok(best >= finalized, `best #${best} behind finalized #${finalized}`);
  });

  test('metadata lists every runtime pallet and the chain properties', async () => {
    const pallets = api.runtimeMetadata.asLatest.pallets.map((p) => p.name.toString());
    for (const name of EXPECTED_PALLETS) assert.ok(pallets.includes(name), `metadata lacks ${name}: ${pallets}`);
    assert.equal(api.runtimeVersion.specName.toString(), 'ail2');
    const props = await api.rpc.system.properties();
    assert.equal(props.tokenSymbol.unwrap()[0].toString(), 'AIL2');
    assert.equal(props.tokenDecimals.unwrap()[0].toNumber(), 12);
  });

  test('a signed transfer is included, finalized and moves exactly the amount', async () => {
    const amount = 123n * UNITS + 456n;
    const { blockHash, events, dispatchError } = await sendAndFinalize(
      api.tx.balances.transferKeepAlive(bob.address, amount),
      alice,
    );
    assert.equal(dispatchError, undefined);
    assert.ok(events.some(({ event }) => api.events.balances.Transfer.is(event)));
    assert.ok(events.some(({ event }) => api.events.system.ExtrinsicSuccess.is(event)));

    const parent = await parentOf(api, blockHash);
    const fee = feePaid(api, events);
    assert.ok(fee > 0n);
    assert.equal(await freeBalance(api, bob.address, blockHash), (await freeBalance(api, bob.address, parent)) + amount);
    assert.equal(
      await freeBalance(api, alice.address, blockHash),
      (await freeBalance(api, alice.address, parent)) - amount - fee + authorShare(fee),
    );
    // The rest of the fee goes to the treasury, not up in smoke.
    const treasury = api.consts.receipts.treasuryAccount.toString();
    assert.equal(
      await freeBalance(api, treasury, blockHash) - await freeBalance(api, treasury, parent),
      fee - authorShare(fee),
    );
  });

  test('a transfer with a bad signature is rejected and changes no balance', async () => {
    const before = [await freeBalance(api, alice.address), await freeBalance(api, bob.address)];
    const tx = api.tx.balances.transferKeepAlive(bob.address, 5n * UNITS);
    await tx.signAsync(alice);
    const signature = tx.signature.toHex();
    // Flip the last byte of the sr25519 signature.
    const last = parseInt(signature.slice(-2), 16) ^ 0xff;
    const forged = tx.toHex().replace(signature.slice(2), signature.slice(2, -2) + last.toString(16).padStart(2, '0'));
    assert.notEqual(forged, tx.toHex());

    await assert.rejects(node.rpc('author_submitExtrinsic', [forged]), /1010.*bad signature|bad signature.*1010/s);

    await node.waitForFinalized((await node.bestNumber()) + 2);
    assert.deepEqual([await freeBalance(api, alice.address), await freeBalance(api, bob.address)], before);
  });

  test('a transfer from an account that cannot pay is rejected and changes no balance', async () => {
    const pauper = new Keyring({ type: 'sr25519' }).addFromMnemonic(mnemonicGenerate());
    const before = await freeBalance(api, bob.address);
    const tx = api.tx.balances.transferKeepAlive(bob.address, UNITS);
    await tx.signAsync(pauper);
    await assert.rejects(node.rpc('author_submitExtrinsic', [tx.toHex()]), /1010.*Inability to pay some fees/s);
    await node.waitForFinalized((await node.bestNumber()) + 2);
    assert.equal(await freeBalance(api, bob.address), before);
    assert.equal(await freeBalance(api, pauper.address), 0n);
  });

  test('a transfer of more than the free balance fails in dispatch and moves only the fee', async () => {
    const aliceFree = await freeBalance(api, alice.address);
    const { blockHash, events, dispatchError } = await sendAndFinalize(
      api.tx.balances.transferKeepAlive(bob.address, aliceFree * 2n),
      alice,
    );
    assert.ok(dispatchError, 'the transfer should fail');
    assert.match(dispatchErrorName(api, dispatchError), /FundsUnavailable|InsufficientBalance/);
    const parent = await parentOf(api, blockHash);
    assert.equal(await freeBalance(api, bob.address, blockHash), await freeBalance(api, bob.address, parent));
    assert.equal(
      await freeBalance(api, alice.address, blockHash),
      (await freeBalance(api, alice.address, parent)) - feePaid(api, events) + authorShare(feePaid(api, events)),
    );
  });

  test('a new validator can bond, set session keys and validate', async () => {
    const bond = 1_000n * UNITS;
    let r = await sendAndFinalize(api.tx.staking.bond(bond, 'Staked'), eve);
    assert.equal(r.dispatchError, undefined, dispatchErrorName(api, r.dispatchError));

    // Session keys are generated on the node with a proof of possession for the stash.
    const generated = await node.rpc('author_rotateKeysWithOwner', [u8aToHex(eve.publicKey)]);
    const keys = generated.keys;
    assert.equal((keys.length - 2) / 2, 64, 'BABE + GRANDPA public keys');
    assert.equal(await node.rpc('author_hasSessionKeys', [keys]), true);

    // Without the proof the chain refuses the keys.
    r = await sendAndFinalize(api.tx.session.setKeys(keys, '0x'), eve);
    assert.equal(dispatchErrorName(api, r.dispatchError), 'session.InvalidProof');

    r = await sendAndFinalize(api.tx.session.setKeys(keys, generated.proof), eve);
    assert.equal(r.dispatchError, undefined, dispatchErrorName(api, r.dispatchError));

    r = await sendAndFinalize(api.tx.staking.validate({ commission: 50_000_000, blocked: false }), eve);
    assert.equal(r.dispatchError, undefined, dispatchErrorName(api, r.dispatchError));

    const ledger = (await api.query.staking.ledger(eve.address)).unwrap();
    assert.equal(ledger.active.toBigInt(), bond);
    const prefs = await api.query.staking.validators(eve.address);
    assert.equal(prefs.commission.toNumber(), 50_000_000);
    const nextKeys = (await api.query.session.nextKeys(eve.address)).unwrap();
    assert.equal(nextKeys.toHex(), keys);
    assert.ok((await api.query.staking.counterForValidators()).toNumber() >= 2);
  });
});
