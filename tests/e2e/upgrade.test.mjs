// A runtime upgrade by referendum on a real dev chain, without sudo: a root-track referendum
// enacts `system.authorize_upgrade(hash)` of the upgrade rehearsal (the same runtime built with
// `spec_version` one up, next to the node's own by the runtime's build.rs), anyone submits
// `system.apply_authorized_upgrade(code)`, and the chain runs on: blocks are produced and
// finalized, `state_getRuntimeVersion` shows the new version, and balances, the worker, the
// model and a batch proposed before the upgrade are what they were — the batch still settles.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Keyring } from '@polkadot/keyring';
import { blake2AsHex, keccakAsU8a, secp256k1PairFromSeed } from '@polkadot/util-crypto';
import { u8aToHex } from '@polkadot/util';
import { nodeBinary } from './lib/node.mjs';
import { UNITS, dispatchErrorName, freeBalance, sendAndFinalize } from './lib/chain.mjs';
import { VERSION, modelMetadata, ok, registerWorker } from './lib/ail2.mjs';
import { devChain, referendum, until } from './lib/governance.mjs';

/** The upgrade rehearsal's WASM: $AIL2_UPGRADE_WASM, else beside the node's runtime build. */
function upgradeWasm() {
  const file = process.env.AIL2_UPGRADE_WASM ||
    path.join(path.dirname(nodeBinary()), 'wbuild', 'ail2-runtime', 'upgrade_rehearsal.rs.compact.compressed.wasm');
  if (!existsSync(file)) throw new Error(`no upgrade rehearsal at ${file}; build the node with fast-runtime`);
  return readFileSync(file);
}

// `:code`, where the chain keeps its runtime.
const CODE_KEY = '0x3a636f6465';

describe('runtime upgrade by referendum', () => {
  let node;
  let api;
  let k;

  before(async () => {
    ({ node, api, k } = await devChain('upgrade'));
  });

  after(async () => {
    await api?.disconnect();
    await node?.dispose();
  });

  test('a root referendum upgrades the runtime to spec_version + 1; the chain and its state carry on', async () => {
    const keyring = new Keyring({ type: 'sr25519' });
    const hot = keyring.addFromUri('//UpgradeWorker');
    const bystander = keyring.addFromUri('//UpgradeBystander');
    const gatewayKey = secp256k1PairFromSeed(new Uint8Array(32).fill(0x55));
    const code = upgradeWasm();
    const before = (await api.rpc.state.getRuntimeVersion()).specVersion.toNumber();

    // State to carry across: a model approved by referendum, a worker, a payer's escrow, a
    // bystander's balance.
    const modelId = (await api.query.models.nextModelId()).toNumber();
    await Promise.all([
      ok(api, api.tx.models.registerModel('upgrade-llama', VERSION, modelMetadata(0x21)), k.Charlie),
      ok(api, api.tx.balances.transferKeepAlive(bystander.address, 7n * UNITS), k.Ferdie),
      ok(api, api.tx.utility.batchAll([api.tx.receipts.deposit(100n * UNITS), api.tx.receipts.addGatewayKey(gatewayKey.publicKey)]), k.Dave),
      registerWorker(api, { owner: k.Bob, hot, receiptKeySeed: 0x56 }),
    ]);
    await referendum(api, k, { Origins: 'ModelAdmin' }, api.tx.models.approveModel(modelId));
    await ok(api, api.tx.models.activateModel(modelId), k.Charlie);

    // The referendum authorises the rehearsal's hash.
    const hash = blake2AsHex(code, 256);
    await referendum(api, k, { system: 'Root' }, api.tx.system.authorizeUpgrade(hash));
    await until(async () => (await api.query.system.authorizedUpgrade()).isSome, 'the authorised upgrade');
    assert.equal((await api.query.system.authorizedUpgrade()).unwrap().codeHash.toHex(), hash);

    // A batch in its challenge window when the runtime changes.
    const batchId = (await api.query.receipts.nextBatchId()).toNumber();
    await ok(api, api.tx.receipts.proposeBatch(
      k.Dave.address, modelId, VERSION, 1, 1, keccakAsU8a('upgrade-root'), UNITS, 1,
      keccakAsU8a('upgrade-leaves'), 'https://upgrade.example.org/batches/0',
    ), hot);
    const snapshot = async () => ({
      bystander: await freeBalance(api, bystander.address),
      worker: (await api.query.workers.workers(hot.address)).toJSON(),
      model: (await api.query.models.models(modelId)).toJSON(),
      batch: (await api.query.receipts.batches(batchId)).toJSON(),
      escrow: (await api.query.receipts.escrows(k.Dave.address)).toJSON(),
    });
    const state = await snapshot();
    assert.equal(state.batch.status, 'Challenge');

    // Anyone may apply the authorised code: Eve does, and pays nothing for it.
    const eve = await freeBalance(api, k.Eve.address);
    const { blockHash, dispatchError } = await sendAndFinalize(api.tx.system.applyAuthorizedUpgrade(u8aToHex(code)), k.Eve);
    assert.equal(dispatchErrorName(api, dispatchError), null);
    // The block stores the authorised code under `:code` (its storage hash is the code's
    // blake2-256), and its parent does not. The block's events are not read: they were
    // written by the old runtime, and polkadot.js may decode storage at that block with the
    // new runtime's metadata (the decode failed in two CI runs with other suites in parallel).
    const parent = (await api.rpc.chain.getHeader(blockHash)).parentHash;
    assert.equal((await api.rpc.state.getStorageHash(CODE_KEY, blockHash)).toHex(), hash, 'the new code is stored');
    assert.notEqual((await api.rpc.state.getStorageHash(CODE_KEY, parent)).toHex(), hash, 'the parent ran the old code');
    assert.equal(await freeBalance(api, k.Eve.address), eve, 'applying an authorised upgrade is free');
    const upgradedAt = (await api.rpc.chain.getHeader(blockHash)).number.toNumber();

    // The chain runs on the new runtime: blocks are produced and finalized past the upgrade.
    await until(async () => {
      const finalized = await api.rpc.chain.getHeader(await api.rpc.chain.getFinalizedHead());
      return finalized.number.toNumber() >= upgradedAt + 3;
    }, 'finality past the upgrade');
    const version = await api.rpc.state.getRuntimeVersion();
    assert.equal(version.specVersion.toNumber(), before + 1);
    assert.equal(version.specName.toString(), 'ail2');
    assert.ok((await api.query.system.authorizedUpgrade()).isNone, 'the authorisation is used up');
    assert.deepEqual(await snapshot(), state, 'balances, worker, model, batch and escrow carry over');

    // The open batch settles on the new runtime once its window has passed.
    const { challengeUntil } = state.batch;
    await until(async () => (await api.rpc.chain.getHeader()).number.toNumber() > challengeUntil, 'the end of the challenge window');
    await ok(api, api.tx.receipts.settleBatch(batchId), k.Eve);
    assert.equal((await api.query.receipts.batches(batchId)).unwrap().status.toString(), 'Paid');
  });
});
