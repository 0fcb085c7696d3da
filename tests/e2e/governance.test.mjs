// Referenda on a real dev chain, driven through @polkadot/api as polkadot.js apps drives
// them, without sudo: a model approved on the model track; a Parameter Committee motion
// that puts a race-parameter change to referendum, visible in the next race. The dev
// preset's Parameter Committee is Dave, Eve and Ferdie. (Council and treasury:
// governance-council.test.mjs.)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dispatchErrorName, sendAndFinalize } from './lib/chain.mjs';
import { VERSION, modelMetadata, ok } from './lib/ail2.mjs';
import { devChain, motion, referendum, until } from './lib/governance.mjs';

describe('referenda without sudo', () => {
  let node;
  let api;
  let k;

  before(async () => {
    ({ node, api, k } = await devChain('referenda'));
  });

  after(async () => {
    await api?.disconnect();
    await node?.dispose();
  });

  test('a model is approved through a referendum on the model track', async () => {
    const modelId = (await api.query.models.nextModelId()).toNumber();
    await ok(api, api.tx.models.registerModel('gov-model', VERSION, modelMetadata(0x22)), k.Charlie);
    // Nobody's key approves it directly.
    const direct = await sendAndFinalize(api.tx.models.approveModel(modelId), k.Alice);
    assert.equal(dispatchErrorName(api, direct.dispatchError), 'BadOrigin');

    const started = (await api.rpc.chain.getHeader()).number.toNumber();
    await referendum(api, k, { Origins: 'ModelAdmin' }, api.tx.models.approveModel(modelId));
    await until(async () => (await api.query.models.models(modelId)).unwrap().status.toString() === 'Approved', 'model approval');
    const enacted = (await api.rpc.chain.getHeader()).number.toNumber();
    console.log(`model track: approved and enacted ${enacted - started} blocks after registration`);
    await ok(api, api.tx.models.activateModel(modelId), k.Charlie);
  });

  test('a Parameter Committee motion puts a race-parameter change to referendum; the next race runs with it', async () => {
    const params = (await api.query.race.params()).toJSON();
    // A sample one larger and the commitment fee doubled (the fee is a u128: JSON gives a number or hex).
    const changed = { ...params, sampleSize: params.sampleSize + 1, commitFee: 2n * BigInt(params.commitFee) };
    const call = api.tx.race.setParams(changed);
    // A signed account cannot submit on the parameter track.
    await ok(api, api.tx.preimage.notePreimage(call.method.toHex()), k.Alice);
    const proposal = { Lookup: { hash: call.method.hash, len: call.method.encodedLength } };
    const refused = await sendAndFinalize(api.tx.referenda.submit({ Origins: 'ParameterAdmin' }, proposal, { After: 0 }), k.Dave);
    assert.equal(dispatchErrorName(api, refused.dispatchError), 'BadOrigin');

    await referendum(api, k, { Origins: 'ParameterAdmin' }, call, {
      submit: async () => {
        const index = (await api.query.referenda.referendumCount()).toNumber();
        await motion(api, k, 'technicalCommittee', ['Dave', 'Eve'], api.tx.referenda.submit({ Origins: 'ParameterAdmin' }, proposal, { After: 0 }));
        return index;
      },
    });
    await until(async () => (await api.query.race.params()).toJSON().sampleSize === changed.sampleSize, 'parameter enactment');
    // A race already running keeps its parameters; the next one starts with the new ones.
    const running = (await api.query.race.currentRace()).unwrapOr(null);
    const runningIndex = running ? running.index.toNumber() : -1;
    await until(async () => {
      const race = (await api.query.race.currentRace()).unwrapOr(null);
      return race && race.index.toNumber() > runningIndex && race.params.sampleSize.toNumber() === changed.sampleSize;
    }, 'a race with the new sample size', 180_000);
    const race = (await api.query.race.currentRace()).unwrap();
    assert.equal(race.params.commitFee.toBigInt(), changed.commitFee);
    const { commit, reveal, window, validation } = changed;
    assert.equal(race.ends.toNumber() - race.started.toNumber(), commit + reveal + window + validation, 'the schedule follows the params');
  });
});
