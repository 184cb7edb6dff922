import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fault, startTestApi, type TestApi } from '../../harness/api-server.js';

describe('tags', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(() => api.close());


  test('tags - sub-resource on networks, subnets, ports and security groups', async () => {
    const net = (await api.request('POST', '/v2.0/networks', { project: 'tg-p1', body: { network: { name: 'tn' } } })).body.network;
    const subnet = (await api.request('POST', '/v2.0/subnets', { project: 'tg-p1', body: { subnet: { network_id: net.id, cidr: '10.9.0.0/24', ip_version: 4 } } })).body.subnet;
    const port = (await api.request('POST', '/v2.0/ports', { project: 'tg-p1', body: { port: { network_id: net.id } } })).body.port;
    const sg = (await api.request('POST', '/v2.0/security-groups', { project: 'tg-p1', body: { security_group: { name: 'tsg' } } })).body.security_group;
    for (const [collection, id, key] of [['networks', net.id, 'network'], ['subnets', subnet.id, 'subnet'], ['ports', port.id, 'port'], ['security-groups', sg.id, 'security_group']] as const) {
      const before = (await api.request('GET', `/v2.0/${collection}/${id}`, { project: 'tg-p1' })).body[key].revision_number as number;
      const put = await api.request('PUT', `/v2.0/${collection}/${id}/tags`, { project: 'tg-p1', body: { tags: ['b', 'a', 'a'] } });
      assert.equal(put.status, 200, collection);
      assert.deepEqual(put.body.tags, ['a', 'b']);
      assert.equal((await api.request('PUT', `/v2.0/${collection}/${id}/tags/c`, { project: 'tg-p1' })).status, 201);
      assert.equal((await api.request('GET', `/v2.0/${collection}/${id}/tags/c`, { project: 'tg-p1' })).status, 204);
      assert.deepEqual(fault(await api.request('GET', `/v2.0/${collection}/${id}/tags/zz`, { project: 'tg-p1' })), [404, 'TagNotFound']);
      assert.equal((await api.request('DELETE', `/v2.0/${collection}/${id}/tags/a`, { project: 'tg-p1' })).status, 204);
      assert.deepEqual(fault(await api.request('DELETE', `/v2.0/${collection}/${id}/tags/a`, { project: 'tg-p1' })), [404, 'TagNotFound']);
      assert.deepEqual((await api.request('GET', `/v2.0/${collection}/${id}/tags`, { project: 'tg-p1' })).body.tags, ['b', 'c']);
      const shown = (await api.request('GET', `/v2.0/${collection}/${id}`, { project: 'tg-p1' })).body[key];
      assert.deepEqual(shown.tags, ['b', 'c']);
      assert.ok(shown.revision_number > before, `${collection}: tag changes bump revision_number`);
      const filtered = await api.request('GET', `/v2.0/${collection}?tags=b,c`, { project: 'tg-p1' });
      assert.ok(filtered.body[collection.replace('-', '_')].some((r: { id: string }) => r.id === id));
      assert.deepEqual(fault(await api.request('GET', `/v2.0/${collection}/${id}/tags`, { project: 'tg-other' })).slice(0, 1), [404]);
      assert.equal((await api.request('DELETE', `/v2.0/${collection}/${id}/tags`, { project: 'tg-p1' })).status, 204);
      assert.deepEqual((await api.request('GET', `/v2.0/${collection}/${id}/tags`, { project: 'tg-p1' })).body.tags, []);
    }
  });

  test('tags - bad input and permissions', async () => {
    const net = (await api.request('POST', '/v2.0/networks', { project: 'tg-p2', roles: 'admin', body: { network: { name: 'shared', shared: true } } })).body.network;
    assert.deepEqual(fault(await api.request('PUT', `/v2.0/networks/${net.id}/tags`, { project: 'tg-p2', body: { tags: 'x' } })), [400, 'HTTPBadRequest']);
    assert.deepEqual(fault(await api.request('PUT', `/v2.0/networks/${net.id}/tags`, { project: 'tg-p2', body: { tags: ['a,b'] } })), [400, 'HTTPBadRequest']);
    assert.deepEqual(fault(await api.request('PUT', `/v2.0/networks/${net.id}/tags`, { project: 'tg-p2', body: { tag: [] } })), [400, 'HTTPBadRequest']);
    assert.deepEqual(fault(await api.request('PUT', `/v2.0/networks/${net.id}/tags/a,b`, { project: 'tg-p2' })), [400, 'HTTPBadRequest']);
    assert.deepEqual(fault(await api.request('PUT', `/v2.0/networks/${net.id}/tags/x`, { project: 'tg-p3' })), [403, 'PolicyNotAuthorized'], 'shared network of another project');
    assert.equal((await api.request('GET', `/v2.0/networks/${net.id}/tags`, { project: 'tg-p3' })).status, 200);
    assert.deepEqual(fault(await api.request('GET', '/v2.0/networks/00000000-0000-4000-8000-000000000000/tags')), [404, 'NetworkNotFound']);
    assert.deepEqual(fault(await api.request('POST', `/v2.0/networks/${net.id}/tags`, { body: { tags: [] } })), [405, 'HTTPMethodNotAllowed']);
    assert.deepEqual(fault(await api.request('GET', `/v2.0/widgets/${net.id}/tags`)), [404, 'HTTPNotFound']);
  });
});
