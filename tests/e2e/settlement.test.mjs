// Settlement on a real `ail2-node --dev`, driven over RPC: a worker registers with a
// secp256k1 receipt key (proof of possession), a model is registered, approved by
// governance (sudo on the dev chain) and activated, a payer opens escrow and authorises a
// gateway key, the worker proposes a Merkle-sum batch of signed receipts, and a watcher
// proves one overcharged receipt with a 2-sibling path: the batch is voided, the escrow
// returned, the worker slashed and the watcher paid — all checked from chain state.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady, keccakAsU8a, secp256k1PairFromSeed, secp256k1Sign } from '@polkadot/util-crypto';
import { bnToU8a, u8aConcat, u8aToHex } from '@polkadot/util';
import { Node } from './lib/node.mjs';
import { UNITS, dispatchErrorName, freeBalance, parentOf as parentBlock, sendAndFinalize } from './lib/chain.mjs';
import { CENTS, CHAIN_ID, POLICY, VERSION, price, receiptKeyProof, typeAt } from './lib/ail2.mjs';

const STAKE = 10_000n * UNITS;
const ESCROW = 1_000n * UNITS;

const u128 = (n) => bnToU8a(n, { bitLength: 128, isLe: true });
const leafOf = (api, signed) => ({
  hash: keccakAsU8a(u8aConcat([0], api.createType(typeAt(api, 'ail2_primitives::receipt::SignedReceipt'), signed).toU8a())),
  sum: signed.receipt.price,
});
const parentOf = (l, r) => ({
  hash: keccakAsU8a(u8aConcat([1], l.hash, u128(l.sum), r.hash, u128(r.sum))),
  sum: l.sum + r.sum,
});

