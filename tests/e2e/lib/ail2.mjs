// Chain set-up shared by the worker end-to-end test and scripts/dev-setup.mjs: a model
// registered, approved and activated; a payer with escrow and a gateway key; and the
// gateway authorisation headers a worker expects.
import { keccakAsU8a, secp256k1PairFromSeed, secp256k1Sign } from '@polkadot/util-crypto';
import { stringToU8a, u8aConcat, u8aToHex } from '@polkadot/util';
import { UNITS, dispatchErrorName, sendAndFinalize } from './chain.mjs';

export const CHAIN_ID = 42;
export const CENTS = UNITS / 100n;
export const VERSION = { major: 1, minor: 0, patch: 0 };
export const POLICY = {
  mode: 'Token',
  tokenBase: 2n * CENTS,
  per1kInputTokens: CENTS,
  per1kOutputTokens: 3n * CENTS,
  timeBase: 0n,
  perGpuSecond: 0n,
  minFee: CENTS,
  maxFee: UNITS,
};
/** The dev chain's gateway key for payer Dave (never use outside a dev chain). */
export const DEV_GATEWAY_KEY = () => secp256k1PairFromSeed(new Uint8Array(32).fill(0x64));

export const SPLIT = { worker: 700_000_000, modelOwner: 200_000_000, treasury: 70_000_000, ecosystem: 30_000_000 };

/** The receipt price the chain checks: `min(max(a0 + ⌊(a1·in + a2·out)/1000⌋, min), cap)`. */
export function price(tokensIn, tokensOut) {
  const raw = POLICY.tokenBase + (POLICY.per1kInputTokens * BigInt(tokensIn) + POLICY.per1kOutputTokens * BigInt(tokensOut)) / 1000n;
  const floored = raw > POLICY.minFee ? raw : POLICY.minFee;
  return floored < POLICY.maxFee ? floored : POLICY.maxFee;
}

/** The runtime's type whose Rust path is `path`, for SCALE encoding. */
export function typeAt(api, path) {
  const entry = api.registry.lookup.types.find((t) => t.type.path.map((p) => p.toString()).join('::') === path);
  if (!entry) throw new Error(`no type ${path} in metadata`);
  return api.registry.createLookupType(entry.id);
}

/** Submits `tx` signed by `signer` and waits for finality; throws with the dispatch error's name. */
export async function ok(api, tx, signer) {
  const { events, dispatchError } = await sendAndFinalize(tx, signer);
  const error = dispatchErrorName(api, dispatchError);
  if (error) throw new Error(`extrinsic failed: ${error}`);
  return events;
}

/** The tests' model metadata: `POLICY`, `SPLIT`, and an image digest of `digestByte` bytes. */
export function modelMetadata(digestByte = 0x11) {
  return {
    imageDigest: u8aToHex(new Uint8Array(32).fill(digestByte)),
    gpu: { minVramMib: 1_024, minCuda: { major: 11, minor: 0 }, gpuCount: 1 },
    pricing: POLICY,
    computeUnitsPerToken: 1,
    constraints: { allowedRegions: [], maxLatencyMs: 10_000 },
    revenueSplit: SPLIT,
    qos: { minSuccessRate: 900_000_000, targetP99LatencyMs: 5_000 },
    security: { requireAttestation: false, allowNetwork: false, spotCheckRate: 10_000_000 },
  };
}

/** Registers `name` 1.0.0 as `developer`, approves it with sudo and activates it. */
export async function registerActiveModel(api, { name, developer, sudo }) {
  const modelId = (await api.query.models.nextModelId()).toNumber();
  await ok(api, api.tx.models.registerModel(name, VERSION, modelMetadata()), developer);
  await ok(api, api.tx.sudo.sudo(api.tx.models.approveModel(modelId)), sudo);
  await ok(api, api.tx.models.activateModel(modelId), developer);
  return modelId;
}

/** The tests' worker hardware: one A100 in Paris. */
export const HARDWARE = {
  gpuModel: 'NVIDIA A100', gpuCount: 1, vramMib: 81_920, cuda: { major: 12, minor: 2 },
  region: { latMicroDeg: 48_856_613, lonMicroDeg: 2_352_222 },
};

/**
 * Registers `hot` as `owner`'s worker with `stake`, funding the hot key first; its secp256k1
 * receipt key comes from `receiptKeySeed` (one byte, repeated) and proves possession.
 */
export async function registerWorker(api, { owner, hot, receiptKeySeed, stake = 2_000n * UNITS }) {
  await ok(api, api.tx.balances.transferKeepAlive(hot.address, 10n * UNITS), owner);
  const receiptKey = secp256k1PairFromSeed(new Uint8Array(32).fill(receiptKeySeed));
  await ok(api, api.tx.workers.register(hot.address, receiptKey.publicKey, receiptKeyProof(receiptKey, owner.publicKey, hot.publicKey),
    HARDWARE, 'https://worker.example.org', stake), owner);
  return receiptKey;
}

/** Opens `payer`'s escrow with `amount` and registers the secp256k1 `gatewayKey`. */
export async function fundPayer(api, { payer, amount, gatewayKey }) {
  await ok(api, api.tx.utility.batchAll([
    api.tx.receipts.deposit(amount),
    api.tx.receipts.addGatewayKey(gatewayKey.publicKey),
  ]), payer);
}

/**
 * The receipt key's proof of possession for the worker `hot` owned by `owner` (32-byte
 * public keys): its signature over keccak256("ail2:receipt:key-proof" ‖ owner ‖ hot), the
 * message of `ail2_primitives::receipt::proof_of_possession_message`.
 */
export function receiptKeyProof(receiptKey, owner, hot) {
  return secp256k1Sign(u8aConcat(stringToU8a('ail2:receipt:key-proof'), owner, hot), receiptKey, 'keccak');
}

/**
 * The headers a worker needs: the SCALE-encoded authorisation and the gateway key's
 * signature over its keccak256.
 */
export function authorisationHeaders(api, { payer, workerReceiptKey, modelId, counter, maxPrice, gatewayKey, ttlMs = 120_000, version = VERSION }) {
  const authorisation = api.createType('([u8;32],[u8;33],u32,u32,(u16,u16,u16),u32,[u8;32],u64,u128,u64)', [
    payer, workerReceiptKey, 0, modelId, [version.major, version.minor, version.patch], CHAIN_ID,
    keccakAsU8a(`route-${counter}-${Date.now()}`), counter, maxPrice, Date.now() + ttlMs,
  ]).toU8a();
  return {
    'x-ail2-authorisation': u8aToHex(authorisation),
    'x-ail2-gateway-signature': u8aToHex(secp256k1Sign(authorisation, gatewayKey, 'keccak')),
  };
}
