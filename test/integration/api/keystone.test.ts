import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { startTestApi, type TestApi } from '../../harness/api-server.js';

/** A small Keystone v3 speaking only the token API: password auth for the service user and token validation. */
class FakeKeystone {
  readonly tokens = new Map<string, { project: string; roles: string[]; expires: string }>();
  validations = 0;
  serviceTokens = 0;
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      void this.handle(req).then(({ status, headers, body }) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(body === undefined ? '' : JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: IncomingMessage): Promise<{ status: number; headers?: Record<string, string>; body?: unknown }> {
    let text = '';
    for await (const chunk of req) text += String(chunk);
    if (req.method === 'POST' && req.url === '/v3/auth/tokens') {
      const auth = JSON.parse(text) as { auth: { identity: { password: { user: { name: string; password: string } } } } };
      const user = auth.auth.identity.password.user;
      if (user.name !== 'neutron' || user.password !== 'secret') return { status: 401, body: { error: { code: 401 } } };
      this.serviceTokens += 1;
      const token = `svc-${this.serviceTokens}`;
      const expires = new Date(Date.now() + 3600_000).toISOString();
      this.tokens.set(token, { project: 'service', roles: ['admin', 'service'], expires });
      return { status: 201, headers: { 'x-subject-token': token }, body: { token: { expires_at: expires } } };
    }
    if (req.method === 'GET' && req.url === '/v3/auth/tokens') {
      const service = this.tokens.get(String(req.headers['x-auth-token']));
      if (!service?.roles.includes('service')) return { status: 401, body: { error: { code: 401 } } };
      this.validations += 1;
      const subject = this.tokens.get(String(req.headers['x-subject-token']));
      if (!subject) return { status: 404, body: { error: { code: 404 } } };
      return {
        status: 200,
        body: { token: { expires_at: subject.expires, project: { id: subject.project, name: subject.project }, roles: subject.roles.map((name) => ({ id: name, name })), user: { id: 'u' } } },
      };
    }
    return { status: 404, body: { error: { code: 404 } } };
  }
}

describe('keystone', () => {
  let keystone: FakeKeystone;
  let api: TestApi;
  before(async () => {
    keystone = new FakeKeystone();
    await keystone.start();
    const expires = new Date(Date.now() + 3600_000).toISOString();
    keystone.tokens.set('tok-member', { project: 'ks-p1', roles: ['member', 'reader'], expires });
    keystone.tokens.set('tok-reader', { project: 'ks-p1', roles: ['reader'], expires });
    keystone.tokens.set('tok-admin', { project: 'ks-admin', roles: ['admin', 'member', 'reader'], expires });
    keystone.tokens.set('tok-other', { project: 'ks-p2', roles: ['member'], expires });
    keystone.tokens.set('tok-expired', { project: 'ks-p1', roles: ['member'], expires: new Date(Date.now() - 1000).toISOString() });
    api = await startTestApi({ auth: 'keystone', keystoneUrl: keystone.url, keystonePassword: 'secret' });
  });
  after(async () => {
    await api.close();
    await keystone.close();
  });

  const as = (token: string) => ({ 'x-auth-token': token });

  test('keystone - missing or invalid tokens answer 401, version discovery needs none', async () => {
    assert.equal((await api.request('GET', '/')).status, 200);
    const missing = await api.request('GET', '/v2.0/networks');
    assert.equal(missing.status, 401);
    assert.equal(missing.body.NeutronError.type, 'HTTPUnauthorized');
    assert.match(missing.headers.get('www-authenticate') ?? '', /Keystone uri=/);
    const invalid = await api.request('GET', '/v2.0/networks', { headers: as('nope') });
    assert.equal(invalid.status, 401);
    assert.equal((await api.request('GET', '/v2.0/networks', { headers: { ...as('tok-member'), 'x-project-id': 'ks-p2' } })).status, 200);
  });

  test('keystone - project and roles come from the token; results are cached', async () => {
    const created = await api.request('POST', '/v2.0/networks', { headers: { ...as('tok-member'), 'x-project-id': 'spoofed' }, body: { network: { name: 'kn' } } });
    assert.equal(created.status, 201);
    assert.equal(created.body.network.project_id, 'ks-p1', 'project headers are ignored under keystone');
    const before = keystone.validations;
    for (let i = 0; i < 5; i++) assert.equal((await api.request('GET', '/v2.0/networks', { headers: as('tok-member') })).status, 200);
    assert.equal(keystone.validations, before, 'cached token: no more validations');
    assert.equal(keystone.serviceTokens, 1, 'one service token serves every validation');
    const hidden = await api.request('GET', `/v2.0/networks/${created.body.network.id}`, { headers: as('tok-other') });
    assert.equal(hidden.status, 404);
    const admin = await api.request('GET', `/v2.0/networks/${created.body.network.id}`, { headers: as('tok-admin') });
    assert.equal(admin.status, 200);
    assert.equal(admin.body.network['provider:network_type'], 'vxlan', 'admins see provider attributes');
    const expired = await api.request('GET', '/v2.0/networks', { headers: as('tok-expired') });
    assert.equal(expired.status, 200, 'Keystone decides validity; the token just is not cached past its expiry');
    const again = keystone.validations;
    await api.request('GET', '/v2.0/networks', { headers: as('tok-expired') });
    assert.equal(keystone.validations, again + 1);
  });

  test('keystone - a reader cannot write, a member cannot set admin-only attributes or quotas', async () => {
    const write = await api.request('POST', '/v2.0/networks', { headers: as('tok-reader'), body: { network: { name: 'r' } } });
    assert.equal(write.status, 403);
    assert.equal(write.body.NeutronError.type, 'PolicyNotAuthorized');
    assert.equal((await api.request('GET', '/v2.0/security-groups', { headers: as('tok-reader') })).status, 200);
    const external = await api.request('POST', '/v2.0/networks', { headers: as('tok-member'), body: { network: { 'router:external': true } } });
    assert.equal(external.status, 403);
    const quota = await api.request('PUT', '/v2.0/quotas/ks-p1', { headers: as('tok-member'), body: { quota: { network: 1 } } });
    assert.equal(quota.status, 403);
    assert.equal((await api.request('PUT', '/v2.0/quotas/ks-p1', { headers: as('tok-admin'), body: { quota: { network: 1 } } })).status, 200);
  });

  test('keystone - a rejected service token is renewed once', async () => {
    for (const key of [...keystone.tokens.keys()]) if (key.startsWith('svc-')) keystone.tokens.delete(key);
    keystone.tokens.set('tok-new', { project: 'ks-p1', roles: ['member'], expires: new Date(Date.now() + 3600_000).toISOString() });
    assert.equal((await api.request('GET', '/v2.0/networks', { headers: as('tok-new') })).status, 200);
    assert.equal(keystone.serviceTokens, 2);
  });

  test('keystone - an unreachable Keystone answers 503, never 500', async () => {
    const down = await startTestApi({ auth: 'keystone', keystoneUrl: 'http://127.0.0.1:9', keystonePassword: 'secret' });
    try {
      const r = await down.request('GET', '/v2.0/networks', { headers: as('tok-member') });
      assert.equal(r.status, 503);
      assert.equal(r.body.NeutronError.type, 'HTTPServiceUnavailable');
    } finally {
      await down.close();
    }
  });
});

describe('policy (noauth)', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(() => api.close());

  test('policy - readers may list but not write', async () => {
    const r = await api.request('POST', '/v2.0/security-groups', { project: 'pol-p1', roles: 'reader', body: { security_group: { name: 'x' } } });
    assert.equal(r.status, 403);
    assert.equal(r.body.NeutronError.type, 'PolicyNotAuthorized');
    assert.equal((await api.request('GET', '/v2.0/networks', { project: 'pol-p1', roles: 'reader' })).status, 200);
    assert.equal((await api.request('POST', '/v2.0/security-groups', { project: 'pol-p1', roles: 'member,reader', body: { security_group: { name: 'x' } } })).status, 201);
  });
});
