import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApi, type TestApi } from '../../harness/api-server.js';

describe('networks', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi({ vxlanRange: '100:102' });
  });
  after(() => api.close());

  test('networks - create, show, update and delete with revision numbers', async () => {
    const created = await api.request('POST', '/v2.0/networks', { body: { network: { name: 'n1', tags: ['a'] } }, project: 'p1' });
    assert.equal(created.status, 201);
    const net = created.body.network;
    assert.equal(net.name, 'n1');
    assert.equal(net.project_id, 'p1');
    assert.equal(net.mtu, 1450);
    assert.equal(net.revision_number, 0);
    assert.deepEqual(net.tags, ['a']);
    assert.equal(net['provider:segmentation_id'], undefined, 'provider attributes are admin-only');
    const shown = await api.request('GET', `/v2.0/networks/${net.id}`);
    assert.equal(shown.body.network['provider:network_type'], 'vxlan');
    assert.equal(shown.body.network['provider:segmentation_id'], 100);
    const updated = await api.request('PUT', `/v2.0/networks/${net.id}`, { body: { network: { name: 'n2' } }, project: 'p1' });
    assert.equal(updated.status, 200);
    assert.equal(updated.body.network.revision_number, 1);
    const stale = await api.request('PUT', `/v2.0/networks/${net.id}`, {
      body: { network: { name: 'n3' } },
      project: 'p1',
      headers: { 'if-match': 'revision_number=0' },
    });
    assert.equal(stale.status, 412);
    assert.equal(stale.body.NeutronError.type, 'RevisionNumberConstraintFailed');
    // Policy is checked before the revision, as in Neutron: stale and forbidden answers 403.
    const staleAndForbidden = await api.request('PUT', `/v2.0/networks/${net.id}`, {
      body: { network: { 'router:external': true } },
      project: 'p1',
      roles: 'member',
      headers: { 'if-match': 'revision_number=0' },
    });
    assert.equal(staleAndForbidden.status, 403);
    assert.equal(staleAndForbidden.body.NeutronError.type, 'PolicyNotAuthorized');
    const hidden = await api.request('GET', `/v2.0/networks/${net.id}`, { project: 'p2' });
    assert.equal(hidden.status, 404);
    assert.equal(hidden.body.NeutronError.type, 'NetworkNotFound');
    const deleted = await api.request('DELETE', `/v2.0/networks/${net.id}`, { project: 'p1' });
    assert.equal(deleted.status, 204);
    assert.equal((await api.request('GET', `/v2.0/networks/${net.id}`)).status, 404);
  });

  test('networks - VNI range exhaustion answers 409 NoNetworkAvailable and frees on delete', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await api.request('POST', '/v2.0/networks', { body: { network: { name: `x${i}` } } });
      assert.equal(r.status, 201);
      ids.push(r.body.network.id);
    }
    const full = await api.request('POST', '/v2.0/networks', { body: { network: { name: 'x3' } } });
    assert.equal(full.status, 409);
    assert.equal(full.body.NeutronError.type, 'NoNetworkAvailable');
    assert.equal((await api.request('DELETE', `/v2.0/networks/${ids[1]}`)).status, 204);
    const again = await api.request('POST', '/v2.0/networks', { body: { network: { name: 'x4' } } });
    assert.equal(again.status, 201);
    assert.equal(again.body.network['provider:segmentation_id'], 101);
  });
});