describe('settlement on ail2-node --dev', () => {
  let node;
  let api;
  let k;
  const receiptKey = secp256k1PairFromSeed(new Uint8Array(32).fill(0x42));
  const gatewayKey = secp256k1PairFromSeed(new Uint8Array(32).fill(0x43));

  before(async () => {
    await cryptoWaitReady();
    node = await new Node({ name: 'settlement', tmp: true, args: ['--dev'] }).start();
    api = await node.api();
    const keyring = new Keyring({ type: 'sr25519' });
    k = Object.fromEntries(['Alice', 'Bob', 'Charlie', 'Dave', 'Eve', 'Ferdie'].map((n) => [n, keyring.addFromUri(`//${n}`)]));
  });

  after(async () => {
    await api?.disconnect();
    await node?.dispose();
  });

  async function ok(tx, signer) {
    const { events, dispatchError } = await sendAndFinalize(tx, signer);
    assert.equal(dispatchErrorName(api, dispatchError), null);
    return events;
  }

  test('a fraudulent batch is voided and its worker slashed', async () => {
    const { Bob: owner, Ferdie: hot, Charlie: developer, Dave: payer, Eve: watcher, Alice: sudo } = k;

    // The worker proves it holds its receipt key.
    const proof = receiptKeyProof(receiptKey, owner.publicKey, hot.publicKey);
    const modelId = (await api.query.models.nextModelId()).toNumber();
    await Promise.all([
      ok(api.tx.workers.register(hot.address, receiptKey.publicKey, proof, {
        gpuModel: 'NVIDIA A100 80GB', gpuCount: 1, vramMib: 81_920,
        cuda: { major: 12, minor: 2 }, region: { latMicroDeg: 48_856_613, lonMicroDeg: 2_352_222 },
      }, 'https://a100.example.org', STAKE), owner),
      ok(api.tx.models.registerModel('tiny-llama', VERSION, {
        imageDigest: u8aToHex(new Uint8Array(32).fill(0x11)),
        gpu: { minVramMib: 16_384, minCuda: { major: 12, minor: 0 }, gpuCount: 1 },
        pricing: POLICY,
        computeUnitsPerToken: 1,
        constraints: { allowedRegions: [], maxLatencyMs: 3_000 },
        revenueSplit: { worker: 700_000_000, modelOwner: 200_000_000, treasury: 70_000_000, ecosystem: 30_000_000 },
        qos: { minSuccessRate: 990_000_000, targetP99LatencyMs: 2_000 },
        security: { requireAttestation: false, allowNetwork: false, spotCheckRate: 10_000_000 },
      }), developer),
      ok(api.tx.utility.batchAll([api.tx.receipts.deposit(ESCROW), api.tx.receipts.addGatewayKey(gatewayKey.publicKey)]), payer),
    ]);
    await ok(api.tx.sudo.sudo(api.tx.models.approveModel(modelId)), sudo);
    await ok(api.tx.models.activateModel(modelId), developer);

    // Four receipts, counters 1..4; the third charges one unit more than the model's price.
    const policyHash = keccakAsU8a(api.createType(typeAt(api, 'ail2_primitives::billing::PricingPolicy'), POLICY).toU8a());
    const authorisationType = '([u8;32],[u8;33],u32,u32,(u16,u16,u16),u32,[u8;32],u64,u128,u64)';
    const receipts = [1, 2, 3, 4].map((counter) => {
      const tokensIn = 100 * counter;
      const tokensOut = 40 * counter;
      const honest = price(tokensIn, tokensOut);
      const receipt = {
        projectId: 1, modelId, version: VERSION, timestampMs: 1_790_000_000_000 + counter,
        tokensIn, tokensOut, gpuMs: 250, bytesIn: 400, bytesOut: 160,
        price: counter === 3 ? honest + 1n : honest,
        chainId: CHAIN_ID, routeId: keccakAsU8a(`route-${counter}`), counter,
        nodePubkey: receiptKey.publicKey, payer: payer.publicKey, policyHash,
        maxPrice: honest + CENTS, expiresAtMs: 1_790_000_060_000,
        transcript: keccakAsU8a(`transcript-${counter}`),
      };
      const receiptBytes = api.createType(typeAt(api, 'ail2_primitives::receipt::Receipt'), receipt).toU8a();
      const authorisation = api.createType(authorisationType, [
        receipt.payer, receipt.nodePubkey, receipt.projectId, receipt.modelId,
        [VERSION.major, VERSION.minor, VERSION.patch], receipt.chainId, receipt.routeId,
        receipt.counter, receipt.maxPrice, receipt.expiresAtMs,
      ]).toU8a();
      return {
        receipt,
        nodeSignature: secp256k1Sign(receiptBytes, receiptKey, 'keccak'),
        gatewaySignature: secp256k1Sign(authorisation, gatewayKey, 'keccak'),
      };
    });
    const leaves = receipts.map((r) => leafOf(api, r));
    const left = parentOf(leaves[0], leaves[1]);
    const right = parentOf(leaves[2], leaves[3]);
    const root = parentOf(left, right);
    const total = root.sum;

    const batchId = (await api.query.receipts.nextBatchId()).toNumber();
    const proposed = await ok(api.tx.receipts.proposeBatch(
      payer.address, modelId, VERSION, 1, 4, root.hash, total, 4,
      keccakAsU8a('leaves'), 'https://a100.example.org/batches/0',
    ), hot);
    assert.ok(proposed.some(({ event }) => api.events.receipts.BatchProposed.is(event)));

    const sibling = (node) => ({ hash: node.hash, sum: node.sum });
    const leafProof = (index, siblings) => ({ index, receipt: receipts[index], siblings: siblings.map(sibling) });

    // An honest receipt proves nothing and changes nothing.
    const refused = await sendAndFinalize(api.tx.challenges.challenge(batchId, { WrongPrice: leafProof(0, [leaves[1], right]) }), watcher);
    assert.equal(dispatchErrorName(api, refused.dispatchError), 'challenges.NoFraud');

    const watcherBefore = await freeBalance(api, watcher.address);
    const treasury = api.consts.receipts.treasuryAccount.toString();
    // Read around the challenge's own block: the treasury also receives fees of later blocks.
    const { blockHash, events, dispatchError } = await sendAndFinalize(
      api.tx.challenges.challenge(batchId, { WrongPrice: leafProof(2, [leaves[3], left]) }),
      watcher,
    );
    assert.equal(dispatchErrorName(api, dispatchError), null);
    const treasuryBefore = await freeBalance(api, treasury, await parentBlock(api, blockHash));
    const proven = events.find(({ event }) => api.events.challenges.FraudProven.is(event));
    assert.ok(proven, 'FraudProven emitted');
    const slashed = proven.event.data.slashed.toBigInt();
    const bounty = proven.event.data.bounty.toBigInt();

    // DoubleBilling, first offence: 30% of stake; bounty min(10% of it, 100 AIL2, batch total).
    assert.equal(slashed, (STAKE * 3n) / 10n);
    const cap = [slashed / 10n, 100n * UNITS, total].reduce((a, b) => (a < b ? a : b));
    assert.equal(bounty, cap);
    assert.equal(await freeBalance(api, watcher.address) - watcherBefore, bounty, 'a proven fraud costs the watcher no fee');
    assert.equal(await freeBalance(api, treasury, blockHash) - treasuryBefore, slashed - bounty);
    const batch = (await api.query.receipts.batches(batchId)).unwrap();
    assert.equal(batch.status.toString(), 'Voided');
    const escrow = (await api.query.receipts.escrows(payer.address)).unwrap();
    assert.equal(escrow.reserved.toBigInt(), 0n, 'the reserve went back to escrow');
    const worker = (await api.query.workers.workers(hot.address)).unwrap();
    assert.equal(worker.stake.toBigInt(), STAKE - slashed);
  });
});
