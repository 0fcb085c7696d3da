// The four-validator local network of chain-specs/local-raw.json, as four processes on
// loopback: it finalizes, keeps finalizing with one validator down, and the restarted
// validator catches up.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { Node, repoRoot, sleep } from './lib/node.mjs';

const SPEC = path.join(repoRoot, 'chain-specs', 'local-raw.json');
const VALIDATORS = ['alice', 'bob', 'charlie', 'dave'];

/** Fixed network keys, so validators start without `--unsafe-force-node-key-generation`. */
const nodeKey = (i) => (i + 1).toString(16).padStart(64, '0');

describe('local 4-validator network', () => {
  const nodes = [];

  before(async () => {
    const alice = new Node({ name: 'alice', args: ['--chain', SPEC, '--alice', '--node-key', nodeKey(0)] });
    await alice.start();
    const bootnode = `/ip4/127.0.0.1/tcp/${alice.p2pPort}/p2p/${await alice.peerId()}`;
    nodes.push(alice);
    for (const [i, name] of VALIDATORS.entries()) {
      if (i === 0) continue;
      const node = new Node({
        name,
        args: ['--chain', SPEC, `--${name}`, '--node-key', nodeKey(i), '--bootnodes', bootnode],
      });
      nodes.push(await node.start());
    }
  });

  after(async () => {
    for (const node of nodes) await node.dispose();
  });

  test('all four validators peer and finalize blocks', async () => {
    const deadline = Date.now() + 60_000;
    for (const node of nodes) {
      while ((await node.rpc('system_health')).peers < 3) {
        assert.ok(Date.now() < deadline, `${node.name} did not find its 3 peers`);
        await sleep(500);
      }
    }
    await nodes[0].waitForFinalized(3);
    const authorities = await nodes[0].rpc('grandpa_roundState');
    assert.equal(authorities.best.totalWeight, 4, 'four GRANDPA voters');
  });

  test('finality advances with one validator killed and the validator catches up after restart', async () => {
    const [alice, , , dave] = nodes;
    await dave.kill();
    const finalizedAtKill = await alice.finalizedNumber();
    // Three of four voters are more than two thirds: finality must go on.
    await alice.waitForFinalized(finalizedAtKill + 3);

    await dave.start();
    const target = await alice.finalizedNumber();
    await dave.waitForFinalized(target, 180_000);
    assert.ok((await dave.bestNumber()) >= target);
    // And the network keeps finalizing with Dave back.
    await alice.waitForFinalized(target + 2);
  });
});
