// Submitting extrinsics and reading state through @polkadot/api.

/** AIL2 has 12 decimals. */
export const UNITS = 1_000_000_000_000n;

/**
 * Signs and submits `tx`, resolving once its block is finalized with
 * `{ blockHash, events, dispatchError }`. Rejects if the pool refuses it.
 */
export function sendAndFinalize(tx, signer, options = {}) {
  return new Promise((resolve, reject) => {
    let unsub = () => {};
    let done = false;
    tx.signAndSend(signer, options, (result) => {
      if (done) return;
      if (result.status.isFinalized) {
        done = true;
        unsub();
        resolve({
          blockHash: result.status.asFinalized,
          events: result.events,
          dispatchError: result.dispatchError,
        });
      } else if (result.isError) {
        done = true;
        unsub();
        reject(new Error(`transaction ${result.status.type}`));
      }
    })
      .then((u) => { unsub = u; if (done) u(); })
      .catch(reject);
  });
}

/** Free balance of `address` at block `hash` (or the best block). */
export async function freeBalance(api, address, hash) {
  const at = hash ? await api.at(hash) : api;
  const { data } = await at.query.system.account(address);
  return data.free.toBigInt();
}

/** The parent of block `hash`. */
export async function parentOf(api, hash) {
  const header = await api.rpc.chain.getHeader(hash);
  return header.parentHash;
}

/** The fee the extrinsic that emitted `events` paid, from `TransactionFeePaid`. */
export function feePaid(api, events) {
  const paid = events.find(({ event }) => api.events.transactionPayment.TransactionFeePaid.is(event));
  if (!paid) throw new Error('no TransactionFeePaid event');
  return paid.event.data.actualFee.toBigInt() + paid.event.data.tip.toBigInt();
}

/** `pallet.Error` of a failed dispatch, e.g. `balances.InsufficientBalance` or `Token.FundsUnavailable`. */
export function dispatchErrorName(api, dispatchError) {
  if (!dispatchError) return null;
  if (dispatchError.isModule) {
    const { section, name } = api.registry.findMetaError(dispatchError.asModule);
    return `${section}.${name}`;
  }
  if (dispatchError.isToken) return `Token.${dispatchError.asToken.type}`;
  return dispatchError.type;
}

/**
 * The events of finalized blocks, read once each as the chain finalizes them: `waitFor`
 * resolves with the first event `predicate` accepts, `all` lists those seen so far.
 */
export class FinalizedEvents {
  constructor(api, node) {
    this.api = api;
    this.node = node;
    this.seen = 0;
    this.events = [];
  }

  /** Reads the blocks finalized since the last call. */
  async poll() {
    const head = await this.node.finalizedNumber();
    for (let n = this.seen + 1; n <= head; n += 1) {
      const at = await this.api.at(await this.api.rpc.chain.getBlockHash(n));
      for (const { event } of await at.query.system.events()) this.events.push({ block: n, event });
    }
    this.seen = Math.max(this.seen, head);
  }

  all(section, method) {
    return this.events.filter(({ event }) => event.section === section && event.method === method).map(({ event }) => event);
  }

  async waitFor(section, method, predicate = () => true, timeoutMs = 120_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.poll();
      const found = this.all(section, method).find((event) => predicate(event.data));
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no ${section}.${method} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
}
