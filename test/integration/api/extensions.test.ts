import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApi, type TestApi } from '../../harness/api-server.js';

describe('extensions', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(() => api.close());

  test('extensions - lists the implemented extensions and shows one by alias', async () => {
    const list = await api.request('GET', '/v2.0/extensions');
    assert.equal(list.status, 200);
    const aliases = list.body.extensions.map((e: { alias: string }) => e.alias);
    const pools = ['subnet_allocation', 'default-subnetpools', 'subnetpool-prefix-ops', 'address-scope'];
    const rbac = ['rbac-policies', 'rbac-security-groups', 'rbac-address-scope', 'rbac-subnetpool'];
    for (const alias of ['router', 'extraroute', 'external-net', 'security-group', 'quotas', 'quota_details', 'standard-attr-tag', 'pagination', 'sorting', ...pools, ...rbac]) {
      assert.ok(aliases.includes(alias), alias);
    }
    for (const missing of ['qos', 'trunk', 'l3-ha', 'dns-integration']) assert.ok(!aliases.includes(missing), `${missing} is not implemented`);
    const one = await api.request('GET', '/v2.0/extensions/quotas');
    assert.equal(one.body.extension.alias, 'quotas');
    assert.equal(typeof one.body.extension.updated, 'string');
    const unknown = await api.request('GET', '/v2.0/extensions/qos');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.NeutronError.type, 'ExtensionNotFound');
    const wrong = await api.request('POST', '/v2.0/extensions', { body: {} });
    assert.equal(wrong.status, 405);
    assert.equal(wrong.body.NeutronError.type, 'HTTPMethodNotAllowed');
  });
});
