// Prints shell assignments of the headers one request to the dev worker needs, signed with
// the dev gateway key for payer Dave (scripts/dev.sh registered both). The counter is the
// current time in milliseconds, so every invocation gives a fresh one.
// usage: eval "$(node tests/e2e/tools/dev-authorise.mjs)"; curl ... -H "x-ail2-authorisation: $AIL2_AUTHORISATION" ...
import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { UNITS } from '../lib/chain.mjs';
import { DEV_GATEWAY_KEY, authorisationHeaders } from '../lib/ail2.mjs';

const url = process.env.AIL2_CHAIN_URL ?? 'ws://127.0.0.1:9944';
await cryptoWaitReady();
const api = await ApiPromise.create({ provider: new WsProvider(url), noInitWarn: true });
const keyring = new Keyring({ type: 'sr25519' });
const dave = keyring.addFromUri('//Dave');
const hot = keyring.addFromUri(process.env.AIL2_WORKER_HOT_URI ?? '//Ferdie');

const worker = await api.query.workers.workers(hot.address);
if (worker.isNone) throw new Error('the dev worker is not registered; run scripts/dev.sh');
let modelId = null;
for (const [key, info] of await api.query.models.models.entries()) {
  if (info.unwrap().name.toUtf8() === 'tiny') modelId = key.args[0].toNumber();
}
const headers = authorisationHeaders(api, {
  payer: dave.publicKey,
  workerReceiptKey: worker.unwrap().receiptKey,
  modelId,
  counter: Date.now(),
  maxPrice: UNITS / 10n,
  gatewayKey: DEV_GATEWAY_KEY(),
});
console.log(`AIL2_AUTHORISATION=${headers['x-ail2-authorisation']}`);
console.log(`AIL2_GATEWAY_SIGNATURE=${headers['x-ail2-gateway-signature']}`);
await api.disconnect();
