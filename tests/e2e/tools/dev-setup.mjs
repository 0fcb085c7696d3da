// Prepares a dev chain for a worker (scripts/dev.sh): the model `tiny` registered by
// Charlie, approved by sudo (Alice) and activated; Dave's escrow funded and the dev gateway
// key registered for him. Idempotent: an existing `tiny` model and key are reused.
// usage: node tools/dev-setup.mjs [ws://127.0.0.1:9944]  → prints the model id
import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { UNITS } from '../lib/chain.mjs';
import { DEV_GATEWAY_KEY, fundPayer, registerActiveModel } from '../lib/ail2.mjs';

const url = process.argv[2] ?? 'ws://127.0.0.1:9944';
await cryptoWaitReady();
const api = await ApiPromise.create({ provider: new WsProvider(url), noInitWarn: true });
const keyring = new Keyring({ type: 'sr25519' });
const [alice, charlie, dave] = ['//Alice', '//Charlie', '//Dave'].map((uri) => keyring.addFromUri(uri));

let modelId = null;
for (const [key, info] of await api.query.models.models.entries()) {
  if (info.unwrap().name.toUtf8() === 'tiny') modelId = key.args[0].toNumber();
}
if (modelId === null) modelId = await registerActiveModel(api, { name: 'tiny', developer: charlie, sudo: alice });

const gatewayKey = DEV_GATEWAY_KEY();
const existing = await api.query.receipts.gatewayKeys(dave.address, gatewayKey.publicKey);
if (existing.isNone) await fundPayer(api, { payer: dave, amount: 1_000n * UNITS, gatewayKey });

console.log(modelId);
await api.disconnect();
